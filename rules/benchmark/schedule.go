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
	n := warmup + samples
	order := make([]Run, 0, 2*n)
	for k := 0; k < n; k++ {
		first, second := artifact.Base, artifact.Head
		if k%2 == 1 {
			first, second = second, first
		}
		order = append(order,
			Run{Side: first, Index: k, Warmup: k < warmup},
			Run{Side: second, Index: k, Warmup: k < warmup})
	}
	return order
}
