package hardware

import (
	"slices"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/gpus"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// Simulated machines are go-nvml's mock of NVML behind a real Prober, so that the code above
// NVML (probing, requirements, readings, slowdown flags) runs as it does on a GPU machine.
// They live here rather than in the tests that use them because this package alone imports
// go-nvml: a test of the benchmark rule asks for a machine by model and count, and never
// sees the binding.

// A GPUModel is one kind of device a simulated machine is made of.
type GPUModel int

const (
	// SimulatedH100 is an H100 SXM5 80GB: compute capability 9.0, as go-nvml's mock ships it.
	SimulatedH100 GPUModel = iota
	// SimulatedL4 is an NVIDIA L4: Ada, compute capability 8.9, 24 GB. The mock package ships
	// no Ada GPU, and it is the device that can do FP8 but is no Hopper.
	SimulatedL4
)

// config describes the model to the mock. It is built on demand, not kept in a variable, so
// that a binary which never simulates a machine links none of the mock.
func (m GPUModel) config() gpus.Config {
	if m == SimulatedL4 {
		return gpus.Config{Name: "NVIDIA L4", Architecture: nvml.DEVICE_ARCH_ADA, Brand: nvml.BRAND_NVIDIA,
			MemoryMB: 23034, CudaMajor: 8, CudaMinor: 9}
	}
	return gpus.H100_SXM5_80GB
}

// Simulate returns a prober over a simulated machine of n GPUs of one model, with driver
// 580.159.04 (CUDA 13.0). Its devices give steady readings (SM clock 1980 MHz, memory clock
// 2619 MHz, 120 W of a 700 W limit, 40 °C, idle); the devices whose indices are listed in hot
// are at 85 °C and report a hardware thermal slowdown.
func Simulate(n int, model GPUModel, hot ...int) *Prober {
	s := server.NewServerWithGPUs("580.159.04", "13.580.159.04", 13000, gpus.Multiple(n, model.config())...)
	for i, d := range s.Devices {
		var reasons uint64 = nvml.ClocksEventReasonGpuIdle
		var celsius uint32 = 40
		if slices.Contains(hot, i) {
			reasons |= nvml.ClocksThrottleReasonHwThermalSlowdown
			celsius = 85
		}
		// The mock leaves live readings unset (calling them would panic).
		dev := d.(*server.Device)
		dev.GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
			if c == nvml.CLOCK_SM {
				return 1980, nvml.SUCCESS
			}
			return 2619, nvml.SUCCESS
		}
		dev.GetMaxClockInfoFunc = func(nvml.ClockType) (uint32, nvml.Return) { return 1980, nvml.SUCCESS }
		dev.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return celsius, nvml.SUCCESS }
		dev.GetPowerUsageFunc = func() (uint32, nvml.Return) { return 120000, nvml.SUCCESS }
		dev.GetEnforcedPowerLimitFunc = func() (uint32, nvml.Return) { return 700000, nvml.SUCCESS }
		dev.GetCurrentClocksEventReasonsFunc = func() (uint64, nvml.Return) { return reasons, nvml.SUCCESS }
	}
	return New(s)
}
