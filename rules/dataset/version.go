package dataset

import "runtime/debug"

// ModulePath is isobench's module, looked for in the build information.
const ModulePath = "github.com/isobench/isobench"

// version, when set by the command (`-ldflags -X`), overrides the build information.
var version string

// SetVersion sets the isobench version written into datasets. The command calls it when it
// knows better than the build information (a release build stamped with -ldflags).
func SetVersion(v string) { version = v }

// Version is the isobench version written into every record's provenance and into dataset
// keys, so a new isobench rebuilds datasets and no file claims the wrong producer. It is the
// module version from the build information: a tag for `go install ...@v1.2.3`, "(devel)"
// for a build from a checkout.
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if info.Main.Path == ModulePath && info.Main.Version != "" {
		return info.Main.Version
	}
	for _, d := range info.Deps {
		if d.Path == ModulePath {
			return d.Version
		}
	}
	return "(devel)"
}
