package main

import (
	"fmt"
	"runtime/debug"
)

// version is set at link time by the Makefile (-X main.version=...).
var version = "dev"

// Version returns the version with the VCS revision the binary was built from, when known.
func Version() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
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
