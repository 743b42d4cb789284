package hardware

import (
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/isobench/isobench/rules/artifact"
)

// throttleReasons names NVML's clock event reasons (nvmlClocksEventReasons), in bit order.
var throttleReasons = []struct {
	bit  uint64
	name string
}{
	{nvml.ClocksEventReasonGpuIdle, "gpu_idle"},
	{nvml.ClocksEventReasonApplicationsClocksSetting, "applications_clocks_setting"},
	{nvml.ClocksEventReasonSwPowerCap, "sw_power_cap"},
	{nvml.ClocksThrottleReasonHwSlowdown, "hw_slowdown"},
	{nvml.ClocksEventReasonSyncBoost, "sync_boost"},
	{nvml.ClocksEventReasonSwThermalSlowdown, "sw_thermal_slowdown"},
	{nvml.ClocksThrottleReasonHwThermalSlowdown, "hw_thermal_slowdown"},
	{nvml.ClocksThrottleReasonHwPowerBrakeSlowdown, "hw_power_brake_slowdown"},
	{nvml.ClocksEventReasonDisplayClockSetting, "display_clock_setting"},
	{nvml.ClocksEventReasonBoardLimit, "board_limit"},
	{nvml.ClocksEventReasonReliability, "reliability"},
}

// slowdownReasons are the reasons that mean the hardware slowed down against the test's will:
// overheating, an external power brake, the hardware protecting itself. A sample taken under
// one is flagged. gpu_idle and sw_power_cap are left out on purpose: the first is set between
// kernels of any test, the second whenever a busy GPU draws its rated power, which a heavy
// kernel on an H100 does as a matter of course; flagging them would flag every sample.
var slowdownReasons = map[string]bool{
	"hw_slowdown":             true,
	"sw_thermal_slowdown":     true,
	"hw_thermal_slowdown":     true,
	"hw_power_brake_slowdown": true,
}

// DecodeThrottleReasons names the bits set in an NVML clock event reason mask.
func DecodeThrottleReasons(mask uint64) []string {
	var names []string
	for _, r := range throttleReasons {
		if mask&r.bit != 0 {
			names = append(names, r.name)
		}
	}
	return names
}

// Slowdown reports whether a reading shows a hardware slowdown.
func Slowdown(s *artifact.GPUState) bool {
	if s == nil {
		return false
	}
	for _, r := range s.ThrottleReasons {
		if slowdownReasons[r] {
			return true
		}
	}
	return false
}

// Read takes one reading of the device with NVML index i: SM and memory clocks, temperature,
// power draw and limit, and the clock event reasons. A field the device does not report stays
// zero; only a device NVML cannot reach at all is an error. Reading takes well under a
// millisecond, so it is done before and after every sample.
func (p *Prober) Read(index int) (s *artifact.GPUState, err error) {
	dev, ok := p.devices[index]
	if !ok {
		if p.info.NoGPU != "" {
			return nil, fmt.Errorf("there is no GPU %d to read: %s", index, p.info.NoGPU)
		}
		return nil, fmt.Errorf("there is no GPU %d to read: this machine has %d", index, len(p.devices))
	}
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("reading GPU %d failed: %v", index, r)
		}
	}()
	g, _ := p.info.GPU(index)
	s = &artifact.GPUState{UUID: g.UUID}
	if v, ret := dev.GetClockInfo(nvml.CLOCK_SM); ret == nvml.SUCCESS {
		s.SMClockMHz = int(v)
	}
	if v, ret := dev.GetClockInfo(nvml.CLOCK_MEM); ret == nvml.SUCCESS {
		s.MemClockMHz = int(v)
	}
	if v, ret := dev.GetTemperature(nvml.TEMPERATURE_GPU); ret == nvml.SUCCESS {
		s.TemperatureC = int(v)
	}
	if v, ret := dev.GetPowerUsage(); ret == nvml.SUCCESS {
		s.PowerW = float64(v) / 1000
	}
	if v, ret := dev.GetEnforcedPowerLimit(); ret == nvml.SUCCESS {
		s.PowerLimitW = float64(v) / 1000
	}
	if mask, ok := p.eventReasons(dev); ok {
		s.ThrottleReasons = DecodeThrottleReasons(mask)
	}
	return s, nil
}

// eventReasons asks for the clock event reasons through the call the driver has. Drivers
// before r535 lack nvmlDeviceGetCurrentClocksEventReasons, and the library is opened with lazy
// binding, so calling a missing symbol would abort the process: look it up first and fall
// back to the older name of the same call.
func (p *Prober) eventReasons(dev nvml.Device) (uint64, bool) {
	if p.lib.Extensions().LookupSymbol("nvmlDeviceGetCurrentClocksEventReasons") == nil {
		v, ret := dev.GetCurrentClocksEventReasons()
		return v, ret == nvml.SUCCESS
	}
	if p.lib.Extensions().LookupSymbol("nvmlDeviceGetCurrentClocksThrottleReasons") == nil {
		v, ret := dev.GetCurrentClocksThrottleReasons() //nolint:staticcheck // the only call old drivers have
		return v, ret == nvml.SUCCESS
	}
	return 0, false
}
