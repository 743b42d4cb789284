package hardware

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/benchmark/stats"
)

// procPath is where Linux describes its processes and CPUs; a variable so a test can point it
// at a fixture.
var procPath = "/proc"

// cpuTimes are the machine's CPU times from /proc/stat's first line, in clock ticks.
type cpuTimes struct{ total, steal uint64 }

func readCPUTimes() cpuTimes {
	f, err := os.Open(procPath + "/stat")
	if err != nil {
		return cpuTimes{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return cpuTimes{}
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 9 || fields[0] != "cpu" {
		return cpuTimes{}
	}
	var t cpuTimes
	// user nice system idle iowait irq softirq steal [guest guest_nice, already in user]
	for i, f := range fields[1:9] {
		v, _ := strconv.ParseUint(f, 10, 64)
		t.total += v
		if i == 7 {
			t.steal = v
		}
	}
	return t
}

// readProcsRunning is the kernel's count of runnable tasks (procs_running in /proc/stat).
func readProcsRunning() (int, bool) {
	data, err := os.ReadFile(procPath + "/stat")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "procs_running "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			return n, err == nil
		}
	}
	return 0, false
}

func readLoad1() float64 {
	data, err := os.ReadFile(procPath + "/loadavg")
	if err != nil {
		return math.NaN()
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// usableCPUs is how many CPUs this process may run on (its affinity mask), which a container
// or taskset may make fewer than the machine has.
func usableCPUs() int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) == nil && set.Count() > 0 {
		return set.Count()
	}
	return 1
}

func cpuLoad(procs []float64, before, after cpuTimes, load1 float64) *artifact.CPULoad {
	if len(procs) == 0 && before.total == 0 {
		return nil
	}
	c := &artifact.CPULoad{CPUs: usableCPUs()}
	if !math.IsNaN(load1) {
		c.Load1 = load1
	}
	if len(procs) > 0 {
		c.ProcsRunningMedian = stats.Median(procs)
	}
	if after.total > before.total {
		c.StealPercent = math.Round(float64(after.steal-before.steal)/float64(after.total-before.total)*1000) / 10
	}
	return c
}
