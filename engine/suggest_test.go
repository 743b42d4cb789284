package engine

import "testing"

func TestSuggest(t *testing.T) {
	targets := []string{"flash_attn_cpu", "vllm_wheel", "gpt5", "perf", "vllm_source"}
	tests := []struct {
		s          string
		candidates []string
		want       string
	}{
		{"flash_attn_cpo", targets, "flash_attn_cpu"},
		{"flash_atn_cpu", targets, "flash_attn_cpu"},
		{"vllm_wheels", targets, "vllm_wheel"},
		{"VLLM_Wheel", targets, "vllm_wheel"}, // case is ignored
		{"gpt4", targets, "gpt5"},
		{"gtp5", targets, "gpt5"},  // a transposition costs 2, within the floor of 2
		{"pref", targets, "perf"},  // likewise
		{"perfx", targets, "perf"}, // 1 of 5 runes
		{"xyz", targets, ""},       // nothing near
		{"flash", targets, ""},     // a prefix is not near when the rest is long
		{"gpt5", targets, "gpt5"},  // an exact match is nearest of all
		{"vllm_whee", targets, "vllm_wheel"},
		{"anything", nil, ""},
		// The limit is max(2, len/3) characters.
		{"abcdefghi", []string{"abcdefxyz"}, "abcdefxyz"}, // 3 of 9
		{"abcdefghi", []string{"abcdewxyz"}, ""},          // 4 of 9
		{"ab", []string{"xy"}, "xy"},                      // 2, the floor
		{"abc", []string{"xyz"}, ""},                      // 3 of 3
		// Characters, not bytes: é against e is one edit.
		{"café_1", []string{"cafe_1"}, "cafe_1"},
		{"ééé", []string{"eee"}, ""},
		// Ties go to the candidate that sorts first, whatever the order given.
		{"ab", []string{"ac", "aa"}, "aa"},
		{"ab", []string{"aa", "ac"}, "aa"},
		// A nearer candidate wins over one that sorts first.
		{"abcd", []string{"abzz", "abcz"}, "abcz"},
	}
	for _, tc := range tests {
		if got := Suggest(tc.s, tc.candidates); got != tc.want {
			t.Errorf("Suggest(%q, %q) = %q, want %q", tc.s, tc.candidates, got, tc.want)
		}
	}
}

func TestSuggestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"abc", "abc", 0},
		{"kitten", "sitting", 3},
		{"flaw", "lawn", 2},
		{"ab", "ba", 2},
		{"é", "e", 1},
		{"intention", "execution", 5},
	}
	for _, tc := range tests {
		if got := editDistance([]rune(tc.a), []rune(tc.b)); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := editDistance([]rune(tc.b), []rune(tc.a)); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}
