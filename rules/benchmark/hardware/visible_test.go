package hardware

import (
	"reflect"
	"testing"
)

func TestUsable(t *testing.T) {
	info := Info{GPUs: []GPU{{Index: 0, UUID: "GPU-aaaa"}, {Index: 1, UUID: "GPU-bbbb"}}}
	for _, c := range []struct {
		value string
		set   bool
		want  []int
	}{
		{"", false, []int{0, 1}},
		{"0", true, []int{0}},
		{"1,0", true, []int{1, 0}},
		{"GPU-bbbb", true, []int{1}},
		{"GPU-bb", true, []int{1}}, // a UUID prefix, as CUDA accepts
		{"", true, nil},
		{"0,7,1", true, []int{0}}, // CUDA stops at the first invalid entry
		{"-1", true, nil},
	} {
		if got := Usable(info, c.value, c.set); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Usable(%q, set=%v) = %v, want %v", c.value, c.set, got, c.want)
		}
	}
}
