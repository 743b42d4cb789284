package hardware

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/isobench/isobench/engine"
)

// Requirements are what a benchmark needs of the machine (its `requires` block).
type Requirements struct {
	GPUs int
	// ComputeCapability is the lowest acceptable, "9.0"; "" for any.
	ComputeCapability string
	// MemoryGB is the least memory each GPU must have, in GB of 10^9 bytes as GPU makers
	// count them (an "80GB" H100 reports 81559 MiB); 0 for any.
	MemoryGB float64
	// FP8 asks for hardware FP8 matrix support: compute capability 8.9 (Ada) or newer.
	FP8 bool
}

// fp8Capability is the first compute capability with FP8 tensor cores (Ada Lovelace; Hopper
// is 9.0).
const fp8Capability = "8.9"

// Normalize returns the requirements with the GPU count implied by the others: asking for a
// compute capability, GPU memory or FP8 means asking for one GPU at least.
func (r Requirements) Normalize() Requirements {
	if r.GPUs == 0 && (r.ComputeCapability != "" || r.MemoryGB > 0 || r.FP8) {
		r.GPUs = 1
	}
	return r
}

// Validate reports a malformed requirement as a sentence.
func (r Requirements) Validate() error {
	if r.GPUs < 0 {
		return fmt.Errorf("gpus must be 0 or more, not %d", r.GPUs)
	}
	if r.MemoryGB < 0 {
		return fmt.Errorf("memory_gb must be 0 or more, not %g", r.MemoryGB)
	}
	if r.ComputeCapability != "" {
		if _, _, ok := parseCapability(r.ComputeCapability); !ok {
			return fmt.Errorf("compute_capability %q is not of the form MAJOR.MINOR, such as \"9.0\"", r.ComputeCapability)
		}
	}
	return nil
}

// Lines are the requirements as key lines (after Normalize), so a changed requirement makes
// the measurement stale.
func (r Requirements) Lines() []engine.Line {
	r = r.Normalize()
	return []engine.Line{
		engine.L("requires.gpus", r.GPUs),
		engine.L("requires.compute_capability", r.ComputeCapability),
		engine.L("requires.memory_gb", strconv.FormatFloat(r.MemoryGB, 'g', -1, 64)),
		engine.L("requires.fp8", r.FP8),
	}
}

// Check returns "" when the machine meets the requirements, else the reason it does not, as
// a sentence fragment users read in the skipped result: "needs compute capability 9.0, this
// machine has 8.9". Every GPU the benchmark could be given must qualify, because the
// scheduler hands out whichever devices are free.
func (r Requirements) Check(info Info) string {
	r = r.Normalize()
	if r.GPUs == 0 {
		return ""
	}
	if len(info.GPUs) < r.GPUs {
		have := fmt.Sprintf("%d", len(info.GPUs))
		if len(info.GPUs) == 0 {
			have = "none"
			if info.NoGPU != "" {
				have += " (" + info.NoGPU + ")"
			}
		}
		return fmt.Sprintf("needs %d GPU%s, this machine has %s", r.GPUs, plural(r.GPUs), have)
	}
	if r.ComputeCapability != "" {
		if g := lowestCapability(info.GPUs); !atLeast(g.ComputeCapability, r.ComputeCapability) {
			return fmt.Sprintf("needs compute capability %s, this machine has %s", r.ComputeCapability, orUnknown(g.ComputeCapability))
		}
	}
	if r.FP8 {
		if g := lowestCapability(info.GPUs); !atLeast(g.ComputeCapability, fp8Capability) {
			return fmt.Sprintf("needs FP8, which takes compute capability %s or newer, this machine has %s",
				fp8Capability, orUnknown(g.ComputeCapability))
		}
	}
	if r.MemoryGB > 0 {
		for _, g := range info.GPUs {
			if gb := float64(g.MemoryMiB) * (1 << 20) / 1e9; gb < r.MemoryGB {
				return fmt.Sprintf("needs %g GB of memory per GPU, this machine's %s has %.1f GB", r.MemoryGB, g.Name, gb)
			}
		}
	}
	return ""
}

func lowestCapability(gpus []GPU) GPU {
	low := gpus[0]
	for _, g := range gpus[1:] {
		if !atLeast(g.ComputeCapability, low.ComputeCapability) {
			low = g
		}
	}
	return low
}

// atLeast compares compute capabilities numerically ("10.0" is above "9.0"); an unknown one
// meets nothing.
func atLeast(have, want string) bool {
	hm, hn, ok := parseCapability(have)
	if !ok {
		return false
	}
	wm, wn, ok := parseCapability(want)
	if !ok {
		return false
	}
	return hm > wm || hm == wm && hn >= wn
}

func parseCapability(s string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(strings.TrimSpace(s), ".")
	if !found {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(a)
	minor, err2 := strconv.Atoi(b)
	return major, minor, err1 == nil && err2 == nil && major >= 0 && minor >= 0
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown one"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
