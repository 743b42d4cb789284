package main

import (
	"fmt"
	"runtime/debug"
)

// version is set at link time by the Makefile (-X main.version=...: `git describe`).
var version = "dev"

// Version is the version this binary reports everywhere: `isobench version`, and the
// provenance of every dataset and report (kinds.go hands it to the dataset kind), so that
// all of them name the same producer. A binary the Makefile stamped says what git describe
// said; any other says "dev+" and the VCS revision it was built from, "-dirty" when the
// checkout had changes.
func Version() string {
	if version != "dev" {
		return version
	}
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) >= 12 {
			v += "+" + rev[:12]
			if dirty {
				v += "-dirty"
			}
		}
	}
	return v
}

func cmdVersion(a *app, args []string) error {
	fs := a.flags("version", false)
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "isobench %s\n", Version())
	return nil
}
