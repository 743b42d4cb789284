package engine

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// The remote half of an Executor: a process on another machine (a cluster node running
// `isobench exec-action`) loads the same workspace, plans the same target, finds the action
// by its ID, and prepares it with the dependencies' results the coordinator sent. What it
// prepares must describe the same work as on the coordinator, which CheckDescription checks
// before anything runs.

// NewInputs returns the inputs of an action whose dependencies finished elsewhere: deps holds
// their results by action ID, store their output blobs.
func NewInputs(a *Action, ws *Workspace, userCache string, store Blobs, deps map[string]*Outcome) *Inputs {
	return &Inputs{Action: a, Workspace: ws, UserCache: userCache, Building: true, Store: store,
		done: func(d *Action) *Outcome { return deps[d.ID] }}
}

// FindAction returns the action with the given ID among those reachable from root.
func FindAction(root *Action, id string) *Action {
	for _, a := range Closure([]*Action{root}) {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// CheckDescription compares the key description the coordinator computed (want) with the one
// computed here (got). Lines that describe the machine (HardwarePrefix) may differ: the node
// the cluster picked is the machine that measures. Any other difference means the workspace,
// a dependency's output or the tool changed under the job, and running it would store a
// result under a key that does not describe it.
func CheckDescription(want, got string) error {
	w, g := stripHardware(want), stripHardware(got)
	if len(w) == len(g) {
		same := true
		for i := range w {
			if w[i] != g[i] {
				same = false
				break
			}
		}
		if same {
			return nil
		}
	}
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Errorf("the workspace changed under the job: the coordinator prepared %q where this machine prepares %q; build again", wl, gl)
		}
	}
	return nil
}

func stripHardware(desc string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(desc, "\n"), "\n") {
		if !strings.HasPrefix(l, HardwarePrefix) {
			lines = append(lines, l)
		}
	}
	return lines
}

// RunHere executes prepared work in this process, as the scheduler's local path does: a fresh
// temporary directory unless the work says NoTempDir, the log, and the GPUs the remote
// scheduler gave the job. Work that needs no execution (Work.Done: a requirement this machine
// cannot meet) returns its result. It never returns nil.
func RunHere(ctx context.Context, a *Action, w *Work, ws *Workspace, userCache string, store Blobs, gpus []int, log io.Writer) *Result {
	if w.Done != nil {
		return w.Done
	}
	tmp, releaseTmp, err := actionTempDir(w)
	if err != nil {
		return Transient("error", "%s", err)
	}
	defer releaseTmp()
	root := ""
	if ws != nil {
		root = ws.Root
	}
	x := &Exec{Action: a, Log: &syncWriter{w: log}, GPUs: gpus, TempDir: tmp, Workspace: root,
		UserCache: userCache, Store: store, Building: true}
	return runWork(ctx, w, x)
}
