// Wrapper module used only to build Dapr's runtime binaries (daprd, placement,
// scheduler) from the Go module proxy; see install.sh. It has no code of its own
// apart from components/, whose file replaces daprd's zz_notag.go at build time.
module sidecar.local/tools/dapr

go 1.26.6

require github.com/dapr/dapr v1.18.3

// Repeated from github.com/dapr/dapr v1.18.3's go.mod: replace directives only
// apply in the main module, so a wrapper has to restate them.
replace (
	dubbo.apache.org/dubbo-go/v3 => dubbo.apache.org/dubbo-go/v3 v3.0.3-0.20230118042253-4f159a2b38f3
	github.com/apache/pulsar-client-go v0.18.0 => github.com/twmb/pulsar-client-go v0.20.1-0.20260624144353-90eefc81f70a
	gopkg.in/couchbaselabs/gocbconnstr.v1 => github.com/couchbaselabs/gocbconnstr v1.0.5
)

replace (
	github.com/chenzhuoyu/iasm => github.com/chenzhuoyu/iasm v0.9.0
	github.com/chzyer/logex => github.com/chzyer/logex v1.2.1
	github.com/gobwas/pool => github.com/gobwas/pool v0.2.1
	github.com/toolkits/concurrent => github.com/niean/gotools v0.0.0-20151221085310-ff3f51fc5c60
)

// Ours, not upstream's:
replace (
	// v0.12.4, which dapr v1.18.3 requires, is not served by the module proxy
	// this machine reaches (403); this is the commit dapr v1.18.2 shipped with,
	// with the same go.mod (see README.md).
	github.com/dapr/durabletask-go v0.12.4 => github.com/dapr/durabletask-go v0.12.2-0.20260720132056-79042da5fe61

	// No package of this module is linked; see stubs/azure-sdk-for-go/go.mod.
	github.com/Azure/azure-sdk-for-go => ./stubs/azure-sdk-for-go
)
