package engine

import (
	"fmt"
	"strings"
)

// Suggest returns the candidate nearest to s by edit distance, for a "did you
// mean" hint: the Levenshtein distance between the two, ignoring case,
// counted in characters. A candidate further than max(2, len(s)/3) is too far
// to be what the user meant; when none is near enough Suggest returns "".
// Ties go to the candidate that sorts first, so the hint does not depend on
// the order of candidates (often a map's keys).
func Suggest(s string, candidates []string) string {
	target := []rune(strings.ToLower(s))
	limit := max(2, len(target)/3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		d := editDistance(target, []rune(strings.ToLower(c)))
		if d < bestDist || d == bestDist && c < best {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance returns the Levenshtein distance between a and b: the fewest
// insertions, deletions and substitutions of one rune that turn a into b.
func editDistance(a, b []rune) int {
	// prev[j] is the distance between the first i-1 runes of a and the
	// first j of b; cur is being filled in for the first i runes of a.
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// didYouMean is a diagnostic's closing hint naming the nearest candidate, or "" when none is
// near enough.
func didYouMean(s string, candidates []string) string {
	if c := Suggest(s, candidates); c != "" {
		return fmt.Sprintf(" Did you mean %q?", c)
	}
	return ""
}
