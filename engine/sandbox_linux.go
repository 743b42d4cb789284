package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The sandbox's init is isobench itself, run again as /proc/self/exe with this argv[0]: Go
// cannot run code of its own between clone and exec, and mounting a root and a /proc must
// happen inside the new namespaces, before the command starts. init below recognises the
// name in every binary that links the engine (isobench, and each package's test binary), so
// no command needs a subcommand for it.
const sandboxArg0 = "isobench-sandbox-init"

// The helper's inherited descriptors, after stdin, stdout and stderr.
const (
	fdSpec     = 3 // the sandboxSpec as JSON, then EOF
	fdStatus   = 4 // the helper writes a sandboxStatus here before it exits
	fdLifeline = 5 // EOF here means isobench is gone: kill everything
)

// sandboxSpec is what the helper needs to know: the command, and how to isolate it.
type sandboxSpec struct {
	Path      string
	Args      []string
	Dir       string
	Env       []string
	Root      string // an empty directory the helper mounts the new root on; "" with HostFiles
	Binds     []sandboxBind
	HostFiles bool
	Network   bool
	Probe     bool // set up, then exit without running anything: is the sandbox available?
}

// sandboxStatus is how the command ended, or why the helper could not run it.
type sandboxStatus struct {
	Exit int    `json:"exit"` // -1 when a signal ended it (WaitStatus.ExitStatus)
	Err  string `json:"err,omitempty"`
	// Nanos is how long the command ran, from its start to its exit as the helper saw them:
	// a measurement leaves out the namespaces' setup.
	Nanos int64 `json:"nanos,omitempty"`
}

func init() {
	if len(os.Args) > 0 && os.Args[0] == sandboxArg0 {
		sandboxInit()
	}
}

// protectEnviron makes isobench's own /proc files (environ, mem) unreadable to processes
// of the same user, when untrusted code is about to run without namespaces: a process that
// is not dumpable can be inspected only with CAP_SYS_PTRACE. Inside a sandbox a test cannot
// see isobench at all; this is what stands between a test and the user's keys where
// namespaces are refused. Only then: a child of a process that is not dumpable has its /proc
// files owned by root until it execs, so its user namespace's maps could not be written.
// isobench then leaves no core dump, and a debugger must run as root to attach.
var protectEnviron = sync.OnceFunc(func() {
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
})

// groupSysProcAttr runs a command without a sandbox in a process group of its own, killed
// when isobench dies: it outlives a killed isobench no longer than its group leader.
func groupSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// sandboxProcess is a helper being started: the parent's ends of its pipes, and the
// child's ends until it has started.
type sandboxProcess struct {
	spec     sandboxSpec
	specW    *os.File
	status   *os.File
	lifeline *os.File
	child    []*os.File
	release  func() // removes the root's mount point
}

// sandboxCommand makes the helper's exec.Cmd for c. Start it, then call started; if it did
// not start, abandon.
func sandboxCommand(c Command) (*exec.Cmd, *sandboxProcess, error) {
	path, err := exec.LookPath(c.Path)
	if err != nil {
		return nil, nil, err
	}
	if path, err = filepath.Abs(path); err != nil {
		return nil, nil, err
	}
	sb := *c.Sandbox
	// The program itself, where it is installed outside the system's directories (a Python
	// under pyenv or uv in the user's home), with the files beside it that it needs.
	sb.ReadOnly = slices.Clip(sb.ReadOnly)
	if prefix := InstallPrefix(path); prefix != "" && !underSystemDir(prefix) {
		sb.ReadOnly = append(sb.ReadOnly, prefix)
	}
	sb.ReadOnly = append(sb.ReadOnly, pathInstalls(c.Env)...)
	spec := sandboxSpec{Path: path, Args: append([]string{c.Path}, c.Args...), Dir: c.Dir, Env: c.Env, Binds: sb.binds(),
		HostFiles: sb.HostFiles, Network: sb.Network}
	if spec.Env == nil {
		spec.Env = []string{} // never the parent's: it holds the user's keys
	}
	return sandboxCmd(spec)
}

func sandboxCmd(spec sandboxSpec) (*exec.Cmd, *sandboxProcess, error) {
	p := &sandboxProcess{release: func() {}}
	if !spec.HostFiles {
		dir, release, err := newScratchDir(scratchSandbox)
		if err != nil {
			return nil, nil, err
		}
		spec.Root, p.release = dir, release
	}
	p.spec = spec
	var pipes [3][2]*os.File
	for i := range pipes {
		r, w, err := os.Pipe()
		if err != nil {
			for _, pp := range pipes[:i] {
				pp[0].Close()
				pp[1].Close()
			}
			p.release()
			return nil, nil, err
		}
		pipes[i] = [2]*os.File{r, w}
	}
	p.specW, p.status, p.lifeline = pipes[0][1], pipes[1][0], pipes[2][1]
	p.child = []*os.File{pipes[0][0], pipes[1][1], pipes[2][0]} // fdSpec, fdStatus, fdLifeline

	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{sandboxArg0}
	cmd.Env = []string{} // the helper is the namespace's pid 1, its environ readable inside
	cmd.ExtraFiles = p.child
	uid, gid := os.Getuid(), os.Getgid()
	flags := uintptr(syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID | syscall.CLONE_NEWNS)
	if !spec.Network {
		flags |= syscall.CLONE_NEWNET
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:    true,
		Pdeathsig:  syscall.SIGKILL,
		Cloneflags: flags,
		// The same user inside as outside: files keep their owners, and a test does not run
		// as root. The helper keeps the capabilities it needs to mount through exec as
		// ambient ones, and drops every capability before it starts the command.
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}},
		GidMappingsEnableSetgroups: false,
		AmbientCaps:                []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_NET_ADMIN, unix.CAP_SETPCAP},
	}
	return cmd, p, nil
}

// started closes the child's ends of the pipes and sends the spec.
func (p *sandboxProcess) started() error {
	p.closeChild()
	err := json.NewEncoder(p.specW).Encode(p.spec)
	p.specW.Close()
	return err
}

func (p *sandboxProcess) closeChild() {
	for _, f := range p.child {
		f.Close()
	}
	p.child = nil
}

// wait reads how the command ended, once the helper has exited, and releases what the
// sandbox held. A helper killed by a signal (a timeout, Ctrl-C, the lifeline) wrote nothing:
// the status is then nil.
func (p *sandboxProcess) wait() (*sandboxStatus, error) {
	p.lifeline.Close()
	b, _ := io.ReadAll(p.status)
	p.status.Close()
	p.release()
	for _, bind := range p.spec.Binds {
		if bind.Upper != "" {
			removeOverlayWork(bind.Upper)
		}
	}
	if len(b) == 0 {
		return nil, nil
	}
	var st sandboxStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("sandbox: unreadable status %q", b)
	}
	if st.Err != "" {
		return &st, errors.New("sandbox: " + st.Err)
	}
	return &st, nil
}

// abandon releases what a helper that never started held.
func (p *sandboxProcess) abandon() {
	p.closeChild()
	p.specW.Close()
	p.lifeline.Close()
	p.status.Close()
	p.release()
}

var (
	probeOnce      sync.Once
	probeIsolation Isolation
	probeReason    string
)

// SandboxIsolation says how RunCommand isolates a command given a Sandbox on this machine, and
// when it cannot use namespaces, why. ISOBENCH_SANDBOX=off turns the namespaces off, to tell
// whether the sandbox is what breaks a test, and to test the fallback. It starts the helper
// once, the first time, with everything a run sets up but the command.
func SandboxIsolation() (Isolation, string) {
	probeOnce.Do(func() {
		probeIsolation, probeReason = IsolationProcessGroup, ""
		if os.Getenv("ISOBENCH_SANDBOX") == "off" {
			probeReason = "ISOBENCH_SANDBOX=off"
			return
		}
		if err := probeSandbox(); err != nil {
			probeReason = err.Error()
			return
		}
		probeIsolation = IsolationNamespaces
	})
	return probeIsolation, probeReason
}

func probeSandbox() error {
	cmd, p, err := sandboxCmd(sandboxSpec{Probe: true, Env: []string{}, Dir: "/"})
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		p.abandon()
		return fmt.Errorf("the kernel refused new user, PID, mount and network namespaces: %v", err)
	}
	p.started()
	werr := cmd.Wait()
	st, err := p.wait()
	switch {
	case err != nil:
		return err
	case st == nil:
		return fmt.Errorf("the sandbox's helper ended without a word (%v) %s", werr, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// sandboxInit is the helper: pid 1 of the new namespaces. It mounts the command's view of
// the machine, drops its capabilities, starts the command, reaps every process until the
// command exits, and reports how it ended. When it exits, the kernel kills whatever is left
// in its PID namespace.
func sandboxInit() {
	status := os.NewFile(fdStatus, "status")
	fail := func(format string, args ...any) {
		json.NewEncoder(status).Encode(sandboxStatus{Exit: 125, Err: fmt.Sprintf(format, args...)})
		os.Exit(125)
	}
	var spec sandboxSpec
	if err := json.NewDecoder(os.NewFile(fdSpec, "spec")).Decode(&spec); err != nil {
		fail("reading the spec: %v", err)
	}
	unix.Close(fdSpec)
	go func() {
		// isobench holds the other end until the command is over. EOF sooner means it died:
		// take the namespace down with it. Pdeathsig is the first line of defence, this the
		// second, since Pdeathsig follows the thread that started us, not the process.
		var b [1]byte
		unix.Read(fdLifeline, b[:])
		unix.Kill(-1, unix.SIGKILL)
		os.Exit(137)
	}()
	if err := setupSandbox(&spec); err != nil {
		fail("%v", err)
	}
	if spec.Probe {
		json.NewEncoder(status).Encode(sandboxStatus{})
		os.Exit(0)
	}
	start := time.Now()
	pid, err := startConfined(&spec)
	if err != nil {
		fail("cannot start %s: %v", spec.Path, err)
	}
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			fail("waiting for %s: %v", spec.Path, err)
		}
		if got != pid {
			continue // an orphan reparented to us: reaped
		}
		st := sandboxStatus{Exit: ws.ExitStatus(), Nanos: int64(time.Since(start))}
		unix.Kill(-1, unix.SIGKILL) // the run is over: so is everything it started
		json.NewEncoder(status).Encode(st)
		os.Exit(0)
	}
}

// startConfined starts the command with no capabilities and no way to gain any, and no
// descriptor but stdio (the status pipe would let it forge how it ended), from one locked
// thread: capabilities belong to threads, and the child inherits its parent thread's.
func startConfined(spec *sandboxSpec) (int, error) {
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return 0, fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	for c := 0; c <= 63; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); errors.Is(err, unix.EINVAL) {
			break // past the last capability this kernel knows
		} else if err != nil {
			return 0, fmt.Errorf("dropping capability %d: %w", c, err)
		}
	}
	// An empty bounding set is not enough for root inside: exec gives root the inheritable
	// set, which holds what was raised as ambient. Clear every set.
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var none [2]unix.CapUserData
	if err := unix.Capset(&hdr, &none[0]); err != nil {
		return 0, fmt.Errorf("clearing capabilities: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return 0, fmt.Errorf("setting no_new_privs: %w", err)
	}
	// Nothing but stdin, stdout and stderr reaches the command: not the helper's pipes, nor
	// descriptors isobench inherited from its own parent without close-on-exec.
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		entries, _ := os.ReadDir("/proc/self/fd")
		for _, e := range entries {
			if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
				unix.CloseOnExec(fd)
			}
		}
	}
	return syscall.ForkExec(spec.Path, spec.Args, &syscall.ProcAttr{
		Dir:   spec.Dir,
		Env:   spec.Env,
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
}

// pathInstalls are the directories on the command's PATH outside the system's, with the
// installations they belong to (the parent of a bin or shims directory: pyenv's shims run
// ~/.pyenv/libexec/pyenv and a Python under ~/.pyenv/versions), so that a test finds
// python3 or uv where the user's shell does. Programs, not data: never what shareable
// refuses (the home directory, the root, /tmp), but the bin directory alone then (~/bin).
func pathInstalls(env []string) []string {
	var path string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	home, _ := os.UserHomeDir()
	var out []string
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) || underSystemDir(dir) || !exists(dir) {
			continue
		}
		dir = installDir(filepath.Clean(dir), home, "bin", "shims")
		if dir == "" || underSystemDir(dir) || slices.Contains(out, dir) {
			continue
		}
		out = append(out, dir)
	}
	return out
}

func underSystemDir(path string) bool {
	for _, d := range systemDirs {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// systemDirs are what every program needs to run: binaries, libraries, configuration, and
// the places where drivers and toolkits install (CUDA under /usr/local or /opt). Those
// missing on a machine are skipped.
var systemDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/sys",
	"/run/nvidia-persistenced"}

// devNodes are the device files a program may open; GPUs are added by pattern.
var devNodes = []string{"null", "zero", "full", "random", "urandom", "tty"}
var gpuNodes = []string{"/dev/nvidia*", "/dev/nvidia-caps", "/dev/dri"}

// setupSandbox builds the command's view: its loopback, its /proc, and unless HostFiles its
// own root.
func setupSandbox(spec *sandboxSpec) error {
	// Nothing mounted here may reach back into the machine's namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if !spec.Network {
		if err := loopbackUp(); err != nil {
			return fmt.Errorf("bringing up loopback: %w", err)
		}
	}
	if spec.HostFiles {
		if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("mounting /proc: %w", err)
		}
		return nil
	}
	r := spec.Root
	if err := unix.Mount("tmpfs", r, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return fmt.Errorf("mounting the root: %w", err)
	}
	for _, d := range systemDirs {
		if err := bindInto(r, d, false, true); err != nil {
			return err
		}
	}
	if err := setupDev(r); err != nil {
		return err
	}
	for _, d := range []string{"/proc", "/tmp"} {
		if err := os.MkdirAll(r+d, 0o755); err != nil {
			return err
		}
	}
	if err := unix.Mount("proc", r+"/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	if err := unix.Mount("tmpfs", r+"/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return fmt.Errorf("mounting /tmp: %w", err)
	}
	for _, b := range spec.Binds {
		var err error
		if b.Upper != "" {
			err = overlayInto(r, b.Path, b.Upper)
		} else {
			err = bindInto(r, b.Path, b.Writable, false)
		}
		if err != nil {
			return err
		}
	}
	old := filepath.Join(r, ".old-root")
	if err := os.Mkdir(old, 0o700); err != nil {
		return err
	}
	if err := unix.PivotRoot(r, old); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Unmount("/.old-root", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	os.Remove("/.old-root")
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("making the root read-only: %w", err)
	}
	return nil
}

// bindInto makes path visible at the same place under root: a symbolic link is copied as
// one, a file or directory bind-mounted, read-only unless writable. optional skips a path
// the machine lacks.
func bindInto(root, path string, writable, optional bool) error {
	fi, err := os.Lstat(path)
	if err != nil {
		if optional {
			return nil
		}
		return fmt.Errorf("%s is not there to share with the command: %w", path, err)
	}
	target := root + path
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil && !exists(filepath.Dir(target)) {
		return err
	}
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		dest, err := os.Readlink(path)
		if err != nil {
			return err
		}
		if err := os.Symlink(dest, target); err != nil && !exists(target) {
			return err
		}
		return nil
	case fi.IsDir():
		if err := os.Mkdir(target, 0o755); err != nil && !exists(target) {
			return err
		}
	default:
		f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil && !exists(target) {
			return err
		}
		if f != nil {
			f.Close()
		}
	}
	if err := unix.Mount(path, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("sharing %s with the command: %w", path, err)
	}
	if writable {
		return nil
	}
	// A remount must keep the flags the machine's mount has (nosuid, nodev, noexec): in a
	// user namespace they are locked, and dropping one is refused.
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		return err
	}
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
	for _, f := range []struct{ st, ms uintptr }{
		{unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME}, {unix.ST_NODIRATIME, unix.MS_NODIRATIME}, {unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if uintptr(st.Flags)&f.st != 0 {
			flags |= f.ms
		}
	}
	if err := unix.Mount("", target, "", flags, ""); err != nil {
		return fmt.Errorf("making %s read-only for the command: %w", path, err)
	}
	return nil
}

// overlayInto shows dir at the same place under root with an overlay: reads see dir, writes
// go to upper/changes (upper/work is the overlay's own), and dir itself is never written.
// Where the kernel refuses the overlay (before Linux 5.11; and on this project's development
// machine for users other than root, EACCES, cause not established) dir is bound writable:
// callers give CopyOnWrite only directories private to the work, which then keep what one
// run wrote for the next.
func overlayInto(root, dir, upper string) error {
	changes, work := filepath.Join(upper, "changes"), filepath.Join(upper, "work")
	for _, d := range []string{changes, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	target := root + dir
	if err := os.MkdirAll(target, 0o755); err != nil && !exists(target) {
		return err
	}
	if !strings.ContainsAny(dir+upper, ",:\\") { // the overlay's option syntax cannot say these
		// userxattr: in a user namespace the overlay keeps its bookkeeping in user.*
		// attributes, the only ones an unprivileged user may set.
		opts := "lowerdir=" + dir + ",upperdir=" + changes + ",workdir=" + work + ",userxattr"
		if unix.Mount("overlay", target, "overlay", unix.MS_NOSUID|unix.MS_NODEV, opts) == nil {
			return nil
		}
	}
	return bindInto(root, dir, true, false)
}

// removeOverlayWork removes the overlay's work directory under upper once the sandbox is
// gone. The kernel makes work/work with no permissions at all, which a user's RemoveAll of
// the run directory could not enter.
func removeOverlayWork(upper string) {
	work := filepath.Join(upper, "work")
	os.Chmod(filepath.Join(work, "work"), 0o700)
	os.RemoveAll(work)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// setupDev gives the command a /dev of its own: the harmless nodes, the GPUs', a private
// /dev/shm, and the links programs expect.
func setupDev(root string) error {
	dev := root + "/dev"
	if err := os.MkdirAll(dev, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID, "mode=0755"); err != nil {
		return fmt.Errorf("mounting /dev: %w", err)
	}
	for _, n := range devNodes {
		if err := bindInto(root, "/dev/"+n, true, true); err != nil {
			return err
		}
	}
	for _, pat := range gpuNodes {
		matches, _ := filepath.Glob(pat)
		for _, m := range matches {
			if err := bindInto(root, m, true, true); err != nil {
				return err
			}
		}
	}
	if err := os.Mkdir(dev+"/shm", 0o1777); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", dev+"/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return fmt.Errorf("mounting /dev/shm: %w", err)
	}
	for name, dest := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(dest, dev+"/"+name); err != nil {
			return err
		}
	}
	return nil
}

// loopbackUp brings up the new network namespace's only interface, which starts down.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP | unix.IFF_RUNNING)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
