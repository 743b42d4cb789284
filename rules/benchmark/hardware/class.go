package hardware

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// ClassLines are the stable facts that decide whether two machines give comparable timings:
// GPU model, count and memory, the driver's major version, the CUDA version and the CPU model.
// They enter the key of every measurement, so moving to other hardware makes measurements
// stale and nothing else. Live facts (clocks, temperature, free memory, UUIDs, the minor
// driver version) are left out: they differ between two identical machines, or between two
// runs on one.
func (i Info) ClassLines() []engine.Line {
	memory := 0
	if len(i.GPUs) > 0 {
		memory = i.GPUs[0].MemoryMiB
		for _, g := range i.GPUs[1:] {
			memory = min(memory, g.MemoryMiB)
		}
	}
	return []engine.Line{
		engine.L("hardware.cpu_model", i.CPUModel),
		engine.L("hardware.gpu_model", i.GPUModel()),
		engine.L("hardware.gpu_count", len(i.GPUs)),
		engine.L("hardware.gpu_memory_mib", memory),
		engine.L("hardware.driver_major", i.DriverMajor()),
		engine.L("hardware.cuda", i.CUDA),
	}
}

// Class is a short digest of ClassLines: the name of the hardware class in records.
func (i Info) Class() string {
	var b strings.Builder
	for _, l := range i.ClassLines() {
		fmt.Fprintf(&b, "%s %s\n", l.Name, l.Value)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// Artifact describes the machine for a measurement record; held are the NVML indices of the
// devices the measurement held.
func (i Info) Artifact(held []int) artifact.Hardware {
	h := artifact.Hardware{
		Class:    i.Class(),
		CPUModel: i.CPUModel,
		CPUCount: i.CPUCount,
		GPUCount: len(i.GPUs),
		Driver:   i.Driver,
		CUDA:     i.CUDA,
	}
	if len(i.GPUs) > 0 {
		h.GPUName = i.GPUModel()
		h.GPUMemMiB = i.GPUs[0].MemoryMiB
		h.ComputeCap = i.GPUs[0].ComputeCapability
	}
	for _, idx := range held {
		if g, ok := i.GPU(idx); ok {
			h.GPUUUIDs = append(h.GPUUUIDs, g.UUID)
			// The devices held are the ones that matter on a mixed machine.
			h.GPUName, h.GPUMemMiB, h.ComputeCap = g.Name, g.MemoryMiB, g.ComputeCapability
		}
	}
	return h
}
