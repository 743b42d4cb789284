package hardware

import (
	"os"
	"testing"
	"time"

	"github.com/isobench/isobench/rules/artifact"
)

func TestWatchReadsDuringTheRun(t *testing.T) {
	p := Simulate(2, SimulatedH100, 1)
	w := p.Watch([]int{0, 1}, 10*time.Millisecond)
	time.Sleep(60 * time.Millisecond)
	seen := w.Stop()
	if len(seen.GPUs) != 2 || seen.GPUs[0].Readings < 3 || seen.GPUs[0].SMClockMedMHz != 1980 || seen.GPUs[0].DeviceMaxSMMHz != 1980 {
		t.Fatalf("watched %+v", seen.GPUs)
	}
	if !seen.Throttled() || seen.LowClock() {
		t.Errorf("device 1 is hot and both run at full clock: throttled %v, low clock %v", seen.Throttled(), seen.LowClock())
	}
	if len(seen.First) != 2 || len(seen.Last) != 2 || seen.First[1].TemperatureC != 85 {
		t.Errorf("first and last readings %+v %+v", seen.First, seen.Last)
	}
	if seen.CPU == nil || seen.CPU.CPUs < 1 || seen.CPU.ProcsRunningMedian < 1 {
		t.Errorf("cpu load %+v", seen.CPU)
	}
	// A CPU benchmark watches no GPU but still the load.
	if seen := p.Watch(nil, time.Hour).Stop(); len(seen.GPUs) != 0 || seen.CPU == nil {
		t.Errorf("a watch of no GPU: %+v", seen)
	}
}

func TestRunSummaryAndFlags(t *testing.T) {
	idle := []artifact.GPUState{{SMClockMHz: 345, PowerW: 70}, {SMClockMHz: 345, PowerW: 72}, {SMClockMHz: 900, PowerW: 90, ThrottleReasons: []string{"gpu_idle"}}}
	g := summarize(idle, 1980)
	if g.SMClockMinMHz != 345 || g.SMClockMedMHz != 345 || g.SMClockMaxMHz != 900 || g.PowerMedianW != 72 || g.PowerMaxW != 90 || len(g.ThrottleReasons) != 1 {
		t.Errorf("summary %+v", g)
	}
	if !(Watched{GPUs: []artifact.GPURun{g}}).LowClock() {
		t.Error("a run that never passed 900 of 1980 MHz must be flagged low_clock")
	}
	ramped := summarize(append(idle, artifact.GPUState{SMClockMHz: 1980}), 1980)
	if (Watched{GPUs: []artifact.GPURun{ramped}}).LowClock() {
		t.Error("a run that reached the maximum clock once is not low_clock")
	}
	if (Watched{GPUs: []artifact.GPURun{summarize(idle, 0)}}).LowClock() {
		t.Error("without the device's maximum nothing can be called low")
	}
	for load, want := range map[artifact.CPULoad]bool{
		{ProcsRunningMedian: 2, CPUs: 2}:                    false,
		{ProcsRunningMedian: 3, CPUs: 2}:                    true,
		{ProcsRunningMedian: 1, CPUs: 16, StealPercent: 25}: true,
	} {
		if got := CPULoaded(&load); got != want {
			t.Errorf("CPULoaded(%+v) = %v, want %v", load, got, want)
		}
	}
}

func TestCPUTimesFromProc(t *testing.T) {
	dir := t.TempDir()
	old := procPath
	procPath = dir
	t.Cleanup(func() { procPath = old })
	write := func(stat string) {
		if err := writeFile(dir+"/stat", stat); err != nil {
			t.Fatal(err)
		}
	}
	write("cpu  100 0 100 700 0 0 0 100 0 0\ncpu0 1 2 3\nprocs_running 5\n")
	before := readCPUTimes()
	if n, ok := readProcsRunning(); !ok || n != 5 {
		t.Errorf("procs_running %d %v", n, ok)
	}
	write("cpu  150 0 150 750 0 0 0 150 0 0\nprocs_running 1\n")
	c := cpuLoad([]float64{5, 1, 3}, before, readCPUTimes(), 1.5)
	if c.StealPercent != 25 || c.ProcsRunningMedian != 3 || c.Load1 != 1.5 {
		t.Errorf("load %+v, want 25%% steal, median 3 runnable", c)
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }
