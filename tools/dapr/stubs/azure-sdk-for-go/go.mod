// Empty stand-in for the monolithic github.com/Azure/azure-sdk-for-go module
// (v68.0.0+incompatible, a 69 MB zip that unpacks to 560 MB). It sits in
// daprd's module graph only through Azure components we don't link; the go
// command would still download it to rule out ambiguous imports of the
// separate github.com/Azure/azure-sdk-for-go/sdk/... modules. No package of
// it is built (see go.mod).
module github.com/Azure/azure-sdk-for-go
