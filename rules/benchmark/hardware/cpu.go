package hardware

import (
	"bufio"
	"os"
	"runtime"
	"strings"
)

// cpuInfoPath is where Linux describes its processors; a variable so a test can point it at a
// fixture of another architecture.
var cpuInfoPath = "/proc/cpuinfo"

// cpuModel names the CPU as the kernel does ("AMD EPYC 7B13"). x86 kernels give a
// "model name"; ARM kernels often give none, so the implementer and part numbers stand in
// (they identify the core design, e.g. Neoverse V2 on Grace). Without /proc/cpuinfo the
// architecture is all we know.
func cpuModel() string {
	f, err := os.Open(cpuInfoPath)
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	fields := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if _, seen := fields[k]; !seen && v != "" {
			fields[k] = v
		}
	}
	switch {
	case fields["model name"] != "":
		return strings.Join(strings.Fields(fields["model name"]), " ")
	case fields["Hardware"] != "":
		return fields["Hardware"]
	case fields["CPU implementer"] != "":
		return runtime.GOARCH + " implementer " + fields["CPU implementer"] + " part " + fields["CPU part"]
	}
	return runtime.GOARCH
}
