package benchmark

import "github.com/isobench/isobench/rules/artifact"

// A Run is one process in the schedule.
type Run struct {
	Side   artifact.Side
	Index  int // 0-based per side, warmups first
	Warmup bool
}

// Schedule interleaves base and head runs in the balanced order A B B A A B B A ...: pair k
// runs base first when k is even and head first when it is odd. A slow drift of the machine
// (a GPU warming up, a neighbour starting work, the page cache filling) then adds about as much
// to one side as to the other, and neither side always runs right after the other's process
// has warmed the caches. Each side gets warmup runs (first, so they take the machine's first
// moments) followed by samples.
//
// scripts/bench-stats uses it too, so the quality figures are those of this order.
func Schedule(warmup, samples int) []Run {
	return ScheduleSides([]artifact.Side{artifact.Base, artifact.Head}, warmup, samples)
}

// ScheduleSides is Schedule for any number of sides (base, head and a variant): round k runs
// every side once, starting from side k mod n, so over n rounds each side runs once in each
// position, and a drift of the machine is shared alike. For two sides it is A B B A A B ...
func ScheduleSides(sides []artifact.Side, warmup, samples int) []Run {
	n := warmup + samples
	order := make([]Run, 0, len(sides)*n)
	for k := 0; k < n; k++ {
		for j := range sides {
			order = append(order, Run{Side: sides[(k+j)%len(sides)], Index: k, Warmup: k < warmup})
		}
	}
	return order
}
