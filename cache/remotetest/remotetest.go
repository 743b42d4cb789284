// Package remotetest runs a real bazel-remote, the cache server most Bazel users run, for
// the tests of isobench's remote cache (cache, engine and the command). Each test gets its
// own server on 127.0.0.1 with its own storage directory, so tests cannot see each other's
// results and a test may corrupt what the server stores. A server starts in about a quarter
// of a second.
//
// The binary is built from the Go module proxy by scripts/bazel-remote.sh, which caches it;
// tests find it through $BAZEL_REMOTE or at the path the script uses, and skip, saying how
// to get it, when it is in neither place.
package remotetest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Version is the bazel-remote release the tests are written against; scripts/bazel-remote.sh
// builds the same one.
const Version = "v2.6.1"

// Binary returns the bazel-remote to run: $BAZEL_REMOTE, else the one scripts/bazel-remote.sh
// caches under $HOME/.cache/isobench-ci/bazel-remote; "" when there is neither.
func Binary() string {
	if p := os.Getenv("BAZEL_REMOTE"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	p := filepath.Join(home, ".cache", "isobench-ci", "bazel-remote", "bazel-remote-"+Version)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// Server is a running bazel-remote.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:<port>.
	URL string
	// Dir is where it stores blobs, uncompressed, so that a test can corrupt one.
	Dir string

	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	log    bytes.Buffer
}

// Start runs a bazel-remote for t, stopped when t ends. It skips t when there is no binary.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		t.Skip("bazel-remote not found: run scripts/bazel-remote.sh (it builds it once, about 2 minutes) and set BAZEL_REMOTE to the path it prints")
	}
	dir := t.TempDir()
	var err error
	// bazel-remote cannot listen on port 0 and report the port it got, so the port is chosen
	// here and may be taken in between; a second try settles that.
	for range 3 {
		var s *Server
		if s, err = start(bin, dir); err == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("starting bazel-remote (%s): %v", bin, err)
	return nil
}

func start(bin, dir string) (*Server, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + addr, Dir: dir, exited: make(chan struct{})}
	s.cmd = exec.Command(bin,
		"--dir", dir,
		"--max_size", "1", // GiB
		"--http_address", addr,
		"--grpc_address", "none",
		// Blobs are kept as they came, so a test can overwrite one on disk to play a server
		// that serves corrupt data (bazel-remote checks digests on upload, never on download).
		"--storage_mode", "uncompressed",
		"--access_log_level", "none",
	)
	s.cmd.Stdout, s.cmd.Stderr = s.logWriter(), s.logWriter()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("bazel-remote exited at start:\n%s", s.Log())
		default:
		}
		if resp, err := http.Get(s.URL + "/status"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("bazel-remote did not answer on %s within 10 s:\n%s", addr, s.Log())
}

// Stop kills the server and waits for it to exit. Stopping twice is harmless; a test stops a
// server early to play one that went down.
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	<-s.exited
}

// Log returns what the server printed.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

type lockedWriter struct{ s *Server }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}

func (s *Server) logWriter() lockedWriter { return lockedWriter{s} }

// Corrupt overwrites the stored content of the CAS blob with this SHA-256 by as many bytes of
// garbage, keeping its size: the server goes on serving it, as a server with a bad disk
// would. It fails when the server does not hold the blob.
func (s *Server) Corrupt(hash string) error {
	if len(hash) < 2 {
		return fmt.Errorf("%q is not a SHA-256", hash)
	}
	files, _ := filepath.Glob(filepath.Join(s.Dir, "cas.v2", hash[:2], hash+"-*"))
	if len(files) == 0 {
		return fmt.Errorf("bazel-remote holds no blob %s in %s", hash, s.Dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			return errors.New("cannot corrupt an empty blob without changing its size")
		}
		for i := range data {
			data[i] ^= 0x5a
		}
		if err := os.WriteFile(f, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// FreeAddr returns a 127.0.0.1 address nothing listens on now: a port for a server, or, left
// unused, the address of a cache server that is down.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
