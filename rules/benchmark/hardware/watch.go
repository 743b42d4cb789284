package hardware

import (
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/benchmark/stats"
)

// WatchInterval is how often a run's GPUs and CPU load are read while it executes. Clocks ramp
// from idle (345 MHz on an H200) to full speed within tens of milliseconds of work arriving and
// fall back about as fast; 100 ms catches every phase of a run that lasts a second or more,
// and one NVML reading costs well under a millisecond, so the watcher takes under 1% of a core.
const WatchInterval = 100 * time.Millisecond

// LowClockFraction: a run whose highest SM clock reading stayed below this fraction of the
// GPU's maximum never ran at speed (the device sat at idle or a power-saving clock the whole
// run), and is flagged low_clock. Half, because a busy GPU held back by its power cap still
// runs at 70 to 90% of its maximum; below half it is idle or broken.
const LowClockFraction = 0.5

// A Watch reads GPUs and the CPU load periodically while a run executes. It only reads: no
// clock, power limit or persistence setting is ever changed, so the measurement sees the
// machine as its users do.
type Watch struct {
	p       *Prober
	indices []int
	stop    chan struct{}
	done    chan struct{}

	mu    sync.Mutex
	gpus  [][]artifact.GPUState // by position in indices
	procs []float64
	cpu0  cpuTimes
	load1 float64
}

// Watch starts reading the devices with the given NVML indices (none for a CPU benchmark)
// and the CPU load every interval, with one reading at once.
func (p *Prober) Watch(indices []int, interval time.Duration) *Watch {
	w := &Watch{p: p, indices: indices, stop: make(chan struct{}), done: make(chan struct{}),
		gpus: make([][]artifact.GPUState, len(indices)), cpu0: readCPUTimes(), load1: readLoad1()}
	w.read()
	go func() {
		defer close(w.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.read()
			}
		}
	}()
	return w
}

func (w *Watch) read() {
	procs, ok := readProcsRunning()
	w.mu.Lock()
	defer w.mu.Unlock()
	if ok {
		w.procs = append(w.procs, float64(procs))
	}
	for i, idx := range w.indices {
		if st, err := w.p.Read(idx); err == nil {
			w.gpus[i] = append(w.gpus[i], *st)
		}
	}
}

// Stop takes a last reading and returns the summary of each GPU (in the order of the indices
// given to Watch) and of the CPU load, with the raw first and last reading of each GPU.
func (w *Watch) Stop() Watched {
	close(w.stop)
	<-w.done
	w.read()
	out := Watched{CPU: cpuLoad(w.procs, w.cpu0, readCPUTimes(), w.load1)}
	for i, rs := range w.gpus {
		if len(rs) == 0 {
			continue
		}
		g, _ := w.p.info.GPU(w.indices[i])
		out.GPUs = append(out.GPUs, summarize(rs, g.MaxSMClockMHz))
		out.First = append(out.First, rs[0])
		out.Last = append(out.Last, rs[len(rs)-1])
	}
	return out
}

// Watched is what a Watch saw.
type Watched struct {
	GPUs        []artifact.GPURun
	First, Last []artifact.GPUState // the first and last reading of each GPU summarised
	CPU         *artifact.CPULoad
}

// Throttled reports whether any GPU showed a hardware slowdown during the run.
func (w Watched) Throttled() bool {
	for _, g := range w.GPUs {
		for _, r := range g.ThrottleReasons {
			if slowdownReasons[r] {
				return true
			}
		}
	}
	return false
}

// LowClock reports whether some GPU's SM clock stayed below LowClockFraction of its maximum
// in every reading of the run.
func (w Watched) LowClock() bool {
	for _, g := range w.GPUs {
		if g.DeviceMaxSMMHz > 0 && g.Readings > 0 && float64(g.SMClockMaxMHz) < LowClockFraction*float64(g.DeviceMaxSMMHz) {
			return true
		}
	}
	return false
}

// LoadedStealPercent: a run during which the hypervisor took more than this share of the CPU
// time ran on a machine whose other tenants were busy. 10%: a quiet cloud VM shows under 1%.
const LoadedStealPercent = 10

// CPULoaded reports whether the run competed for the CPU: more tasks runnable, at the median
// reading, than this process has CPUs, or steal time above LoadedStealPercent.
func CPULoaded(c *artifact.CPULoad) bool {
	if c == nil {
		return false
	}
	return c.ProcsRunningMedian > float64(c.CPUs) || c.StealPercent > LoadedStealPercent
}

func summarize(rs []artifact.GPUState, deviceMax int) artifact.GPURun {
	g := artifact.GPURun{UUID: rs[0].UUID, Readings: len(rs), DeviceMaxSMMHz: deviceMax}
	sm := make([]float64, len(rs))
	power := make([]float64, 0, len(rs))
	reasons := map[string]bool{}
	for i, r := range rs {
		sm[i] = float64(r.SMClockMHz)
		if !math.IsNaN(r.PowerW) {
			power = append(power, r.PowerW)
		}
		g.TemperatureMaxC = max(g.TemperatureMaxC, r.TemperatureC)
		for _, why := range r.ThrottleReasons {
			reasons[why] = true
		}
	}
	sort.Float64s(sm)
	g.SMClockMinMHz, g.SMClockMaxMHz = int(sm[0]), int(sm[len(sm)-1])
	g.SMClockMedMHz = int(math.Round(stats.Median(sm)))
	if len(power) > 0 {
		sort.Float64s(power)
		g.PowerMedianW = math.Round(stats.Median(power)*10) / 10
		g.PowerMaxW = power[len(power)-1]
	}
	for why := range reasons {
		g.ThrottleReasons = append(g.ThrottleReasons, why)
	}
	slices.Sort(g.ThrottleReasons)
	return g
}
