// Package version says which release of the collection this code is. The
// plan (internal/plan) records it, so a plan names the product that wrote it.
package version

// Collection is the collection's version: galaxy.yml's version field
// (TestMatchesGalaxy keeps them equal).
const Collection = "0.1.0"

// Name is the collection's fully qualified name.
const Name = "kvm_migration.cpu_flags"
