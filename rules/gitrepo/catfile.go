package gitrepo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// catFile is one long-lived `git cat-file --batch` process over a mirror. A build that
// resolves 10,000 refs or reads 10,000 commits asks it 10,000 questions on one pipe instead
// of starting 10,000 processes (a few milliseconds each, so tens of seconds in all).
//
// The process reads the mirror's refs once, when it starts; after a fetch it must be closed
// so that the next question starts a process that sees the new refs. It closes itself after
// catFileIdle without a question, so a build never leaves one behind.
type catFile struct {
	dir string

	mu    sync.Mutex
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	idle  *time.Timer
}

// catFileIdle is how long an unused process waits for the next question. Questions of one
// build come in bursts (Prepare of every commit, then Run of the stale ones) milliseconds
// apart; two seconds spans the gaps and ends the process soon after the build.
const catFileIdle = 2 * time.Second

// object is cat-file's answer about one name.
type object struct {
	SHA       string
	Type      string
	Data      []byte
	Missing   bool // no such object (or it does not peel to what was asked)
	Ambiguous bool // a prefix matching several objects
}

// query asks about names, in order. Each name may be any revision git understands
// ("main^{commit}", "v1.0", "1a2b3c"). An error means the process failed, not that an object
// is missing.
func (c *catFile) query(ctx context.Context, names []string) ([]object, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle != nil {
		c.idle.Stop()
	}
	if c.cmd == nil {
		if err := c.start(); err != nil {
			return nil, err
		}
	}
	// cat-file cannot be interrupted mid-answer; killing it unblocks our read.
	proc := c.cmd.Process
	stop := context.AfterFunc(ctx, func() { proc.Kill() })
	defer stop()
	// Write from another goroutine: cat-file answers each line as it reads it, and with many
	// names both pipes would fill, each side waiting on the other.
	werr := make(chan error, 1)
	go func() {
		var b strings.Builder
		for _, n := range names {
			b.WriteString(n)
			b.WriteByte('\n')
		}
		_, err := io.WriteString(c.stdin, b.String())
		werr <- err
	}()
	objs := make([]object, len(names))
	var err error
	for i := range names {
		if objs[i], err = c.read(); err != nil {
			break
		}
	}
	if werrV := <-werr; err == nil {
		err = werrV
	}
	if err != nil {
		c.closeLocked()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("git cat-file failed in %s: %w", c.dir, err)
	}
	c.idle = time.AfterFunc(catFileIdle, c.close)
	return objs, nil
}

func (c *catFile) start() error {
	cmd := gitCommand(context.Background(), sealed, c.dir, "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	c.cmd, c.stdin, c.out = cmd, stdin, bufio.NewReaderSize(stdout, 64<<10)
	return nil
}

// read parses one answer: "<sha> <type> <size>\n<content>\n", or "<name> missing\n" and its
// kin ("ambiguous"; "dangling", "loop", "notdir" only with --follow-symlinks).
func (c *catFile) read() (object, error) {
	line, err := c.out.ReadString('\n')
	if err != nil {
		return object{}, err
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return object{}, fmt.Errorf("unexpected empty answer")
	}
	switch last := fields[len(fields)-1]; {
	case last == "ambiguous":
		return object{Ambiguous: true}, nil
	case len(fields) != 3:
		return object{Missing: true}, nil
	}
	size, err := strconv.Atoi(fields[2])
	if err != nil {
		return object{}, fmt.Errorf("unexpected answer %q", strings.TrimSpace(line))
	}
	data := make([]byte, size+1) // content and its trailing newline
	if _, err := io.ReadFull(c.out, data); err != nil {
		return object{}, err
	}
	return object{SHA: fields[0], Type: fields[1], Data: data[:size]}, nil
}

// close ends the process; the next query starts another.
func (c *catFile) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
}

func (c *catFile) closeLocked() {
	if c.idle != nil {
		c.idle.Stop()
		c.idle = nil
	}
	if c.cmd == nil {
		return
	}
	c.stdin.Close() // cat-file exits at end of input
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		c.cmd.Process.Kill()
		<-done
	}
	c.cmd, c.stdin, c.out = nil, nil, nil
}
