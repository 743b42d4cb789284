package main

import "context"

// cmdDoctor prints the hardware (GPUs through NVML, CPU) and the tools found. It needs no
// workspace.
func cmdDoctor(a *app, args []string) error {
	fs := a.flags("doctor", false)
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	return writeMachineReport(context.Background(), a.stdout)
}
