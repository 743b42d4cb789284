package engine

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// cudaCheck multiplies two matrices on the first GPU and prints a checksum and the time of
// the product, after a warm-up.
const cudaCheck = `
import time, torch
assert torch.cuda.is_available(), "CUDA is not available"
print("device", torch.cuda.get_device_name(0))
g = torch.Generator(device="cuda").manual_seed(0)
a = torch.randn(4096, 4096, device="cuda", generator=g)
(a @ a).sum().item()
torch.cuda.synchronize()
t = time.perf_counter()
s = (a @ a).sum().item()
torch.cuda.synchronize()
print("checksum %.6e" % s)
print("matmul_seconds %.6f" % (time.perf_counter() - t))
`

// TestSandboxCUDA runs PyTorch on a GPU inside the sandbox and outside it: the device nodes
// and the driver's files must be reachable, and the result the same. It runs where there is
// an NVIDIA GPU and PyTorch, and is skipped elsewhere (CI).
func TestSandboxCUDA(t *testing.T) {
	if _, err := os.Stat("/dev/nvidiactl"); err != nil {
		t.Skip("no NVIDIA GPU")
	}
	needSandbox(t)
	py := python(t)
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skip("no PyTorch")
	}
	run := func(sandbox *Sandbox) (string, time.Duration) {
		dir := t.TempDir()
		if sandbox != nil {
			sandbox.Writable = []string{dir}
		}
		start := time.Now()
		res, err := RunCommand(context.Background(), Command{Path: py, Args: []string{"-c", cudaCheck}, Dir: dir,
			Env:     MinimalEnv(dir, map[string]string{"CUDA_VISIBLE_DEVICES": "0", "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}),
			Timeout: 5 * time.Minute, Sandbox: sandbox})
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("sandbox %v: %v, exit %d:\n%s", sandbox != nil, err, res.ExitCode, res.Output())
		}
		return string(res.Stdout), time.Since(start)
	}
	plain, plainTime := run(nil)
	boxed, boxedTime := run(&Sandbox{})
	t.Logf("outside: %s(%s)\ninside: %s(%s)", plain, plainTime, boxed, boxedTime)
	field := func(out, name string) string {
		for _, l := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(l, name+" "); ok {
				return v
			}
		}
		return ""
	}
	if field(plain, "checksum") == "" || field(plain, "checksum") != field(boxed, "checksum") || field(plain, "device") != field(boxed, "device") {
		t.Errorf("the sandbox changed the result:\noutside: %s\ninside: %s", plain, boxed)
	}
	if smi, err := exec.LookPath("nvidia-smi"); err == nil {
		dir := t.TempDir()
		res, err := RunCommand(context.Background(), Command{Path: smi, Args: []string{"-L"}, Dir: dir,
			Env: MinimalEnv(dir, nil), Timeout: time.Minute, Sandbox: &Sandbox{Writable: []string{dir}}})
		if err != nil || res.ExitCode != 0 || !strings.Contains(string(res.Stdout), "GPU 0") {
			t.Errorf("nvidia-smi in the sandbox: %v\n%s", err, res.Output())
		}
		t.Logf("nvidia-smi -L in the sandbox: %s", strings.TrimSpace(string(res.Stdout)))
	}
}

// BenchmarkRunCommand measures what a sandbox adds to starting a command: /bin/true run
// plainly, and in the namespaces with its own root.
func BenchmarkRunCommand(b *testing.B) {
	dir := b.TempDir()
	for _, c := range []struct {
		name    string
		sandbox *Sandbox
	}{{"plain", nil}, {"sandbox", &Sandbox{Writable: []string{dir}}}, {"sandbox-hostfiles", &Sandbox{HostFiles: true, Network: true}}} {
		b.Run(c.name, func(b *testing.B) {
			if c.sandbox != nil {
				if iso, why := SandboxIsolation(); iso != IsolationNamespaces {
					b.Skip(why)
				}
			}
			for b.Loop() {
				res, err := RunCommand(context.Background(), Command{Path: "/bin/true", Dir: dir, Env: MinimalEnv(dir, nil), Sandbox: c.sandbox})
				if err != nil || res.ExitCode != 0 {
					b.Fatal(err, res)
				}
			}
		})
	}
}
