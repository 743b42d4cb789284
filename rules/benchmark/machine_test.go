package benchmark

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		if v := machinePython().version; !strings.Contains(desc, "\npython "+v+"\n") {
			t.Errorf("the key lacks python %s:\n%s", v, desc)
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

// TestInterpreterIdentity checks when python3's files stand for its version: an ELF
// interpreter (a copy of this machine's) has an identity that changes when the file does,
// a script (a shim, which picks a version at each start) has none, so it is asked.
func TestInterpreterIdentity(t *testing.T) {
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Skip("no python3:", err)
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "python3")
	copyFile(t, strings.TrimSpace(string(out)), exe)
	first := interpreterIdentity(exe)
	if first == "" || !strings.Contains(first, exe) {
		t.Fatalf("an ELF interpreter has the identity %q", first)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(exe, old, old)
	if id := interpreterIdentity(exe); id == first || id == "" {
		t.Errorf("an interpreter touched back an hour kept its identity: %q", id)
	}
	link := filepath.Join(dir, "python")
	os.Symlink(exe, link)
	if id := interpreterIdentity(link); !strings.Contains(id, "python3 "+link+"\n"+exe+" ") {
		t.Errorf("a link's identity names neither it nor what it points at: %q", id)
	}
	script := filepath.Join(dir, "shim")
	os.WriteFile(script, []byte("#!/bin/sh\nexec python3 \"$@\"\n"), 0o755)
	if id := interpreterIdentity(script); id != "" {
		t.Errorf("a shim has the identity %q", id)
	}
	t.Setenv("LD_LIBRARY_PATH", dir)
	if id := interpreterIdentity(exe); id != "" {
		t.Errorf("with LD_LIBRARY_PATH set, an interpreter has the identity %q", id)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}
