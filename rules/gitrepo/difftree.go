package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
)

// diffTree is one long-lived `git diff-tree --stdin` process over a mirror: the facts of
// 10,000 commits are 10,000 questions on one pipe, not 20,000 git processes (each a few
// milliseconds of fork, exec and repository setup, which was most of a cold build's time).
//
// Each question is a line "<head> <base>" (diff-tree reads a commit and the parent to compare
// it with), then a line that is not an object name, which diff-tree echoes and flushes once
// it has written the diff before it: the end of the answer. That line carries a random nonce
// drawn when the diffTree is made, so no diff can contain it by chance.
type diffTree struct {
	batchProc
	opts []string // the diff options, as `git diff` takes them
	end  []byte   // the end-of-answer line, newline included
}

// newDiffTree makes a diffTree whose answers are what `git diff <opts>` prints.
func newDiffTree(dir string, opts []string) *diffTree {
	var nonce [16]byte
	rand.Read(nonce[:])
	return &diffTree{
		batchProc: batchProc{dir: dir, args: append([]string{"diff-tree", "--stdin", "--no-commit-id", "-r"}, opts...)},
		opts:      opts,
		// "isobench-end-" begins with a letter that is no hex digit: diff-tree echoes the line.
		end: []byte("isobench-end-" + hex.EncodeToString(nonce[:]) + "\n"),
	}
}

// diff returns what `git diff <opts> base head` prints, for full SHAs of two commits.
func (d *diffTree) diff(ctx context.Context, base, head string) ([]byte, error) {
	var out []byte
	err := d.exchange(ctx, func() (err error) {
		out, err = d.ask(head + " " + base + "\n")
		return err
	})
	return out, err
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
