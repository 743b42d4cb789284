package environment

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// linux311 is CPython 3.11 on x86_64 Linux with glibc 2.35, as a probe reports it.
var linux311 = &pythonInfo{Version: "3.11.7", Implementation: "cpython", Platform: "linux-x86_64", Libc: "glibc 2.35",
	SOABI: "cpython-311-x86_64-linux-gnu", Is64Bit: true, Major: 3, Minor: 11}

func TestSupportedTags(t *testing.T) {
	tags := supportedTags(linux311)
	if tags[0] != "cp311-cp311-manylinux_2_35_x86_64" {
		t.Errorf("most preferred tag %s", tags[0])
	}
	if tags[len(tags)-1] != "py30-none-any" {
		t.Errorf("least preferred tag %s", tags[len(tags)-1])
	}
	ranks := rankTags(tags)
	// vLLM's wheels: the stable ABI from 3.8, manylinux1 (glibc 2.5).
	for _, fn := range []string{
		"vllm-0.6.3-cp38-abi3-manylinux1_x86_64.whl",
		"vllm-0.10.1.dev12+gabc-cp38-abi3-manylinux_2_28_x86_64.whl",
		"torch-2.4.0-cp311-cp311-manylinux2014_x86_64.whl",
		"numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"six-1.16.0-py2.py3-none-any.whl",
		"toy-1.0-py311-none-any.whl",
	} {
		w, err := parseWheelName(fn)
		if err != nil {
			t.Fatal(err)
		}
		if ranks.rank(w) < 0 {
			t.Errorf("%s is not recognized as installable on CPython 3.11, glibc 2.35", fn)
		}
	}
	for _, fn := range []string{
		"vllm-0.6.3-cp38-abi3-manylinux_2_36_x86_64.whl", // needs a newer glibc
		"torch-2.4.0-cp312-cp312-manylinux2014_x86_64.whl",
		"torch-2.4.0-cp311-cp311-manylinux2014_aarch64.whl",
		"numpy-1.26.4-cp311-cp311-musllinux_1_1_x86_64.whl",
		"x-1.0-cp311-cp311-macosx_11_0_arm64.whl",
		"x-1.0-py2-none-any.whl",
		"x-1.0-py312-none-any.whl",
	} {
		w, err := parseWheelName(fn)
		if err != nil {
			t.Fatal(err)
		}
		if ranks.rank(w) >= 0 {
			t.Errorf("%s is taken as installable on CPython 3.11, glibc 2.35", fn)
		}
	}
	// More specific beats more general, as in pip.
	specific, _ := parseWheelName("x-1.0-cp311-cp311-manylinux_2_17_x86_64.whl")
	abi3, _ := parseWheelName("x-1.0-cp38-abi3-manylinux_2_17_x86_64.whl")
	pure, _ := parseWheelName("x-1.0-py3-none-any.whl")
	if !(ranks.rank(specific) < ranks.rank(abi3) && ranks.rank(abi3) < ranks.rank(pure)) {
		t.Errorf("ranks: cp311 %d, abi3 %d, pure %d", ranks.rank(specific), ranks.rank(abi3), ranks.rank(pure))
	}

	arm := *linux311
	arm.Platform, arm.Libc = "linux-aarch64", "glibc 2.17"
	if p := platformTags(&arm); !slices.Equal(p, []string{"manylinux_2_17_aarch64", "manylinux2014_aarch64", "linux_aarch64"}) {
		t.Errorf("aarch64 glibc 2.17 platforms: %v", p)
	}
	mac := *linux311
	mac.Platform, mac.Libc = "macosx-14.0-arm64", ""
	if p := platformTags(&mac); !slices.Equal(p, []string{"macosx_14_0_arm64"}) {
		t.Errorf("macOS platforms: %v", p)
	}
	if _, err := parseWheelName("toy-1.0.tar.gz"); err == nil {
		t.Errorf("an sdist parsed as a wheel")
	}
}

func TestTagsOfThisInterpreter(t *testing.T) {
	py, err := findPython(context.Background(), []string{"3"})
	if err != nil {
		t.Skipf("no Python 3 here: %v", err)
	}
	// pip computes the same list from the same interpreter; compare where pip is there.
	if py.Pip == "" {
		t.Skip("this Python has no pip to compare the tags with")
	}
	st := &step{ctx: context.Background(), log: &strings.Builder{}, env: probeEnv(), timeout: probeTimeout}
	out, err := st.exec("pip debug", py.Exe, "-c", "from pip._internal.utils.compatibility_tags import get_supported\nfor t in get_supported(): print(t)")
	if err != nil {
		t.Skipf("pip's tags cannot be read here: %v", err)
	}
	want := strings.Fields(string(out))
	got := supportedTags(py)
	if !slices.Equal(got, want) {
		n := min(len(got), len(want))
		for i := 0; i < n; i++ {
			if got[i] != want[i] {
				t.Fatalf("tag %d: ours %s, pip's %s (%d vs %d tags)", i, got[i], want[i], len(got), len(want))
			}
		}
		t.Fatalf("ours has %d tags, pip's %d", len(got), len(want))
	}
}
