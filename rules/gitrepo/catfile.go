package gitrepo

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// catFile is one long-lived `git cat-file --batch` process over a mirror. A build that
// resolves 10,000 refs or reads 10,000 commits asks it 10,000 questions on one pipe instead
// of starting 10,000 processes (a few milliseconds each, so tens of seconds in all).
//
// The process reads the mirror's refs once, when it starts; after a fetch it must be closed
// so that the next question starts a process that sees the new refs.
type catFile struct{ batchProc }

func newCatFile(dir string) *catFile {
	return &catFile{batchProc{dir: dir, args: []string{"cat-file", "--batch"}}}
}

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
	objs := make([]object, len(names))
	err := c.exchange(ctx, func() error {
		// Write from another goroutine: cat-file answers each line as it reads it, and with
		// many names both pipes would fill, each side waiting on the other.
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
		var err error
		for i := range names {
			if objs[i], err = c.read(); err != nil {
				break
			}
		}
		if werrV := <-werr; err == nil {
			err = werrV
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return objs, nil
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
