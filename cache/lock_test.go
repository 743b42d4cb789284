package cache

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childDirEnv tells a re-executed test binary to act as a build that holds
// the store: see TestHelperHoldStore.
const childDirEnv = "ISOBENCH_CACHE_TEST_CHILD_DIR"

// TestHelperHoldStore is not a test: run by a parent test as a child process,
// it opens the store, stores one entry, says so, and waits to be killed.
func TestHelperHoldStore(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("helper process for TestPutEntrySurvivesSIGKILL")
	}
	s, err := Open(dir, Options{Owner: "isobench build //child:all"})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	d, err := s.Put([]byte("measured"))
	if err == nil {
		err = s.PutEntry(&Entry{Key: key("killed"), Status: "ok", Outputs: map[string]Digest{"record": d}, Mnemonic: "measure"})
	}
	if err != nil {
		fmt.Println("put:", err)
		os.Exit(1)
	}
	fmt.Println("stored")
	select {} // hold the store until killed
}

func TestPutEntrySurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestHelperHoldStore$")
	child.Env = append(os.Environ(), childDirEnv+"="+dir)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()

	said := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line := sc.Text(); line == "stored" || strings.Contains(line, ":") {
				said <- line
				return
			}
		}
		said <- "child exited without a word"
	}()
	select {
	case line := <-said:
		if line != "stored" {
			t.Fatalf("child: %s", line)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("child did not store its entry within a minute")
	}

	// While the child holds the store, neither a writer nor a reader gets in,
	// and both are told who is in the way.
	for _, ro := range []bool{false, true} {
		_, err := Open(dir, Options{ReadOnly: ro, Owner: "parent"})
		var le *LockedError
		if !errors.As(err, &le) {
			t.Fatalf("Open(ReadOnly: %v) while the child holds it: %v, want *LockedError", ro, err)
		}
		if le.PID != child.Process.Pid || le.Owner != "isobench build //child:all" {
			t.Errorf("LockedError = %+v, want pid %d", le, child.Process.Pid)
		}
		msg := le.Error()
		for _, want := range []string{dir, fmt.Sprintf("pid %d", child.Process.Pid), `"isobench build //child:all"`, "since "} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q lacks %q", msg, want)
			}
		}
	}

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	// A reader first: alone, it must recover the killed writer's log itself.
	for _, ro := range []bool{true, false} {
		s, err := Open(dir, Options{ReadOnly: ro})
		if err != nil {
			t.Fatalf("Open(ReadOnly: %v) after SIGKILL: %v", ro, err)
		}
		e, ok, err := s.GetEntry(key("killed"))
		if err != nil || !ok || e.Status != "ok" {
			t.Errorf("ReadOnly %v: GetEntry after SIGKILL = %+v, %v, %v", ro, e, ok, err)
		} else if data, err := s.Get(e.Outputs["record"]); err != nil || string(data) != "measured" {
			t.Errorf("ReadOnly %v: output after SIGKILL = %q, %v", ro, data, err)
		}
		s.Close()
	}
}

func TestSecondOpenerInProcessIsLockedOut(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Owner: "first"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{Owner: "second"})
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || le.Owner != "first" {
		t.Fatalf("second Open = %v, want *LockedError naming the first", err)
	}
	s.Close()
	// Released on Close; the stale record in LOCK does not matter.
	s, err = Open(dir, Options{Owner: "third"})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s.Close()
}

func TestLockedErrorWithoutRecord(t *testing.T) {
	e := &LockedError{Dir: "/c"}
	if got, want := e.Error(), "the cache at /c is in use by another isobench process"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &LockedError{Dir: "/c", PID: 7, Owner: "isobench build //...", Since: time.Now()}
	if got := e.Error(); !strings.HasPrefix(got, `the cache at /c is in use by another isobench process (pid 7, "isobench build //...", since `) {
		t.Errorf("Error() = %q", got)
	}
}
