package hardware

import (
	"strconv"
	"strings"
)

// Usable lists the NVML indices of the GPUs isobench may hand to measurements. Like CUDA,
// isobench honours CUDA_VISIBLE_DEVICES in its own environment: `CUDA_VISIBLE_DEVICES=0
// isobench build` uses only device 0. Entries are indices (in PCI bus order, as the
// measurements number them) or UUIDs ("GPU-..."); as in CUDA, the list stops at the first
// entry that names no device, and an empty value hides every GPU. visible is the variable's
// value and set whether it is set at all.
func Usable(info Info, visible string, set bool) []int {
	var all []int
	for _, g := range info.GPUs {
		all = append(all, g.Index)
	}
	if !set {
		return all
	}
	var out []int
	seen := map[int]bool{}
	for _, entry := range strings.Split(visible, ",") {
		entry = strings.TrimSpace(entry)
		index, ok := -1, false
		if n, err := strconv.Atoi(entry); err == nil {
			_, ok = info.GPU(n)
			index = n
		} else {
			for _, g := range info.GPUs {
				if entry != "" && (g.UUID == entry || strings.HasPrefix(g.UUID, entry)) {
					index, ok = g.Index, true
					break
				}
			}
		}
		if !ok {
			break
		}
		if !seen[index] {
			seen[index] = true
			out = append(out, index)
		}
	}
	return out
}
