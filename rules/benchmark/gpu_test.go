package benchmark

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/benchmark/hardware"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
	"github.com/isobench/isobench/rules/ruletest"
)

// gpuScript reports the device it was given as its value (device index + 1), and writes when
// it ran, so the test can see that two measurements held two devices at once.
func gpuScript(spans string) string {
	return fmt.Sprintf(`import os, time
dev = os.environ["CUDA_VISIBLE_DEVICES"]
assert os.environ["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
start = time.time()
while time.time() - start < 0.3:
    pass
with open(%q, "a") as f:
    f.write("%%s %%f %%f\n" %% (dev, start, time.time()))
print("Execution time: %%ds" %% (int(dev) + 1))
`, spans)
}

func TestGPUMeasurementsWithMockNVML(t *testing.T) {
	h100s := hardware.Simulate(2, hardware.SimulatedH100, 1)
	useProber(t, h100s)
	r := gittest.New(t)
	r.Commit("a", map[string]string{"README": "a\n"})
	head := r.Commit("b", map[string]string{"README": "b\n"})
	spansDir := t.TempDir()
	engine.ShareWithSandboxes(t, spansDir) // the runs write their spans from their sandboxes
	spans := filepath.Join(spansDir, "spans")
	files := map[string]string{
		"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
	}
	var bench strings.Builder
	for _, name := range []string{"gpu_a", "gpu_b"} {
		fmt.Fprintf(&bench, `benchmark %q {
  commit  = "//commits:c"
  script  = %s
  samples = 2
  warmup  = 0
  requires {
    gpus               = 1
    compute_capability = "9.0"
    memory_gb          = 80
  }
}
`, name, ruletest.Quote(gpuScript(spans)))
	}
	files["benchmarks/BUILD.hcl"] = bench.String()
	w := newWorkspace(t, files)
	b := w.build(h100s.DeviceIndices())

	devices := map[int]string{}
	for _, name := range []string{"gpu_a", "gpu_b"} {
		o, rec, log := b.measure(t, name)
		if o.Outcome.Status != engine.StatusOK {
			t.Fatalf("%s: %s %s: %s\n%s", name, o.Outcome.Status, o.Outcome.Class, o.Outcome.Message, log)
		}
		// Every sample of a measurement ran on the one device it held.
		dev := int(rec.BaseValues[0]) - 1
		for _, v := range append(rec.BaseValues, rec.HeadValues...) {
			if int(v)-1 != dev {
				t.Errorf("%s: samples ran on devices %v and %v", name, dev, v-1)
			}
		}
		devices[dev] = name
		g := h100s.Info().GPUs[dev]
		if len(rec.Hardware.GPUUUIDs) != 1 || rec.Hardware.GPUUUIDs[0] != g.UUID || rec.Hardware.GPUName != "NVIDIA H100 80GB HBM3" ||
			rec.Hardware.GPUCount != 2 || rec.Hardware.Driver != "580.159.04" || rec.Hardware.CUDA != "13.0" {
			t.Errorf("%s: hardware %+v", name, rec.Hardware)
		}
		for _, s := range rec.Samples {
			if s.Before == nil || s.After == nil || s.Before.UUID != g.UUID || s.After.SMClockMHz != 1980 || s.Before.PowerLimitW != 700 {
				t.Errorf("%s: sample without its GPU readings: %+v", name, s)
				continue
			}
			if s.Throttled != (dev == 1) {
				t.Errorf("%s on device %d: throttled %v, readings %v", name, dev, s.Throttled, s.After.ThrottleReasons)
			}
		}
		if want := map[bool]int{true: 4, false: 0}[dev == 1]; rec.ThrottledSamples != want {
			t.Errorf("%s on device %d: %d throttled samples, want %d", name, dev, rec.ThrottledSamples, want)
		}
	}
	if len(devices) != 2 {
		t.Errorf("both measurements held the same device: %v", devices)
	}
	if !overlapping(t, spans) {
		t.Error("the two measurements never ran at the same time, though each held its own GPU")
	}

	// The same hardware class replays; other hardware makes the measurements stale, and
	// nothing else.
	useProber(t, hardware.Simulate(2, hardware.SimulatedH100))
	if o, _, _ := w.build(h100s.DeviceIndices()).measure(t, "gpu_a"); !o.Outcome.Cached {
		t.Error("an identical machine (other UUIDs, no slowdown) did not replay the measurement")
	}
	four := hardware.Simulate(4, hardware.SimulatedH100)
	useProber(t, four)
	moved := w.build(four.DeviceIndices())
	if o, _, _ := moved.measure(t, "gpu_a"); o.Outcome.Cached {
		t.Error("a machine of 4 GPUs replayed a measurement made on 2")
	}
	if o := moved.ByID("commit //commits:c"); o == nil || !o.Outcome.Cached {
		t.Error("other hardware made the commit stale")
	}

	// A machine that cannot meet the requirements skips without running, and says why.
	useProber(t, hardware.Simulate(1, hardware.SimulatedL4))
	skipped := w.build([]int{0})
	o, rec, _ := skipped.measure(t, "gpu_a")
	if o.Outcome.Status != engine.StatusSkipped || o.Outcome.Message != "needs compute capability 9.0, this machine has 8.9" {
		t.Errorf("on an L4: %s: %q", o.Outcome.Status, o.Outcome.Message)
	}
	if rec == nil || rec.Hardware.GPUName != "NVIDIA L4" || len(rec.Samples) != 0 {
		t.Errorf("on an L4: record %+v", rec)
	}
}

// overlapping reports whether runs on different devices overlapped in time.
func overlapping(t *testing.T, path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type span struct {
		dev        string
		start, end float64
	}
	var spans []span
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		start, _ := strconv.ParseFloat(f[1], 64)
		end, _ := strconv.ParseFloat(f[2], 64)
		spans = append(spans, span{f[0], start, end})
	}
	for _, a := range spans {
		for _, b := range spans {
			if a.dev != b.dev && a.start < b.end && b.start < a.end {
				return true
			}
		}
	}
	return false
}

// TestRealGPU measures on this machine's own GPUs through the real NVML binding, where there
// are any: readings before and after every sample, the device's UUID in the record, and a
// test that sees exactly the one device it holds. With PyTorch the test multiplies matrices on
// the GPU; without it, it only checks what it was given.
func TestRealGPU(t *testing.T) {
	info := hardware.Probe().Info()
	if len(info.GPUs) == 0 {
		t.Skipf("no GPU on this machine: %s", info.NoGPU)
	}
	r := gittest.New(t)
	r.Commit("a", map[string]string{"x": "a\n"})
	head := r.Commit("b", map[string]string{"x": "b\n"})
	script := `import json, os, time
print("CUDA_VISIBLE_DEVICES=" + os.environ["CUDA_VISIBLE_DEVICES"])
try:
    import torch
except ImportError:
    torch = None
if torch is not None and torch.cuda.is_available():
    assert torch.cuda.device_count() == 1, torch.cuda.device_count()
    print("device", torch.cuda.get_device_name(0))
    x = torch.randn(4096, 4096, device="cuda", dtype=torch.float16)
    for _ in range(3):
        x @ x
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(50):
        x @ x
    torch.cuda.synchronize()
    value = time.perf_counter() - start
else:
    start = time.perf_counter()
    sum(i * i for i in range(200000))
    value = time.perf_counter() - start
print(json.dumps({"metric": "matmul", "value": value, "unit": "s"}))
`
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
		"benchmarks/BUILD.hcl": `benchmark "real" {
  commit  = "//commits:c"
  script  = ` + ruletest.Quote(script) + `
  samples = 3
  warmup  = 0
  requires {
    gpus = 1
  }
}
`,
	})
	o, rec, log := w.build(hardware.Probe().DeviceIndices()).measure(t, "real")
	t.Logf("log:\n%s", log)
	if o.Outcome.Status != engine.StatusOK {
		t.Fatalf("%s %s: %s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message)
	}
	if len(rec.Hardware.GPUUUIDs) != 1 || rec.Hardware.GPUName == "" || rec.Hardware.Driver == "" || rec.Hardware.CUDA == "" {
		t.Errorf("hardware %+v", rec.Hardware)
	}
	for _, s := range rec.Samples {
		if s.Before == nil || s.After == nil || s.Before.UUID != rec.Hardware.GPUUUIDs[0] || s.After.SMClockMHz == 0 || s.After.PowerLimitW == 0 {
			t.Errorf("sample without readings: %+v", s)
			continue
		}
		t.Logf("%s %d: %.4g s; before %+v; after %+v", s.Side, s.Index, *s.Value, *s.Before, *s.After)
	}
	t.Logf("verdict %s: %s", rec.Stats.Verdict, rec.Stats.Reason)
}
