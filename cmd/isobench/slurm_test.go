package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests build through a real Slurm cluster: scripts/slurm-up.sh starts a single-node
// one (CI runs it), with a fake GPU GRES and the node feature sm90. Without one they skip.

func needSlurm(t *testing.T) {
	t.Helper()
	out, err := exec.Command("sinfo", "-h", "-o", "%T").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Skip("no Slurm cluster here (sinfo fails or lists no node); scripts/slurm-up.sh starts one")
	}
}

// slurmWorkspace is commitWorkspace with an executor block mapping compute capabilities to
// node features, and benchmarks (name -> body).
func slurmWorkspace(t *testing.T, features string, benchmarks map[string]string) string {
	ws, _ := commitWorkspace(t)
	var b strings.Builder
	for name, body := range benchmarks {
		b.WriteString("benchmark \"" + name + "\" {\n  commit = \"//commits:sum\"\n" + body + "}\n")
	}
	writeFiles(t, ws, map[string]string{
		"isobench.hcl": `workspace {
  name = "t"
}

executor "slurm" {
  poll_interval = "200ms"
  retries       = 2
  features      = { ` + features + ` }
}
`,
		"benchmarks/BUILD.hcl": b.String(),
	})
	return ws
}

func pyCommand(code string) string {
	return "  command = \"python3 -c '" + code + "'\"\n"
}

const quick = `import time; time.sleep(0.01); print(\"Execution time: 0.01s\")`

type slurmSummary struct {
	buildSummary
	Counters map[string]int64
}

func TestSlurmResultsEqualLocal(t *testing.T) {
	needSlurm(t)
	ws := slurmWorkspace(t, `"9.0" = "sm90"`, map[string]string{
		"quick": pyCommand(quick) + "  samples = 2\n  warmup = 0\n",
		// The node has no driver, so the node's probe skips it, as this machine's does.
		"gpu": pyCommand(quick) + "  samples = 2\n  warmup = 0\n  requires {\n    gpus = 1\n    compute_capability = \"9.0\"\n  }\n",
	})
	c := newCLI(t, ws)
	local, cluster := filepath.Join(t.TempDir(), "local"), filepath.Join(t.TempDir(), "cluster")

	var l, s slurmSummary
	json.Unmarshal([]byte(c.must(0, "build", "--executor", "local", "--cache-dir", local, "--json").stdout), &l)
	r := c.must(0, "build", "--cache-dir", cluster, "--json") // the workspace's block chooses Slurm
	json.Unmarshal([]byte(r.stdout), &s)
	if s.Counters["slurm_jobs"] != 2 {
		t.Fatalf("the cluster build ran %d Slurm jobs, want 2 (both measurements)\n%s\n%s", s.Counters["slurm_jobs"], r.stdout, r.stderr)
	}
	if l.Counters["slurm_jobs"] != 0 {
		t.Fatalf("--executor local submitted jobs: %+v", l)
	}
	if s.ByKind["commit"] != l.ByKind["commit"] || s.ByKind["measure"] != l.ByKind["measure"] || s.Skipped != l.Skipped || s.Failed != 0 || s.Skipped != 1 {
		t.Fatalf("cluster build %+v, local build %+v: want the same statuses, the commit run here", s, l)
	}
	// Every target ends the same way in both caches.
	ls := c.must(0, "status", "--cache-dir", local, "//...").stdout
	cs := c.must(0, "status", "--cache-dir", cluster, "//...").stdout
	if ls != cs {
		t.Fatalf("status differs:\nlocal:\n%s\ncluster:\n%s", ls, cs)
	}
	// The job directories of successful jobs are removed.
	if entries, _ := os.ReadDir(filepath.Join(ws, ".isobench-slurm")); len(entries) != 0 {
		t.Errorf("job directories left behind: %v", entries)
	}
}

func TestSlurmUnsatisfiableConstraintFailsFast(t *testing.T) {
	needSlurm(t)
	// sm100 names no node: Slurm refuses a constraint on a feature no node has.
	ws := slurmWorkspace(t, `"9.0" = "sm90", "10.0" = "sm100"`, map[string]string{
		"blackwell": pyCommand(quick) + "  requires {\n    gpus = 1\n    compute_capability = \"10.0\"\n  }\n",
	})
	c := newCLI(t, ws)
	start := time.Now()
	r := c.must(1, "build", "//benchmarks:all")
	if !strings.Contains(r.stdout+r.stderr, "Invalid feature specification") {
		t.Fatalf("the failure does not give Slurm's reason:\n%s\n%s", r.stdout, r.stderr)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("failing took %s", d)
	}
}

// runningJob waits until a job of this workspace runs, and returns its ID.
func runningJob(t *testing.T, ws string, exclude string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("squeue", "-h", "-t", "R", "-o", "%i %Z").Output()
		for _, l := range strings.Split(string(out), "\n") {
			if id, dir, ok := strings.Cut(strings.TrimSpace(l), " "); ok && strings.HasPrefix(dir, ws) && id != exclude {
				return id
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("no job of the build started running")
	return ""
}

func jobState(t *testing.T, id string) string {
	t.Helper()
	out, _ := exec.Command("scontrol", "show", "job", "-o", id).Output()
	return fields(string(out))["JobState"]
}

func fields(line string) map[string]string {
	f := map[string]string{}
	for _, kv := range strings.Fields(line) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			f[k] = v
		}
	}
	return f
}

func TestSlurmInterruptCancelsJobs(t *testing.T) {
	needSlurm(t)
	ws := slurmWorkspace(t, `"9.0" = "sm90"`, map[string]string{
		"slow": pyCommand(`import time; time.sleep(60); print(\"Execution time: 60s\")`) + "  samples = 1\n  warmup = 0\n",
	})
	c := newCLI(t, ws)
	build := c.command("build", "//benchmarks:all")
	if err := build.Start(); err != nil {
		t.Fatal(err)
	}
	defer build.Process.Kill()
	id := runningJob(t, ws, "")
	interrupt(t, build)
	st := jobState(t, id)
	for deadline := time.Now().Add(15 * time.Second); st == "COMPLETING" && time.Now().Before(deadline); st = jobState(t, id) {
		time.Sleep(200 * time.Millisecond)
	}
	if st != "CANCELLED" {
		t.Fatalf("job %s is %s after the interrupt, want CANCELLED", id, st)
	}
}

func TestSlurmJobKilledMidRunIsResubmitted(t *testing.T) {
	needSlurm(t)
	ws := slurmWorkspace(t, `"9.0" = "sm90"`, map[string]string{
		"steady": pyCommand(`import time; time.sleep(2); print(\"Execution time: 2s\")`) + "  samples = 1\n  warmup = 0\n",
	})
	c := newCLI(t, ws)
	build := c.command("build", "//benchmarks:all", "--json")
	var stdout strings.Builder
	build.Stdout = &stdout
	if err := build.Start(); err != nil {
		t.Fatal(err)
	}
	defer build.Process.Kill()
	first := runningJob(t, ws, "")
	// Someone else (an administrator, a preemption) ends the job.
	if out, err := exec.Command("scancel", first).CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v\n%s", err, out)
	}
	second := runningJob(t, ws, first)
	if err := build.Wait(); err != nil {
		t.Fatalf("the build failed after its job was cancelled from outside: %v\n%s", err, stdout.String())
	}
	var s slurmSummary
	json.Unmarshal([]byte(stdout.String()), &s)
	if s.ByKind["measure"].Executed != 1 || s.Failed != 0 {
		t.Fatalf("summary %s: want the measurement executed once, after a resubmission", stdout.String())
	}
	if st := jobState(t, second); st != "COMPLETED" {
		t.Errorf("the resubmitted job %s is %s", second, st)
	}
}
