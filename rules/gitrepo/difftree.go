package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os/exec"
	"sync"
	"time"
)

// diffTree is one long-lived `git diff-tree --stdin` process over a mirror: the facts of
// 10,000 commits are 10,000 questions on one pipe, not 20,000 git processes (each a few
// milliseconds of fork, exec and repository setup, which was most of a cold build's time).
//
// Each question is a line "<head> <base>" (diff-tree reads a commit and the parent to compare
// it with), then a line that is not an object name, which diff-tree echoes and flushes once
// it has written the diff before it: the end of the answer. That line carries a random nonce
// drawn when the process starts, so no diff can contain it by chance.
//
// Like catFile, it closes itself after catFileIdle without a question.
type diffTree struct {
	dir  string
	args []string // diff options after "diff-tree --stdin --no-commit-id -r"

	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr *cappedWriter
	end    []byte // the end-of-answer line, newline included
	idle   *time.Timer
}

// diff returns what `git diff <args> base head` prints, for full SHAs of two commits.
func (d *diffTree) diff(ctx context.Context, base, head string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.idle != nil {
		d.idle.Stop()
	}
	if d.cmd == nil {
		if err := d.start(); err != nil {
			return nil, err
		}
	}
	proc := d.cmd.Process
	stop := context.AfterFunc(ctx, func() { proc.Kill() })
	defer stop()
	out, err := d.ask(head + " " + base + "\n")
	if err != nil {
		msg := d.stderr.String()
		d.closeLocked()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &gitError{args: []string{"diff-tree"}, stderr: msg, err: err}
	}
	d.idle = time.AfterFunc(catFileIdle, d.close)
	return out, nil
}

// ask writes one question and reads its answer up to the end line. The question is a few
// dozen bytes, which the pipe takes whole before diff-tree reads it, so writing first and
// reading after cannot deadlock however long the answer.
func (d *diffTree) ask(question string) ([]byte, error) {
	if _, err := io.WriteString(d.stdin, question+string(d.end)); err != nil {
		return nil, err
	}
	var out []byte
	for {
		chunk, err := d.out.ReadSlice('\n')
		out = append(out, chunk...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			return nil, err
		}
		if bytes.HasSuffix(out, d.end) {
			return out[:len(out)-len(d.end)], nil
		}
	}
}

func (d *diffTree) start() error {
	var nonce [16]byte
	rand.Read(nonce[:])
	args := append([]string{"diff-tree", "--stdin", "--no-commit-id", "-r"}, d.args...)
	cmd := gitCommand(context.Background(), sealed, d.dir, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	d.stderr = &cappedWriter{buf: &bytes.Buffer{}, max: 64 << 10}
	cmd.Stderr = d.stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	// "isobench-end-" begins with a letter that is no hex digit: diff-tree echoes the line.
	d.cmd, d.stdin, d.out = cmd, stdin, bufio.NewReaderSize(stdout, 64<<10)
	d.end = []byte("isobench-end-" + hex.EncodeToString(nonce[:]) + "\n")
	return nil
}

func (d *diffTree) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closeLocked()
}

func (d *diffTree) closeLocked() {
	if d.idle != nil {
		d.idle.Stop()
		d.idle = nil
	}
	if d.cmd == nil {
		return
	}
	d.stdin.Close() // diff-tree exits at end of input
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		d.cmd.Process.Kill()
		<-done
	}
	d.cmd, d.stdin, d.out = nil, nil, nil
}

// cappedWriter keeps the first max bytes written to it, for an error message; it is written
// from exec's copying goroutine and read after a failure, hence the lock.
type cappedWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
	max int
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// String is what was kept so far.
func (w *cappedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
