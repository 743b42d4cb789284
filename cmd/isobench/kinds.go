package main

import (
	"context"
	"io"
	"os"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/engine/slurm"
	"github.com/isobench/isobench/rules/benchmark"
	"github.com/isobench/isobench/rules/benchmark/hardware"
	"github.com/isobench/isobench/rules/commit"
	"github.com/isobench/isobench/rules/commitsearch"
	"github.com/isobench/isobench/rules/dataset"
	"github.com/isobench/isobench/rules/environment"
	"github.com/isobench/isobench/rules/generator"
	"github.com/isobench/isobench/rules/repo"
)

// The dataset kind writes the producer's version into every record and report: the same
// one `isobench version` prints.
func init() { dataset.SetVersion(Version()) }

// kinds lists every target kind this binary knows.
func kinds() []engine.Kind {
	return []engine.Kind{
		repo.New(),
		commit.New(),
		&generator.Kind{},
		&environment.Kind{},
		&benchmark.Kind{},
		&dataset.Kind{},
		commitsearch.Kind{},
	}
}

// executors lists the executors this binary knows besides local, which the engine builds in.
func executors() []engine.ExecutorKind {
	return []engine.ExecutorKind{slurm.ExecutorKind{}}
}

// kindsWith lists the registered kinds that have the optional ability T (an interface of
// engine/abilities.go), in registration order.
func kindsWith[T any]() []T {
	var out []T
	for _, k := range kinds() {
		if x, ok := k.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// machineGPUs lists the GPU device indices builds may use: the devices NVML sees (none
// without a driver), limited by CUDA_VISIBLE_DEVICES when isobench itself runs with it.
func machineGPUs() []int {
	visible, set := os.LookupEnv("CUDA_VISIBLE_DEVICES")
	return hardware.Usable(hardware.Probe().Info(), visible, set)
}

// writeMachineReport is what `isobench doctor` prints: the GPUs NVML sees, the CPU, and the
// tools found.
func writeMachineReport(ctx context.Context, w io.Writer) error {
	return hardware.Doctor(ctx).WriteText(w)
}
