package cache

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiskFullIsAnError: a write that would leave less than the reserve free is refused
// with a DiskFullError naming the free space, the store keeps what it had, and writing
// resumes once there is room.
func TestDiskFullIsAnError(t *testing.T) {
	s := openTest(t)
	before, err := s.Put([]byte("stored before the disk filled"))
	if err != nil {
		t.Fatal(err)
	}
	free := uint64(diskReserve + 1<<20)
	real := freeBytes
	freeBytes = func(string) (uint64, error) { return free, nil }
	t.Cleanup(func() { freeBytes = real })

	_, err = s.Put(make([]byte, 1<<20))
	if !IsDiskFull(err) || !strings.Contains(err.Error(), "the cache's disk is full (68 MB free at "+s.Dir()+")") {
		t.Fatalf("Put on a full disk: %v", err)
	}
	if err := s.PutEntry(&Entry{Key: key("a"), Status: "ok"}); err != nil {
		t.Errorf("a small entry still fits: %v", err)
	}
	free = diskReserve / 2
	if err := s.PutEntry(&Entry{Key: key("b"), Status: "ok"}); !IsDiskFull(err) {
		t.Errorf("PutEntry on a full disk: %v", err)
	}
	free = 1 << 40 // space was freed
	if _, err := s.Put(make([]byte, 1<<20)); err != nil {
		t.Errorf("after space was freed: %v", err)
	}
	if b, err := s.Get(before); err != nil || string(b) != "stored before the disk filled" {
		t.Errorf("the earlier blob: %q, %v", b, err)
	}
}

// TestDiskFullOnTmpfs fills a real, small filesystem (a tmpfs, which needs root to mount)
// while writing blobs: the store must refuse with an error before Badger's memory-mapped
// writes fault, and resume once a file is removed.
func TestDiskFullOnTmpfs(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounting a tmpfs needs root; TestDiskFullIsAnError covers the check")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	s, err := Open(filepath.Join(dir, "cache"), Options{Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Leave about 90 MB: a few blobs fit, then the reserve is reached.
	filler := filepath.Join(dir, "filler")
	if out, err := exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=1M", "count=70").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	var stored []Digest
	blob := make([]byte, 4<<20)
	for i := 0; ; i++ {
		if i == 100 {
			t.Fatal("100 blobs of 4 MiB fit in a 160 MB filesystem")
		}
		rand.Read(blob)
		d, err := s.Put(blob)
		if IsDiskFull(err) {
			t.Logf("refused after %d blobs: %v", len(stored), err)
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, d)
	}
	if len(stored) == 0 {
		t.Fatal("nothing fitted")
	}
	os.Remove(filler)
	if _, err := s.Put(blob); err != nil {
		t.Fatalf("after the filler went: %v", err)
	}
	for _, d := range stored {
		if _, err := s.Get(d); err != nil {
			t.Error(err)
		}
	}
}
