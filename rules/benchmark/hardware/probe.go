// Package hardware describes the machine a benchmark runs on: the CPU, and the NVIDIA GPUs as
// NVML reports them. It answers three questions for the benchmark rule: can this machine meet
// a benchmark's requirements (Requirements.Check), which machines give comparable timings (the
// hardware class, which enters measurement keys), and what state was a GPU in while a sample
// ran (Read: clocks, temperature, power, throttle reasons).
//
// NVML is reached through github.com/NVIDIA/go-nvml, which dlopens libnvidia-ml at run time.
// On a machine without the driver library Init returns ERROR_LIBRARY_NOT_FOUND and the probe
// reports no GPU with the reason; it never fails and never panics. Tests drive the same code
// through go-nvml's mock package.
package hardware

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Info is what the probe learned once: the facts that do not change while isobench runs.
type Info struct {
	CPUModel string `json:"cpu_model"`
	CPUCount int    `json:"cpu_count"`
	GPUs     []GPU  `json:"gpus"`
	Driver   string `json:"driver,omitempty"` // e.g. "580.159.04"
	CUDA     string `json:"cuda,omitempty"`   // the driver's CUDA version, e.g. "13.0"
	NVML     string `json:"nvml,omitempty"`
	// NoGPU says why no GPU is reported ("" when NVML answered, even with zero devices).
	NoGPU string `json:"no_gpu,omitempty"`
}

// GPU is one device as NVML enumerates it. Index is NVML's index, which is PCI bus order;
// the benchmark rule sets CUDA_DEVICE_ORDER=PCI_BUS_ID so CUDA numbers devices the same way.
type GPU struct {
	Index             int    `json:"index"`
	Name              string `json:"name"`
	UUID              string `json:"uuid"`
	ComputeCapability string `json:"compute_capability"` // "9.0"
	MemoryMiB         int    `json:"memory_mib"`
	// MaxSMClockMHz is the highest SM clock the device may run at (0 when NVML does not say):
	// the reference a run's clock readings are judged against.
	MaxSMClockMHz int `json:"max_sm_clock_mhz,omitempty"`
}

// Prober holds an initialised NVML library and the devices it found. It is safe for
// concurrent use: after New it is only read, and NVML itself is thread-safe.
type Prober struct {
	lib     nvml.Interface
	info    Info
	devices map[int]nvml.Device // by NVML index; empty when NVML is unavailable
}

var defaultProber = sync.OnceValue(func() *Prober { return New(nvml.New()) })

// Probe returns the process-wide prober. NVML is initialised on the first call, which takes
// tens of milliseconds with a driver; every later call returns the same value at once. The
// library is never shut down: it lives as long as the process, as readings are taken until
// the end of a build.
func Probe() *Prober { return defaultProber() }

// New initialises lib and reads the static facts. Any NVML failure, or a panic in the binding,
// becomes "no GPU" with the reason in Info.NoGPU.
func New(lib nvml.Interface) (p *Prober) {
	p = &Prober{lib: lib, info: Info{CPUModel: cpuModel(), CPUCount: runtime.NumCPU(), GPUs: []GPU{}}, devices: map[int]nvml.Device{}}
	defer func() {
		if r := recover(); r != nil {
			p.devices = map[int]nvml.Device{}
			p.info.GPUs = []GPU{}
			p.info.NoGPU = fmt.Sprintf("NVML failed: %v", r)
		}
	}()
	if ret := lib.Init(); ret != nvml.SUCCESS {
		p.info.NoGPU = initProblem(ret)
		return p
	}
	if v, ret := lib.SystemGetDriverVersion(); ret == nvml.SUCCESS {
		p.info.Driver = v
	}
	if v, ret := lib.SystemGetCudaDriverVersion(); ret == nvml.SUCCESS && v > 0 {
		p.info.CUDA = fmt.Sprintf("%d.%d", v/1000, v%1000/10)
	}
	if v, ret := lib.SystemGetNVMLVersion(); ret == nvml.SUCCESS {
		p.info.NVML = v
	}
	count, ret := lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		p.info.NoGPU = "NVML could not count the GPUs: " + ret.Error()
		return p
	}
	for i := 0; i < count; i++ {
		dev, ret := lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			// A device NVML cannot open (lost, or hidden by a container) is no device to us.
			continue
		}
		g := GPU{Index: i}
		if v, ret := dev.GetName(); ret == nvml.SUCCESS {
			g.Name = v
		}
		if v, ret := dev.GetUUID(); ret == nvml.SUCCESS {
			g.UUID = v
		}
		if major, minor, ret := dev.GetCudaComputeCapability(); ret == nvml.SUCCESS {
			g.ComputeCapability = fmt.Sprintf("%d.%d", major, minor)
		}
		if m, ret := dev.GetMemoryInfo(); ret == nvml.SUCCESS {
			g.MemoryMiB = int(m.Total >> 20)
		}
		g.MaxSMClockMHz = maxSMClock(dev)
		p.info.GPUs = append(p.info.GPUs, g)
		p.devices[i] = dev
	}
	return p
}

// initProblem turns NVML's init failure into the sentence doctor prints.
func initProblem(ret nvml.Return) string {
	switch ret {
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		return "the NVIDIA driver library (libnvidia-ml.so.1) was not found"
	case nvml.ERROR_DRIVER_NOT_LOADED:
		return "the NVIDIA driver is not loaded"
	case nvml.ERROR_NO_PERMISSION:
		return "NVML was denied access to the GPUs"
	}
	return "NVML did not start: " + ret.Error()
}

// Info returns the static facts.
func (p *Prober) Info() Info {
	info := p.info
	info.GPUs = append([]GPU{}, p.info.GPUs...)
	return info
}

// DeviceIndices lists the NVML indices of the GPUs found, for the scheduler's GPU pool.
func (p *Prober) DeviceIndices() []int {
	out := make([]int, len(p.info.GPUs))
	for i, g := range p.info.GPUs {
		out[i] = g.Index
	}
	return out
}

// GPU returns the device with NVML index i.
func (i Info) GPU(index int) (GPU, bool) {
	for _, g := range i.GPUs {
		if g.Index == index {
			return g, true
		}
	}
	return GPU{}, false
}

// GPUModel names the GPUs: one name for a machine of one model, the distinct names joined
// otherwise (a mixed machine is its own class).
func (i Info) GPUModel() string {
	seen := map[string]bool{}
	var names []string
	for _, g := range i.GPUs {
		if !seen[g.Name] {
			seen[g.Name] = true
			names = append(names, g.Name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, " + ")
}

// DriverMajor is the driver's major version ("580" of "580.159.04"): minor driver updates
// keep timings comparable; a new branch may not.
func (i Info) DriverMajor() string {
	major, _, _ := strings.Cut(i.Driver, ".")
	return major
}

// maxSMClock asks for the device's maximum SM clock. It is read apart from the other facts so
// that a binding that cannot answer (a mock without it, an old driver) costs this one number,
// not the whole device.
func maxSMClock(dev nvml.Device) (mhz int) {
	defer func() {
		if recover() != nil {
			mhz = 0
		}
	}()
	if v, ret := dev.GetMaxClockInfo(nvml.CLOCK_SM); ret == nvml.SUCCESS {
		return int(v)
	}
	return 0
}
