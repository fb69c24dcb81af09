//go:build !allcomponents && !stablecomponents

// Package components is the component set compiled into our daprd build.
//
// Upstream, every registration file in github.com/dapr/dapr/cmd/daprd/components
// needs a build tag (stablecomponents, allcomponents, ...); the one file built
// without tags, zz_notag.go, panics at init. install.sh builds daprd with no
// tags and, through `go build -overlay`, compiles this file in place of
// zz_notag.go (hence the same build constraint), so only the components the
// project uses are linked in. That keeps the download and the binary much
// smaller than `-tags stablecomponents`.
//
// To add a component, import its components-contrib package and register its
// constructor on the matching loader's DefaultRegistry. The name is the part of
// a component's `type:` after the kind: state.<name>, pubsub.<name>.
package components

import (
	nrmdns "github.com/dapr/components-contrib/nameresolution/mdns"
	nrsqlite "github.com/dapr/components-contrib/nameresolution/sqlite"
	psmemory "github.com/dapr/components-contrib/pubsub/in-memory"
	psredis "github.com/dapr/components-contrib/pubsub/redis"
	stmemory "github.com/dapr/components-contrib/state/in-memory"
	stpgv1 "github.com/dapr/components-contrib/state/postgresql/v1"
	stpgv2 "github.com/dapr/components-contrib/state/postgresql/v2"
	stredis "github.com/dapr/components-contrib/state/redis"
	stsqlite "github.com/dapr/components-contrib/state/sqlite"

	"github.com/dapr/dapr/pkg/components"
	nameresolution "github.com/dapr/dapr/pkg/components/nameresolution"
	pubsub "github.com/dapr/dapr/pkg/components/pubsub"
	state "github.com/dapr/dapr/pkg/components/state"
)

func init() {
	// State stores.
	state.DefaultRegistry.RegisterComponent(stsqlite.NewSQLiteStateStore, "sqlite", "sqlite3")
	state.DefaultRegistry.RegisterComponent(stmemory.NewInMemoryStateStore, "in-memory")
	state.DefaultRegistry.RegisterComponent(stredis.NewRedisStateStore, "redis")

	// state.postgresql / state.postgres: v1 unless the component says version: v2.
	postgres := components.Versioning{
		Preferred: components.VersionConstructor{Version: "v2", Constructor: stpgv2.NewPostgreSQLStateStore},
		Others:    []components.VersionConstructor{{Version: "v1", Constructor: stpgv1.NewPostgreSQLStateStore}},
		Default:   "v1",
	}
	for _, name := range []string{"postgresql", "postgres"} {
		state.DefaultRegistry.RegisterComponentWithVersions(name, postgres)
	}

	// Pub/sub brokers.
	pubsub.DefaultRegistry.RegisterComponent(psmemory.New, "in-memory")
	pubsub.DefaultRegistry.RegisterComponent(psredis.NewRedisStreams, "redis")

	// Name resolution (a Configuration's spec.nameResolution.component).
	nameresolution.DefaultRegistry.RegisterComponent(nrsqlite.NewResolver, "sqlite")
	nameresolution.DefaultRegistry.RegisterComponent(nrmdns.NewResolver, "mdns")
}
