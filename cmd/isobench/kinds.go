package main

import (
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/benchmark"
	"github.com/isobench/isobench/rules/benchmark/hardware"
	"github.com/isobench/isobench/rules/commit"
	"github.com/isobench/isobench/rules/dataset"
	"github.com/isobench/isobench/rules/environment"
	"github.com/isobench/isobench/rules/generator"
	"github.com/isobench/isobench/rules/repo"
)

// kinds lists every target kind this binary knows.
func kinds() []engine.Kind {
	return []engine.Kind{
		repo.New(),
		commit.New(),
		&generator.Kind{},
		&environment.Kind{},
		&benchmark.Kind{},
		&dataset.Kind{},
	}
}

// machineGPUs lists the GPU device indices builds may use: every device NVML sees (none
// without a driver).
func machineGPUs() []int { return hardware.Probe().DeviceIndices() }
