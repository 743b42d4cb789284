package engine

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// An ExecutorKind is a place actions can run, registered with the loader as target kinds are
// (LoadOptions.Executors; "local" is built in). Its package brings the schema of its
// `executor "NAME" { ... }` block of isobench.hcl and decodes the block once, at load time,
// into a typed config: only its Decode reads attributes by name. The command picks one by
// name (--executor, or the block isobench.hcl declares) and makes the build's Executor with
// New.
type ExecutorKind interface {
	Name() string
	Schema() *Schema
	// Decode turns the executor's block into its config, checking what the schema cannot,
	// with diagnostics that point into the block. b is nil when isobench.hcl has no block for
	// the executor: the config is then the defaults.
	Decode(ws *Workspace, b *Body) (config any, diags hcl.Diagnostics)
	// New returns a build's executor from the decoded config; nil runs everything here. vars
	// are the build's --var values, for an executor whose far side loads the workspace again.
	// An error says why the executor cannot be used.
	New(ws *Workspace, config any, vars map[string]string) (Executor, error)
}

// An ExecutorSetting is a registered executor as the workspace configures it.
type ExecutorSetting struct {
	Kind     ExecutorKind
	Config   any  // what Kind.Decode made of the block, or of no block: the defaults
	Declared bool // isobench.hcl has an `executor "NAME"` block for it
}

// LocalExecutor names the built-in executor: everything runs in this process, under its
// resource pools. Its block, if written, takes no attributes.
const LocalExecutor = "local"

type localExecutor struct{}

func (localExecutor) Name() string    { return LocalExecutor }
func (localExecutor) Schema() *Schema { return &Schema{} }

func (localExecutor) Decode(*Workspace, *Body) (any, hcl.Diagnostics) { return nil, nil }

func (localExecutor) New(*Workspace, any, map[string]string) (Executor, error) { return nil, nil }

// ExecutorNames lists the registered executors, sorted.
func (w *Workspace) ExecutorNames() []string { return sortedKeys(w.Executors) }

// registerExecutors makes the workspace's table of executors: local, and those the command
// registered.
func (l *loader) registerExecutors(kinds []ExecutorKind) {
	l.ws.Executors = map[string]*ExecutorSetting{LocalExecutor: {Kind: localExecutor{}}}
	for _, k := range kinds {
		l.ws.Executors[k.Name()] = &ExecutorSetting{Kind: k}
	}
}

// loadExecutors decodes the executor blocks of isobench.hcl, and gives every executor
// without one its defaults.
func (l *loader) loadExecutors(blocks hcl.Blocks) {
	for _, b := range blocks {
		name := b.Labels[0]
		s, ok := l.ws.Executors[name]
		if !ok {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown executor",
				Detail:  fmt.Sprintf("isobench has no executor named %q; %s.", name, theExecutors(l.ws.ExecutorNames())),
				Subject: b.LabelRanges[0].Ptr()})
			continue
		}
		if s.Declared {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate executor block",
				Detail: fmt.Sprintf("isobench.hcl configures the executor %q twice; keep one block.", name), Subject: b.DefRange.Ptr()})
			continue
		}
		s.Declared = true
		body := l.decodeBody(b.Body, s.Kind.Schema(), l.evalContext(b.Body, l.root, ""), "", false)
		if body == nil {
			continue
		}
		body.Range = b.DefRange
		config, diags := s.Kind.Decode(l.ws, body)
		l.diags = append(l.diags, diags...)
		s.Config = config
	}
	for _, name := range l.ws.ExecutorNames() {
		if s := l.ws.Executors[name]; !s.Declared {
			config, diags := s.Kind.Decode(l.ws, nil)
			l.diags = append(l.diags, diags...)
			s.Config = config
		}
	}
}

// theExecutors names the executors in a sentence: "the executors are local and slurm".
func theExecutors(names []string) string {
	if len(names) == 1 {
		return "the only executor is " + names[0]
	}
	return "the executors are " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
