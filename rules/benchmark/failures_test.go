package benchmark

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
	"github.com/isobench/isobench/rules/ruletest"
)

// TestFailures builds one benchmark for each way a measurement can fail, together, and checks
// each failure's class, message, record and log.
func TestFailures(t *testing.T) {
	r := gittest.New(t)
	r.Commit("base", map[string]string{"bench.py": "import missing_module_of_base\n"})
	head := r.Commit("fix", map[string]string{"bench.py": "print('Execution time: 0.5s')\n"})
	// The test runs in a sandbox with a PID namespace of its own: its child is found by a
	// marker on its command line, not by a pid, which means nothing outside.
	pidDir := t.TempDir()
	engine.ShareWithSandboxes(t, pidDir)
	pidFile := filepath.Join(pidDir, "child.pid")
	marker := fmt.Sprintf("hung-child-%d-%d", os.Getpid(), time.Now().UnixNano())
	hung := fmt.Sprintf(`import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", %q])
open(%q, "w").write(str(child.pid))
print("waiting forever", flush=True)
time.sleep(600)
`, marker, pidFile)
	secrets := `import json, os
leaked = [k for k in os.environ if any(s in k for s in ("KEY", "TOKEN", "SECRET"))]
print("HOME=" + os.environ["HOME"])
print("CWD=" + os.getcwd())
print("LEAKED=" + ",".join(leaked))
value = len(leaked) + (1000 if os.environ.get("OPENAI_API_KEY") else 0)
print(json.dumps({"metric": "leaked", "value": value, "unit": "variables"}))
`
	t.Setenv("OPENAI_API_KEY", "sk-test-must-not-leak")
	t.Setenv("HF_TOKEN", "hf_test_must_not_leak")
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
		"benchmarks/BUILD.hcl": `
benchmark "base_fails" {
  commit  = "//commits:c"
  command = "python bench.py"
}
benchmark "head_fails" {
  commit = "//commits:c"
  script = "import os, sys\nif os.environ['ISOBENCH_SIDE'] == 'head':\n    sys.exit('head is broken')\nprint('Execution time: 0.1s')\n"
}
benchmark "hung" {
  commit  = "//commits:c"
  script  = ` + ruletest.Quote(hung) + `
  timeout = "2s"
}
benchmark "silent" {
  commit = "//commits:c"
  script = "print('hello, no number here')\n"
}
benchmark "secrets" {
  commit  = "//commits:c"
  script  = ` + ruletest.Quote(secrets) + `
  samples = 2
  warmup  = 0
}
benchmark "declared" {
  commit  = "//commits:c"
  script  = "import os\nprint('token ' + os.environ['HF_TOKEN'])\nprint('Execution time: 0.1s')\n"
  secrets = ["HF_TOKEN"]
  samples = 2
  warmup  = 0
}
benchmark "killed" {
  commit = "//commits:c"
  script = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
}
benchmark "too_big" {
  commit = "//commits:c"
  script = "print('Execution time: 1s')\n"
  requires {
    gpus = 64
  }
}
`,
	})
	start := time.Now()
	b := w.build(nil)
	t.Logf("build took %s", time.Since(start))

	o, rec, log := b.measure(t, "base_fails")
	if o.Outcome.Class != ClassBaseFailed || !strings.Contains(o.Outcome.Message, "ModuleNotFoundError") {
		t.Errorf("base_fails: %s: %s", o.Outcome.Class, o.Outcome.Message)
	}
	if rec == nil || rec.FailureClass != ClassBaseFailed || !strings.Contains(rec.OutputTail, "missing_module_of_base") ||
		len(rec.Samples) != 1 || rec.Samples[0].ExitCode != 1 {
		t.Errorf("base_fails: record %+v", rec)
	}
	if !strings.Contains(log, "Traceback") {
		t.Errorf("base_fails: the log lacks the traceback:\n%s", log)
	}

	o, rec, _ = b.measure(t, "head_fails")
	if o.Outcome.Class != ClassHeadFailed || !strings.Contains(o.Outcome.Message, "head is broken") || rec == nil || len(rec.Samples) != 2 {
		t.Errorf("head_fails: %s: %s (%d samples)", o.Outcome.Class, o.Outcome.Message, len(rec.Samples))
	}

	o, rec, log = b.measure(t, "hung")
	if o.Outcome.Class != ClassTimeout || !strings.Contains(o.Outcome.Message, "within 2s") || rec == nil || rec.FailureClass != ClassTimeout {
		t.Errorf("hung: %s: %s", o.Outcome.Class, o.Outcome.Message)
	}
	if !strings.Contains(log, "waiting forever") {
		t.Errorf("hung: the log lacks the output before the hang:\n%s", log)
	}
	if _, err := os.ReadFile(pidFile); err != nil {
		t.Fatalf("hung: the test never started its child: %v", err)
	}
	if pids := markedAlive(marker); len(pids) > 0 {
		for _, pid := range pids {
			if alive(pid) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		t.Errorf("hung: the test's child process %v outlived the timeout", pids)
	}

	o, rec, log = b.measure(t, "silent")
	if o.Outcome.Class != ClassNoMetric || !strings.Contains(log, "hello, no number here") || rec == nil ||
		!strings.Contains(rec.OutputTail, "hello, no number here") {
		t.Errorf("silent: %s: %s\nlog:\n%s", o.Outcome.Class, o.Outcome.Message, log)
	}

	o, rec, log = b.measure(t, "secrets")
	if o.Outcome.Status != engine.StatusOK {
		t.Fatalf("secrets: %s %s: %s\n%s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message, log)
	}
	for _, v := range append(rec.BaseValues, rec.HeadValues...) {
		if v != 0 {
			t.Errorf("secrets: the test saw %g secret variables; the log says:\n%s", v, log)
		}
	}
	home, _ := os.UserHomeDir()
	if strings.Contains(log, "HOME="+home+"\n") || strings.Contains(log, "sk-test") {
		t.Errorf("secrets: the test ran with the user's home or saw the key:\n%s", log)
	}

	// A declared secret reaches the test, and is masked in what the log and the record keep.
	o, rec, log = b.measure(t, "declared")
	if o.Outcome.Status != engine.StatusOK || !strings.Contains(log, "token ***") || strings.Contains(log, "hf_test_must_not_leak") {
		t.Errorf("declared: %s %s: %s\n%s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message, log)
	}
	if iso, _ := engine.SandboxIsolation(); rec == nil || rec.Isolation != string(iso) {
		t.Errorf("declared: the record says isolation %q, want %q", rec.Isolation, iso)
	}

	o, _, _ = b.measure(t, "killed")
	if o.Outcome.Class != "killed" || !strings.Contains(o.Outcome.Message, "killed by a signal") {
		t.Errorf("killed: %s: %s", o.Outcome.Class, o.Outcome.Message)
	}

	o, rec, _ = b.measure(t, "too_big")
	if o.Outcome.Status != engine.StatusSkipped || !strings.Contains(o.Outcome.Message, "needs 64 GPUs, this machine has") ||
		rec == nil || len(rec.Samples) != 0 {
		t.Errorf("too_big: %s %s: %s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message)
	}

	// Deterministic failures and skips are cached: nothing runs again.
	again := w.build(nil)
	for _, name := range []string{"base_fails", "head_fails", "hung", "silent", "secrets", "too_big"} {
		if o, _, _ := again.measure(t, name); !o.Outcome.Cached {
			t.Errorf("%s ran again: %s %s", name, o.Outcome.Status, o.Outcome.Class)
		}
	}
	// A run killed from outside (the OOM killer) is not the test's fault: it is tried again.
	if o, _, _ := again.measure(t, "killed"); o.Outcome.Cached {
		t.Error("a run killed by a signal was cached")
	}
}

// alive reports whether pid is a running process (a zombie waiting to be reaped is not).
// markedAlive lists the processes whose command line holds marker.
func markedAlive(marker string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && strings.Contains(string(b), marker) && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
