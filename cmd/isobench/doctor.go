package main

import (
	"context"
	"fmt"

	"github.com/isobench/isobench/engine"
)

// cmdDoctor prints the hardware (GPUs through NVML, CPU), the tools found, and how tests
// will be isolated on this machine. It needs no workspace.
func cmdDoctor(a *app, args []string) error {
	fs := a.flags("doctor", false)
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if err := writeMachineReport(context.Background(), a.stdout); err != nil {
		return err
	}
	isolation, reason := engine.SandboxIsolation()
	if isolation == engine.IsolationNamespaces {
		fmt.Fprintf(a.stdout, "sandbox\n  tests run in their own user, PID, mount and network namespaces\n")
	} else {
		fmt.Fprintf(a.stdout, "sandbox\n  tests run in a process group only (%s); see the README's Security section\n", reason)
	}
	return nil
}
