package engine

import (
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Sandbox says how an untrusted command (a generated test, a package's build script) is
// kept from what it has no business with. On Linux, RunCommand runs it in namespaces of its
// own (sandbox_linux.go):
//
//   - a user namespace, so that what follows needs no privilege;
//   - a PID namespace whose init is isobench's own helper: the command sees only its own
//     processes in a /proc of its own (not isobench, whose environment holds the user's keys),
//     and when the command ends, or the helper dies with isobench, the kernel kills every
//     process left in the namespace, a child that called setsid() included;
//   - a mount namespace: unless HostFiles, a root of its own with the system's directories
//     (/usr, /etc, /lib, /opt ...) read-only, GPU device nodes and /sys, a private /tmp and
//     /dev/shm, and only the paths named here: the user's home, the cache and every other
//     file are simply not there;
//   - a network namespace with nothing but loopback, unless Network.
//
// Where the kernel refuses namespaces (an unprivileged container), the command runs as
// before, in a process group of its own with a minimal environment, and ProcessResult's
// Isolation says so.
type Sandbox struct {
	// ReadOnly are files and directories the command may read, seen at the same paths.
	ReadOnly []string
	// Writable are files and directories the command may also write (its run directory).
	Writable []string
	// CopyOnWrite maps directories the command sees at their own paths and may write, to
	// directories that receive what it writes: the originals stay as they were, so the next
	// run starts from them again (a commit's tree, where a test writes next to its sources).
	// Where the kernel refuses an overlay mount the directory itself is writable: give only
	// directories private to the work.
	CopyOnWrite map[string]string
	// HostFiles keeps the machine's whole filesystem in view, with the command's own /proc:
	// for installers, which read tools, caches and sources from wherever the user keeps them.
	HostFiles bool
	// Network shares the machine's network; otherwise the command has only a loopback of
	// its own, so a server it starts and its client reach each other and nothing else.
	Network bool
}

// testShared are paths every sandbox of this process also shares, writable
// (ShareWithSandboxes).
var testShared struct {
	sync.Mutex
	paths []string
}

// ShareWithSandboxes lets every sandbox of this process write paths until the test ends: a
// test watches through a file what a sandboxed command does. isobench itself never calls it.
func ShareWithSandboxes(tb interface{ Cleanup(func()) }, paths ...string) {
	testShared.Lock()
	defer testShared.Unlock()
	testShared.paths = append(testShared.paths, paths...)
	tb.Cleanup(func() {
		testShared.Lock()
		defer testShared.Unlock()
		testShared.paths = slices.DeleteFunc(testShared.paths, func(p string) bool { return slices.Contains(paths, p) })
	})
}

// Isolation is how a command was isolated, as the record of a run states it.
type Isolation string

const (
	// IsolationNamespaces is the Sandbox above.
	IsolationNamespaces Isolation = "namespaces"
	// IsolationProcessGroup is a process group of its own, a minimal environment and a
	// private working directory, but the machine's files, processes and network in view.
	IsolationProcessGroup Isolation = "process-group"
)

// binds lists the sandbox's paths in the order they are mounted: parents before what lies
// inside them, so a writable run directory inside a read-only tree stays writable.
func (s *Sandbox) binds() []sandboxBind {
	var out []sandboxBind
	testShared.Lock()
	for _, p := range testShared.paths {
		out = append(out, sandboxBind{Path: p, Writable: true})
	}
	testShared.Unlock()
	for _, p := range s.ReadOnly {
		if p != "" {
			out = append(out, sandboxBind{Path: p})
		}
	}
	for _, p := range s.Writable {
		if p != "" {
			out = append(out, sandboxBind{Path: p, Writable: true})
		}
	}
	for _, p := range slices.Sorted(maps.Keys(s.CopyOnWrite)) {
		out = append(out, sandboxBind{Path: p, Upper: s.CopyOnWrite[p]})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Count(out[i].Path, "/") < strings.Count(out[j].Path, "/")
	})
	return out
}

type sandboxBind struct {
	Path     string
	Writable bool
	Upper    string // for CopyOnWrite: where the writes go
}

// InstallPrefix is the directory a program is installed under, once symbolic links are
// resolved (/opt/python/3.12 for a venv's bin/python that links to
// /opt/python/3.12/bin/python3.12): a sandbox that runs the program shares it. Wherever the
// program lies, what it returns can be shared (installPrefix).
func InstallPrefix(program string) string {
	real, err := filepath.EvalSymlinks(program)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		return ""
	}
	home, _ := os.UserHomeDir()
	return installPrefix(real, home)
}

// installPrefix is the widest of these that a sandbox may share (shareable): the parent of
// the bin or sbin directory holding program, so that an interpreter's lib directory comes
// with it; the directory holding it, for a program with its files beside it (a build tree);
// the program alone. So /tmp/prog is shared alone, /tmp/tools/prog with /tmp/tools, and
// /venv/bin/python with /venv.
func installPrefix(program, home string) string {
	if dir := installDir(filepath.Dir(program), home, "bin", "sbin"); dir != "" {
		return dir
	}
	return program
}

// installDir is the installation that dir, a directory of programs, belongs to: its parent
// when dir is named one of marks and a sandbox may share the parent, else dir itself when a
// sandbox may share it; "" when neither.
func installDir(dir, home string, marks ...string) string {
	if slices.Contains(marks, filepath.Base(dir)) {
		if parent := filepath.Dir(dir); shareable(parent, home) {
			return parent
		}
	}
	if shareable(dir, home) {
		return dir
	}
	return ""
}

// shareable says whether a sandbox may be given dir as a program's installation. Not the
// root, which would be mounted over the sandbox's own; not a directory the sandbox has a
// private one of, since the machine's would hide it (/tmp) and show its files; not the
// user's home or a directory above it, where the keys are.
func shareable(dir, home string) bool {
	if dir == "/" || slices.Contains(privateDirs, dir) {
		return false
	}
	return dir != home && !strings.HasPrefix(home, dir+"/")
}

// privateDirs are the directories a sandbox has of its own, empty at its start.
var privateDirs = []string{"/dev", "/dev/shm", "/proc", "/tmp"}

// Masked returns b with every occurrence of each secret replaced by ***. Secrets shorter
// than minSecretLen are left alone: masking every "1" of a log would hide the log, not a
// secret.
func Masked(b []byte, secrets []string) []byte {
	s := string(b)
	changed := false
	for _, sec := range secrets {
		if len(sec) >= minSecretLen && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "***")
			changed = true
		}
	}
	if !changed {
		return b
	}
	return []byte(s)
}

// minSecretLen is the shortest value masked. Tokens are tens of characters; a value of one
// to three characters is no secret worth the noise of masking it everywhere it appears.
const minSecretLen = 4

// maskingWriter masks secrets in a stream. It holds back the last bytes written, as many as
// the longest secret less one, since a secret may arrive split across two writes; flush
// writes them when the stream ends.
type maskingWriter struct {
	w       io.Writer
	secrets []string
	keep    int
	held    []byte
}

// newMaskingWriter wraps w, or returns w itself when there is nothing to mask.
func newMaskingWriter(w io.Writer, secrets []string) io.Writer {
	var keep []string
	longest := 0
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			keep = append(keep, s)
			longest = max(longest, len(s))
		}
	}
	if w == nil || len(keep) == 0 {
		return w
	}
	return &maskingWriter{w: w, secrets: keep, keep: longest - 1}
}

func (m *maskingWriter) Write(p []byte) (int, error) {
	buf := Masked(append(m.held, p...), m.secrets)
	cut := max(0, len(buf)-m.keep)
	m.held = append([]byte{}, buf[cut:]...)
	if cut > 0 {
		if _, err := m.w.Write(buf[:cut]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (m *maskingWriter) flush() {
	if len(m.held) > 0 {
		m.w.Write(m.held)
		m.held = nil
	}
}
