package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// attacker is a generated test gone bad: it looks for the user's keys in every environment
// it can read, for other processes, for a file outside its sandbox, for a network beyond
// loopback; it prints the secret it was given, and leaves a child that ignores SIGTERM in a
// session of its own. It prints what it found as JSON.
const attacker = `
import json, os, signal, socket, sys, time
found = {}
leaked = []
for pid in os.listdir('/proc'):
    if pid.isdigit():
        try:
            env = open('/proc/%s/environ' % pid, 'rb').read()
        except OSError:
            continue
        if sys.argv[1].encode() in env:
            leaked.append(pid)
found['environ_leaks'] = leaked
found['ppid_environ'] = None
try:
    found['ppid_environ'] = len(open('/proc/%d/environ' % os.getppid(), 'rb').read())
except OSError as e:
    found['ppid_environ_error'] = str(e)
found['pids'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
try:
    found['file'] = open(sys.argv[2]).read()
except OSError as e:
    found['file_error'] = str(e)
found['interfaces'] = sorted(name for _, name in socket.if_nameindex())
found['fds'] = sorted(int(fd) for fd in os.listdir('/proc/self/fd'))
found['caps'] = [l.split()[1] for l in open('/proc/self/status') if l.startswith(('CapInh', 'CapPrm', 'CapEff', 'CapAmb'))]
found['home_listing'] = None
try:
    found['home_listing'] = os.listdir(sys.argv[3])
except OSError as e:
    found['home_error'] = str(e)
if os.fork() == 0:
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.execv('/bin/sh', ['/bin/sh', '-c', 'trap "" TERM; while :; do sleep 1; done', sys.argv[4]])
time.sleep(0.2)
print(json.dumps(found))
print('my token is', os.environ.get('HF_TOKEN'))
`

// python is the machine's interpreter, resolved: tests skip without one.
func python(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	out, err := exec.Command(py, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Skip("python3 does not run:", err)
	}
	return strings.TrimSpace(string(out))
}

func needSandbox(t *testing.T) {
	t.Helper()
	if iso, why := SandboxIsolation(); iso != IsolationNamespaces {
		t.Skipf("no namespaces here: %s", why)
	}
}

// alive lists the processes whose command line holds marker.
func alive(marker string) []string {
	var pids []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), marker) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

func waitGone(t *testing.T, marker string) {
	t.Helper()
	if !gone(marker) {
		t.Fatalf("processes marked %s still run: %v", marker, alive(marker))
	}
}

// gone waits up to 5 s for the processes marked marker to end, and says whether they did.
func gone(marker string) bool {
	deadline := time.Now().Add(5 * time.Second)
	for len(alive(marker)) > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// TestSandboxHoldsAgainstAttacker runs the attacker with this test process's environment
// holding a key (set before exec, so /proc/<pid>/environ shows it), and a secret file next
// to its run directory.
func TestSandboxHoldsAgainstAttacker(t *testing.T) {
	needSandbox(t)
	py := python(t)
	const key = "sk-parent-key-0123456789"
	if os.Getenv("ISOBENCH_ATTACK_KEY") != key {
		// Run again with the key in the environment this process was started with.
		cmd := exec.Command(os.Args[0], "-test.run=^TestSandboxHoldsAgainstAttacker$", "-test.v")
		cmd.Env = append(os.Environ(), "ISOBENCH_ATTACK_KEY="+key)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS") {
			t.Fatalf("%v\n%s", err, out)
		}
		return
	}
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret.txt")
	os.WriteFile(secretFile, []byte("the secret file"), 0o644)
	home, _ := os.UserHomeDir()
	runDir := filepath.Join(dir, "run")
	os.Mkdir(runDir, 0o755)
	marker := fmt.Sprintf("attacker-child-%d-%d", os.Getpid(), time.Now().UnixNano())
	const token = "hf_declared_token_abcdef"
	var log strings.Builder
	res, err := RunCommand(context.Background(), Command{
		Path: py, Args: []string{"-c", attacker, key, secretFile, home, marker},
		Dir: runDir, Env: MinimalEnv(runDir, map[string]string{"HF_TOKEN": token}),
		Timeout: 30 * time.Second, Log: &log, Mask: []string{token},
		Sandbox: &Sandbox{Writable: []string{runDir}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || res.Isolation != IsolationNamespaces {
		t.Fatalf("exit %d, isolation %s:\n%s", res.ExitCode, res.Isolation, res.Output())
	}
	lines := strings.SplitN(string(res.Stdout), "\n", 2)
	var found struct {
		EnvironLeaks []string `json:"environ_leaks"`
		PPIDEnviron  *int     `json:"ppid_environ"`
		PIDs         []int    `json:"pids"`
		File         *string  `json:"file"`
		Interfaces   []string `json:"interfaces"`
		HomeListing  []string `json:"home_listing"`
		FDs          []int    `json:"fds"`
		Caps         []string `json:"caps"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &found); err != nil {
		t.Fatalf("%v: %s", err, res.Output())
	}
	tried, held := 0, 0
	check := func(what string, ok bool, got any) {
		tried++
		if ok {
			held++
		} else {
			t.Errorf("%s: %v", what, got)
		}
	}
	check("the key was found in /proc/*/environ", len(found.EnvironLeaks) == 0, found.EnvironLeaks)
	check("the parent's environ was readable", found.PPIDEnviron == nil || *found.PPIDEnviron == 0, found.PPIDEnviron)
	// pid 1 is the sandbox's init, then the attacker, its setsid child and the shell's sleep.
	check("other processes were visible", len(found.PIDs) <= 4 && found.PIDs[0] == 1, found.PIDs)
	check("a file outside the sandbox was read", found.File == nil, found.File)
	// stdin, stdout, stderr and the listing's own: not the sandbox's status pipe or lifeline.
	check("descriptors beyond stdio were inherited", slices.Equal(found.FDs, []int{0, 1, 2, 3}), found.FDs)
	check("capabilities were kept", strings.Trim(strings.Join(found.Caps, ""), "0") == "" && len(found.Caps) == 4, found.Caps)
	check("the network beyond loopback was visible", strings.Join(found.Interfaces, ",") == "lo", found.Interfaces)
	// The home directory holds at most the way to the programs on PATH, the interpreter and
	// the run directory, when they are there.
	var way []string
	for _, p := range append(pathInstalls(MinimalEnv(runDir, nil)), InstallPrefix(py), runDir) {
		if rel, err := filepath.Rel(home, p); err == nil && !strings.HasPrefix(rel, "..") {
			way = append(way, strings.Split(rel, "/")[0])
		}
	}
	check("the home directory was listed", found.HomeListing == nil ||
		!slices.ContainsFunc(found.HomeListing, func(e string) bool { return !slices.Contains(way, e) }), found.HomeListing)
	check("the declared secret was printed", !strings.Contains(string(res.Output()), token) &&
		!strings.Contains(log.String(), token) && strings.Contains(string(res.Stdout), "my token is ***"), res.Output())
	check("the setsid child outlived the run", gone(marker), alive(marker))
	t.Logf("attacks tried %d, held %d", tried, held)
}

// TestSandboxKilledParentLeavesNothing: a kill -9 of the process that ran a sandboxed
// command, here this test binary run again, leaves none of the command's processes alive,
// not even one that called setsid() and ignores SIGTERM.
func TestSandboxKilledParentLeavesNothing(t *testing.T) {
	killParent(t, func(dir string) *Sandbox { return &Sandbox{Writable: []string{dir}} })
}

// killParent runs this test again as a child process that runs a sandboxed command (given a
// directory of its own, sb makes the Sandbox) whose setsid child ignores SIGTERM, kills the
// child process with SIGKILL once both commands run, and waits for them to be gone.
func killParent(t *testing.T, sb func(dir string) *Sandbox) {
	needSandbox(t)
	if marker := os.Getenv("ISOBENCH_ORPHAN_MARKER"); marker != "" {
		dir := t.TempDir()
		RunCommand(context.Background(), Command{Path: "/bin/sh", Args: []string{"-c",
			`setsid sh -c 'trap "" TERM; while :; do sleep 1; done' ` + marker + ` & trap "" TERM; while :; do sleep 1; done`, marker},
			Dir: dir, Env: MinimalEnv(dir, nil), Sandbox: sb(dir)})
		return
	}
	marker := fmt.Sprintf("orphan-%s-%d-%d", t.Name(), os.Getpid(), time.Now().UnixNano())
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$")
	cmd.Env = append(os.Environ(), "ISOBENCH_ORPHAN_MARKER="+marker)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(alive(marker)) < 2 { // the command and its setsid child
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the command did not start: %v", alive(marker))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	waitGone(t, marker)
}

// TestSandboxMaskingAcrossWrites: a secret split between two writes is masked in the log.
func TestSandboxMaskingAcrossWrites(t *testing.T) {
	var b strings.Builder
	w := newMaskingWriter(&b, []string{"abcdefgh", "xy"})
	for _, part := range []string{"one abc", "defgh two ab", "cdefghabcdefgh three xy"} {
		w.Write([]byte(part))
	}
	w.(*maskingWriter).flush()
	if want := "one *** two ****** three xy"; b.String() != want {
		t.Errorf("masked %q, want %q", b.String(), want)
	}
}

// TestSandboxFilesAndTimeout: a read-only tree cannot be written, the run directory can, /tmp
// is private; a timeout ends the command and the child it hid in a session of its own.
func TestSandboxFilesAndTimeout(t *testing.T) {
	needSandbox(t)
	dir := t.TempDir()
	tree, run := filepath.Join(dir, "tree"), filepath.Join(dir, "run")
	os.Mkdir(tree, 0o755)
	os.Mkdir(run, 0o755)
	os.WriteFile(filepath.Join(tree, "src.py"), []byte("x"), 0o644)
	marker := fmt.Sprintf("timeout-child-%d-%d", os.Getpid(), time.Now().UnixNano())
	res, err := RunCommand(context.Background(), Command{Path: "/bin/sh", Args: []string{"-c", `
cat src.py && echo
echo y > src.py 2>/dev/null && echo wrote-tree
echo z > ` + run + `/out && echo wrote-run
ls /tmp
setsid sh -c 'trap "" TERM; while :; do sleep 1; done' ` + marker + ` &
sleep 60`},
		Dir: tree, Env: MinimalEnv(run, nil), Timeout: time.Second,
		Sandbox: &Sandbox{ReadOnly: []string{tree}, Writable: []string{run}}})
	if err != nil {
		t.Fatal(err)
	}
	// /tmp holds nothing of the machine's but the way to the run directory, when it is there.
	tmpWay := ""
	if rel, err := filepath.Rel("/tmp", dir); err == nil && !strings.HasPrefix(rel, "..") {
		tmpWay = strings.Split(rel, "/")[0] + "\n"
	}
	if want := "x\nwrote-run\n" + tmpWay; string(res.Stdout) != want || !res.TimedOut || res.ExitCode != -1 {
		t.Errorf("stdout %q, timed out %v, exit %d; want %q, true, -1\n%s", res.Stdout, res.TimedOut, res.ExitCode, want, res.Stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(run, "out")); string(b) != "z\n" {
		t.Errorf("the run directory holds %q", b)
	}
	waitGone(t, marker)
}

// TestSweepScratch: a directory whose owner is gone is removed, one still held is not.
func TestSweepScratch(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	held, release, err := newScratchDir(scratchAction)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// A directory left by a killed build: its lock file, unlocked.
	stale := filepath.Join(tmp, scratchAction+"stale")
	os.MkdirAll(filepath.Join(stale, "run"), 0o755)
	os.WriteFile(filepath.Join(stale, scratchLock), nil, 0o600)
	if n := SweepScratch(); n != 1 {
		t.Errorf("removed %d, want 1", n)
	}
	if exists(stale) || !exists(held) {
		t.Errorf("stale there %v, held there %v; want false, true", exists(stale), exists(held))
	}
}

// TestSandboxNetwork: a server and its client in one sandbox talk over loopback; a listener
// of this machine's, on an address of its own outside loopback, cannot be reached from the
// sandbox, and can with Network.
func TestSandboxNetwork(t *testing.T) {
	needSandbox(t)
	py := python(t)
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("outside\n"))
			c.Close()
		}
	}()
	var outside string // an address of this machine's that is not loopback
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && !ip.IP.IsLoopback() && ip.IP.To4() != nil {
			outside = net.JoinHostPort(ip.IP.String(), fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
			break
		}
	}
	const script = `
import socket, subprocess, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
port = srv.getsockname()[1]
child = subprocess.Popen([sys.executable, "-c", "import socket, sys; s = socket.create_connection(('127.0.0.1', %d)); s.sendall(b'hello')" % port])
conn, _ = srv.accept(); print("loopback", conn.recv(5).decode()); child.wait()
if sys.argv[1]:
    host, port = sys.argv[1].rsplit(":", 1)
    try:
        print("outside", socket.create_connection((host, int(port)), timeout=2).recv(7).decode())
    except OSError as e:
        print("outside unreachable")
`
	for _, network := range []bool{false, true} {
		dir := t.TempDir()
		res, err := RunCommand(context.Background(), Command{Path: py, Args: []string{"-c", script, outside}, Dir: dir,
			Env: MinimalEnv(dir, nil), Timeout: time.Minute, Sandbox: &Sandbox{Writable: []string{dir}, Network: network}})
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("network %v: %v\n%s", network, err, res.Output())
		}
		want := "loopback hello\noutside unreachable\n"
		if network {
			want = "loopback hello\noutside outside\n"
		}
		if outside == "" {
			want = "loopback hello\n"
		}
		if string(res.Stdout) != want {
			t.Errorf("network %v: %q, want %q\n%s", network, res.Stdout, want, res.Stderr)
		}
	}
}

// TestSandboxHostFilesKilledParent: an installer's sandbox (the machine's files, its own
// PID namespace) leaves nothing alive after kill -9 either.
func TestSandboxHostFilesKilledParent(t *testing.T) {
	killParent(t, func(string) *Sandbox { return &Sandbox{HostFiles: true, Network: true} })
}

// TestFallbackHidesEnviron: without namespaces a test is a child of isobench and sees its
// pid, but isobench, no longer dumpable once it runs untrusted code, keeps its environment
// from processes of the same user. Root reads any process's, so this holds for users only.
func TestFallbackHidesEnviron(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root reads every process's environ; the fallback protects users' builds")
	}
	const key = "sk-fallback-key-0123456789"
	if os.Getenv("ISOBENCH_FALLBACK_KEY") != key {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFallbackHidesEnviron$", "-test.v")
		cmd.Env = append(os.Environ(), "ISOBENCH_FALLBACK_KEY="+key, "ISOBENCH_SANDBOX=off")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS") {
			t.Fatalf("%v\n%s", err, out)
		}
		return
	}
	dir := t.TempDir()
	res, err := RunCommand(context.Background(), Command{Path: "/bin/sh", Args: []string{"-c", `tr '\0' '\n' < /proc/$PPID/environ`},
		Dir: dir, Env: MinimalEnv(dir, nil), Sandbox: &Sandbox{Writable: []string{dir}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Isolation != IsolationProcessGroup || strings.Contains(string(res.Output()), key) || res.ExitCode == 0 {
		t.Errorf("isolation %s, exit %d, the parent's environment read:\n%s", res.Isolation, res.ExitCode, res.Output())
	}
}

// TestSandboxCopyOnWrite: a command writes next to its sources; the sources stay as they
// were, its writes land in the directory given, and a user can remove everything after.
func TestSandboxCopyOnWrite(t *testing.T) {
	needSandbox(t)
	dir := t.TempDir()
	tree, upper := filepath.Join(dir, "tree"), filepath.Join(dir, "run", "tree-changes")
	os.MkdirAll(tree, 0o755)
	os.WriteFile(filepath.Join(tree, "src.py"), []byte("original\n"), 0o644)
	for i := range 2 {
		res, err := RunCommand(context.Background(), Command{Path: "/bin/sh", Args: []string{"-c",
			"cat src.py; echo changed > src.py; echo result > out.json; cat src.py"},
			Dir: tree, Env: MinimalEnv(dir, nil), Sandbox: &Sandbox{CopyOnWrite: map[string]string{tree: upper}}})
		if err != nil || res.ExitCode != 0 || string(res.Stdout) != "original\nchanged\n" {
			t.Fatalf("run %d: %v, exit %d: %q\n%s", i, err, res.ExitCode, res.Stdout, res.Stderr)
		}
		if os.Getuid() != 0 {
			// The overlay may be refused to users (see overlayInto): the tree is then
			// writable, and this run's writes are the next one's sources.
			t.Skip("copy-on-write is checked as root; as a user the overlay may be refused")
		}
		if b, _ := os.ReadFile(filepath.Join(tree, "src.py")); string(b) != "original\n" {
			t.Fatalf("the tree itself was written: %q", b)
		}
		if b, _ := os.ReadFile(filepath.Join(upper, "changes", "out.json")); string(b) != "result\n" {
			t.Errorf("the command's writes are not in the upper directory: %q", b)
		}
		if err := os.RemoveAll(filepath.Join(dir, "run")); err != nil {
			t.Fatal(err)
		}
	}
}
