package benchmark

import (
	"fmt"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/benchmark/hardware"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
)

// TestMachineFactsAreTheKeys checks that the machine facts a build answered from its record
// probes again (engine.MachineProber) are what the measurement key holds of the machine, so
// that another GPU (here a simulated one, through the probe seam) or another python3 is seen
// by the record as by the key, and that a record holding the old facts is no longer good.
func TestMachineFactsAreTheKeys(t *testing.T) {
	r := gittest.New(t)
	r.Commit("a", map[string]string{"x": "a\n"})
	head := r.Commit("b", map[string]string{"x": "b\n"})
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl":    fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
		"benchmarks/BUILD.hcl": "benchmark \"k\" {\n  commit = \"//commits:c\"\n  command = \"echo 'Execution time: 1s'\"\n  samples = 1\n  warmup = 0\n}\n",
	})
	facts := func() map[string]string {
		m := map[string]string{}
		for _, name := range []string{factHardware, factPython} {
			v, ok := Kind{}.MachineFact(name)
			if !ok {
				t.Fatalf("the kind does not know its own fact %s", name)
			}
			m[name] = v
		}
		return m
	}
	keyHolds := func(desc string, facts map[string]string) {
		t.Helper()
		for _, line := range strings.Split(strings.TrimSuffix(facts[factHardware], "\n"), "\n") {
			if !strings.Contains(desc, "\n"+line+"\n") {
				t.Errorf("the key lacks the fact's line %q:\n%s", line, desc)
			}
		}
		if !strings.Contains(desc, "\npython "+facts[factPython]+"\n") {
			t.Errorf("the key lacks python %s:\n%s", facts[factPython], desc)
		}
	}
	if _, ok := (Kind{}).MachineFact("something else"); ok {
		t.Error("the kind claims a fact it does not have")
	}

	cpu := facts()
	first, _, _ := w.build(nil).measure(t, "k")
	keyHolds(first.Desc, cpu)
	rec := &engine.Record{Machine: cpu}
	if !rec.MachineUnchanged(Kind{}.MachineFact) {
		t.Fatal("a record of this machine's facts is not good on this machine")
	}

	useProber(t, hardware.Simulate(2, hardware.SimulatedH100))
	gpu := facts()
	if gpu[factHardware] == cpu[factHardware] || !strings.Contains(gpu[factHardware], "hardware.gpu_count 2\n") {
		t.Fatalf("two simulated H100s give the hardware fact\n%s", gpu[factHardware])
	}
	if rec.MachineUnchanged(Kind{}.MachineFact) {
		t.Error("a record of the CPU machine is still good with two GPUs")
	}
	second, _, _ := w.build(nil).measure(t, "k")
	if second.Key == first.Key || second.Outcome.Cached {
		t.Error("another hardware class replayed the measurement")
	}
	keyHolds(second.Desc, gpu)
}
