package hardware

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/gpus"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
	"github.com/isobench/isobench/rules/artifact"
)

// withReadings gives every mock device live readings: the mock package leaves clocks,
// temperature and power unset (calling them would panic), as a real device's vary anyway.
func withReadings(s *server.Server, reasons uint64) *server.Server {
	for i, d := range s.Devices {
		dev := d.(*server.Device)
		dev.GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
			if c == nvml.CLOCK_SM {
				return uint32(1980 - i), nvml.SUCCESS
			}
			return 2619, nvml.SUCCESS
		}
		dev.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return 41, nvml.SUCCESS }
		dev.GetPowerUsageFunc = func() (uint32, nvml.Return) { return 312500, nvml.SUCCESS }
		dev.GetEnforcedPowerLimitFunc = func() (uint32, nvml.Return) { return 700000, nvml.SUCCESS }
		dev.GetCurrentClocksEventReasonsFunc = func() (uint64, nvml.Return) { return reasons, nvml.SUCCESS }
		// Old drivers' name for the same call: it must not be used while the new one exists.
		dev.GetCurrentClocksThrottleReasonsFunc = func() (uint64, nvml.Return) { return 0, nvml.ERROR_UNKNOWN }
	}
	return s
}

func TestProbeDGXH100(t *testing.T) {
	p := New(withReadings(dgxh100.New(), 0))
	info := p.Info()
	if info.NoGPU != "" {
		t.Fatalf("NoGPU = %q, want the GPUs", info.NoGPU)
	}
	if len(info.GPUs) != 8 {
		t.Fatalf("found %d GPUs, want 8", len(info.GPUs))
	}
	g := info.GPUs[3]
	if g.Index != 3 || g.Name != "NVIDIA H100 80GB HBM3" || g.ComputeCapability != "9.0" || g.MemoryMiB != 81920 || !strings.HasPrefix(g.UUID, "GPU-") {
		t.Errorf("GPU 3 = %+v", g)
	}
	if info.Driver != "550.54.15" || info.DriverMajor() != "550" || info.CUDA != "12.4" {
		t.Errorf("driver %q (major %q), CUDA %q; want 550.54.15, 550, 12.4", info.Driver, info.DriverMajor(), info.CUDA)
	}
	if got := p.DeviceIndices(); len(got) != 8 || got[7] != 7 {
		t.Errorf("DeviceIndices = %v", got)
	}
	if info.CPUModel == "" || info.CPUCount < 1 {
		t.Errorf("CPU not described: %q, %d", info.CPUModel, info.CPUCount)
	}
}

func TestProbeWithoutDriver(t *testing.T) {
	lib := &mock.Interface{InitFunc: func() nvml.Return { return nvml.ERROR_LIBRARY_NOT_FOUND }}
	p := New(lib)
	info := p.Info()
	if len(info.GPUs) != 0 || !strings.Contains(info.NoGPU, "libnvidia-ml") {
		t.Errorf("without the library: GPUs %v, NoGPU %q", info.GPUs, info.NoGPU)
	}
	if _, err := p.Read(0); err == nil || !strings.Contains(err.Error(), "libnvidia-ml") {
		t.Errorf("Read without a GPU: %v", err)
	}
	if got := (Requirements{GPUs: 1}).Check(info); !strings.Contains(got, "needs 1 GPU, this machine has none") {
		t.Errorf("Check = %q", got)
	}
}

// TestProbeSurvivesPanics: a binding that panics (a symbol missing from an old driver) is a
// machine without GPUs, never a crashed build.
func TestProbeSurvivesPanics(t *testing.T) {
	lib := &mock.Interface{InitFunc: func() nvml.Return { return nvml.SUCCESS }} // everything else unset: panics
	info := New(lib).Info()
	if len(info.GPUs) != 0 || !strings.Contains(info.NoGPU, "NVML failed") {
		t.Errorf("GPUs %v, NoGPU %q", info.GPUs, info.NoGPU)
	}
}

// TestProbeRealLibrary exercises the real binding on this machine: with a driver it must find
// GPUs, without one it must say why, and in neither case crash.
func TestProbeRealLibrary(t *testing.T) {
	info := Probe().Info()
	if Probe() != Probe() {
		t.Error("Probe must initialise NVML once per process")
	}
	if info.NoGPU != "" {
		if len(info.GPUs) != 0 {
			t.Errorf("NoGPU %q with GPUs %v", info.NoGPU, info.GPUs)
		}
		t.Logf("no GPU here: %s", info.NoGPU)
		return
	}
	for _, g := range info.GPUs {
		if g.Name == "" || g.UUID == "" || g.ComputeCapability == "" || g.MemoryMiB == 0 {
			t.Errorf("GPU %d incompletely described: %+v", g.Index, g)
		}
		s, err := Probe().Read(g.Index)
		if err != nil {
			t.Fatal(err)
		}
		if s.UUID != g.UUID || s.SMClockMHz == 0 || s.PowerLimitW == 0 {
			t.Errorf("reading of GPU %d: %+v", g.Index, s)
		}
		t.Logf("GPU %d: %+v; reading %+v", g.Index, g, s)
	}
	t.Logf("driver %s, CUDA %s, class %s", info.Driver, info.CUDA, info.Class())
}

func TestRead(t *testing.T) {
	reasons := uint64(nvml.ClocksEventReasonGpuIdle | nvml.ClocksThrottleReasonHwThermalSlowdown)
	p := New(withReadings(dgxh100.New(), reasons))
	s, err := p.Read(2)
	if err != nil {
		t.Fatal(err)
	}
	if s.UUID != p.Info().GPUs[2].UUID || s.SMClockMHz != 1978 || s.MemClockMHz != 2619 || s.TemperatureC != 41 ||
		s.PowerW != 312.5 || s.PowerLimitW != 700 {
		t.Errorf("reading = %+v", s)
	}
	if strings.Join(s.ThrottleReasons, ",") != "gpu_idle,hw_thermal_slowdown" || !Slowdown(s) {
		t.Errorf("reasons %v, slowdown %v", s.ThrottleReasons, Slowdown(s))
	}
	if _, err := p.Read(8); err == nil {
		t.Error("reading a GPU that does not exist must fail")
	}
}

func TestReadOldDriver(t *testing.T) {
	s := withReadings(dgxh100.New(), 0)
	// A driver before r535: only the old name of the call exists.
	s.LookupSymbolFunc = func(name string) error {
		if name == "nvmlDeviceGetCurrentClocksEventReasons" {
			return os.ErrNotExist
		}
		return nil
	}
	for _, d := range s.Devices {
		d.(*server.Device).GetCurrentClocksEventReasonsFunc = nil // calling it would panic
		d.(*server.Device).GetCurrentClocksThrottleReasonsFunc = func() (uint64, nvml.Return) {
			return nvml.ClocksEventReasonSwPowerCap, nvml.SUCCESS
		}
	}
	r, err := New(s).Read(0)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.ThrottleReasons, ",") != "sw_power_cap" || Slowdown(r) {
		t.Errorf("reasons %v, slowdown %v: a power cap under load is not a slowdown", r.ThrottleReasons, Slowdown(r))
	}
}

func TestDecodeThrottleReasons(t *testing.T) {
	if got := DecodeThrottleReasons(0); len(got) != 0 {
		t.Errorf("no bits gave %v", got)
	}
	all := DecodeThrottleReasons(nvml.ClocksEventReasonAll)
	if len(all) != 11 {
		t.Errorf("every bit gave %d names: %v", len(all), all)
	}
	for _, tc := range []struct {
		mask uint64
		slow bool
	}{
		{nvml.ClocksThrottleReasonHwSlowdown, true},
		{nvml.ClocksThrottleReasonHwPowerBrakeSlowdown, true},
		{nvml.ClocksEventReasonSwThermalSlowdown, true},
		{nvml.ClocksEventReasonGpuIdle | nvml.ClocksEventReasonSwPowerCap, false},
	} {
		if got := Slowdown(&artifact.GPUState{ThrottleReasons: DecodeThrottleReasons(tc.mask)}); got != tc.slow {
			t.Errorf("mask %#x: slowdown %v, want %v", tc.mask, got, tc.slow)
		}
	}
}

func TestClass(t *testing.T) {
	h100 := New(withReadings(dgxh100.New(), 0)).Info()
	same := New(withReadings(dgxh100.New(), 0)).Info() // other UUIDs, same hardware
	if h100.Class() != same.Class() {
		t.Error("two identical machines must share a class; UUIDs must not enter it")
	}
	minor := h100
	minor.Driver = "550.90.07"
	if minor.Class() != h100.Class() {
		t.Error("a minor driver update must keep the class")
	}
	four := New(withReadings(server.NewServerWithGPUs("550.54.15", "12.550.54.15", 12040, gpus.Multiple(4, gpus.H100_SXM5_80GB)...), 0)).Info()
	l4s := New(withReadings(server.NewServerWithGPUs("550.54.15", "12.550.54.15", 12040, SimulatedL4.config()), 0)).Info()
	cuda := h100
	cuda.CUDA = "12.8"
	for name, other := range map[string]Info{"gpu count": four, "gpu model": l4s, "cuda": cuda} {
		if other.Class() == h100.Class() {
			t.Errorf("a different %s must change the class", name)
		}
	}
	hw := h100.Artifact([]int{1, 2})
	if hw.Class != h100.Class() || hw.GPUCount != 8 || hw.GPUName != "NVIDIA H100 80GB HBM3" || len(hw.GPUUUIDs) != 2 ||
		hw.GPUUUIDs[1] != h100.GPUs[2].UUID || hw.ComputeCap != "9.0" {
		t.Errorf("Artifact = %+v", hw)
	}
}

func TestRequirements(t *testing.T) {
	h100 := New(withReadings(dgxh100.New(), 0)).Info()
	ada := New(withReadings(server.NewServerWithGPUs("550.54.15", "12.550.54.15", 12040, SimulatedL4.config()), 0)).Info()
	cases := []struct {
		req  Requirements
		info Info
		want string // "" when met, else a part of the reason
	}{
		{Requirements{}, Info{}, ""},
		{Requirements{GPUs: 8, ComputeCapability: "9.0", MemoryGB: 80, FP8: true}, h100, ""},
		{Requirements{GPUs: 9}, h100, "needs 9 GPUs, this machine has 8"},
		{Requirements{ComputeCapability: "9.0"}, ada, "needs compute capability 9.0, this machine has 8.9"},
		{Requirements{ComputeCapability: "8.0"}, ada, ""},
		{Requirements{ComputeCapability: "10.0"}, h100, "needs compute capability 10.0, this machine has 9.0"},
		{Requirements{FP8: true}, ada, ""},
		{Requirements{MemoryGB: 40}, ada, "needs 40 GB of memory per GPU, this machine's NVIDIA L4 has 24.2 GB"},
		{Requirements{MemoryGB: 1}, Info{NoGPU: "no driver"}, "needs 1 GPU, this machine has none (no driver)"},
	}
	for _, c := range cases {
		got := c.req.Check(c.info)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%+v: Check = %q, want %q", c.req, got, c.want)
		}
	}
	old := Info{GPUs: []GPU{{Name: "Tesla V100", ComputeCapability: "7.0", MemoryMiB: 16000}}}
	if got := (Requirements{FP8: true}).Check(old); !strings.Contains(got, "needs FP8") {
		t.Errorf("FP8 on a V100: %q", got)
	}
	if err := (Requirements{ComputeCapability: "nine"}).Validate(); err == nil {
		t.Error("a malformed compute capability must be rejected")
	}
	if lines := (Requirements{FP8: true}).Lines(); lines[0].Value != "1" {
		t.Errorf("FP8 implies one GPU: %v", lines)
	}
}

func TestCPUModel(t *testing.T) {
	dir := t.TempDir()
	defer func(old string) { cpuInfoPath = old }(cpuInfoPath)
	for contents, want := range map[string]string{
		"processor\t: 0\nmodel name\t: AMD EPYC  7B13 64-Core Processor\n": "AMD EPYC 7B13 64-Core Processor",
		"processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd4f\n":     "implementer 0x41 part 0xd4f",
	} {
		cpuInfoPath = filepath.Join(dir, "cpuinfo")
		os.WriteFile(cpuInfoPath, []byte(contents), 0o644)
		if got := cpuModel(); !strings.Contains(got, want) {
			t.Errorf("cpuModel = %q, want %q", got, want)
		}
	}
}

func TestDoctor(t *testing.T) {
	r := Doctor(context.Background())
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"hardware", "cpu", "class", "tools", "git", "python3", "uv", "pip"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	found := map[string]Tool{}
	for _, tool := range r.Tools {
		found[tool.Name] = tool
	}
	// This machine has git, python3 and pip; whatever it has, versions look like versions.
	for _, name := range []string{"git", "python3", "pip"} {
		if tool := found[name]; tool.Path != "" && !versionRE.MatchString(tool.Version) {
			t.Errorf("%s at %s has version %q", name, tool.Path, tool.Version)
		}
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", out)
}

// TestSimulate: the simulated machines other packages' tests use are what they say.
func TestSimulate(t *testing.T) {
	p := Simulate(2, SimulatedH100, 1)
	info := p.Info()
	if len(info.GPUs) != 2 || info.GPUs[0].Name != "NVIDIA H100 80GB HBM3" || info.GPUs[0].ComputeCapability != "9.0" ||
		info.Driver != "580.159.04" || info.CUDA != "13.0" {
		t.Errorf("two H100s: %+v", info)
	}
	cool, _ := p.Read(0)
	hot, _ := p.Read(1)
	if cool == nil || hot == nil || Slowdown(cool) || !Slowdown(hot) || cool.SMClockMHz != 1980 || cool.PowerLimitW != 700 || hot.TemperatureC != 85 {
		t.Errorf("readings: %+v, %+v", cool, hot)
	}
	if g := Simulate(1, SimulatedL4).Info().GPUs; len(g) != 1 || g[0].Name != "NVIDIA L4" || g[0].ComputeCapability != "8.9" {
		t.Errorf("an L4: %+v", g)
	}
}
