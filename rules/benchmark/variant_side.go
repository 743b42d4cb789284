package benchmark

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// sha is the commit a side runs: a variant's is the base it patches.
func (pr *prepared) sha(side artifact.Side) string {
	if side == artifact.Head {
		return pr.facts.Head
	}
	return pr.facts.Base
}

// failure is an error that is the measurement's result: a deterministic failure found while
// setting up (a patch that does not apply).
type failure struct{ res *engine.Result }

func (f *failure) Error() string { return f.res.Message }

// setupVariant makes the variant's side: the base tree with the patch applied, and its code
// where the test finds it. Commands run in the patched tree. A test in an environment sees
// the patched code on PYTHONPATH: the patched tree itself when the environment puts the
// commit's tree there (install = "pythonpath"), else a copy of the installed packages the
// patch touches with its files laid over them (overlay).
func (r *runner) setupVariant(ctx context.Context, s *sideSetup) error {
	vp := r.pr.variant
	tree := filepath.Join(r.x.TempDir, "variant-tree")
	if err := r.checkout(ctx, vp.v.Side(), tree); err != nil {
		return err
	}
	s.scratch = append(s.scratch, tree)
	if err := applyPatch(ctx, tree, vp.v.Patch); err != nil {
		var pe *patchError
		if errors.As(err, &pe) {
			fmt.Fprintf(r.x.Log, "git apply refused the patch of variant %s:\n%s\n", vp.v.Name, pe.msg)
			return &failure{engine.Failed(ClassPatchFailed, "The patch of variant %s does not apply to the base commit %.12s: git apply says: %s",
				vp.v.Name, r.pr.facts.Base, oneLine(pe.msg))}
		}
		return fmt.Errorf("cannot apply the patch of variant %s: %w", vp.v.Name, err)
	}
	if r.pr.commands != nil {
		s.tree = tree
	}
	env := r.pr.envs[artifact.Base]
	switch vp.method {
	case "pythonpath":
		var paths []string
		for _, p := range env.PythonPath {
			// The environment holds the commit's tree under src/ (environment.Build).
			rel := strings.TrimPrefix(strings.TrimPrefix(p, "src"), "/")
			paths = append(paths, filepath.Join(tree, filepath.FromSlash(rel)))
		}
		if extra := env.Env["PYTHONPATH"]; extra != "" {
			paths = append(paths, extra)
		}
		s.vars["PYTHONPATH"] = strings.Join(paths, string(filepath.ListSeparator))
	case "overlay":
		dir := filepath.Join(r.x.TempDir, "variant-overlay")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		s.scratch = append(s.scratch, dir)
		laid, outside, sources, err := overlay(s.envDir, tree, dir, vp.files)
		if err != nil {
			return fmt.Errorf("cannot lay the patch of variant %s over the environment: %w", vp.v.Name, err)
		}
		if err := compileSources(ctx, artifact.PythonIn(s.envDir), sources); err != nil {
			// Left to fail in its runs (variant_failed), where the test's output says why.
			fmt.Fprintf(r.x.Log, "variant %s: %s\n", vp.v.Name, err)
		}
		fmt.Fprintf(r.x.Log, "variant %s: %d file%s laid over the installed packages (%s)",
			vp.v.Name, len(laid), plural(len(laid)), strings.Join(laid, ", "))
		if len(outside) > 0 {
			fmt.Fprintf(r.x.Log, "; not in any installed package, so not seen by the test: %s", strings.Join(outside, ", "))
			r.rec.Variant.NotInstalled = outside
		}
		fmt.Fprintln(r.x.Log)
		path := dir
		if prev := s.vars["PYTHONPATH"]; prev != "" {
			path += string(filepath.ListSeparator) + prev
		}
		s.vars["PYTHONPATH"] = path
	}
	s.vars["ISOBENCH_VARIANT"] = vp.v.Name
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
