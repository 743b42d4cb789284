package environment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/zclconf/go-cty/cty"
)

// settingLines describe the target's own settings, for its standalone action.
func (c *Config) settingLines() []engine.Line {
	lines := []engine.Line{
		engine.L("python", strings.Join(c.Python, " ")),
		engine.L("installer", string(c.Installer)),
		engine.L("install", string(c.Install)),
		engine.L("fallback", string(c.Fallback)),
		engine.L("project", c.Project),
	}
	for _, a := range []struct {
		name string
		attr engine.LateAttr
	}{
		{"packages", c.Packages}, {"index_url", c.IndexURL}, {"extra_index_url", c.ExtraIndexURL},
		{"requirements", c.Requirements}, {"constraints", c.Constraints}, {"env", c.Env}, {"check", c.Check},
		{"wheel_url", c.WheelURL}, {"resolve_as_of", c.ResolveAsOf},
	} {
		if a.attr.IsLate() {
			lines = append(lines, engine.L(a.name, "(per commit)"))
			continue
		}
		// An early attribute evaluates to its value without variables, and without error.
		if a.name == "env" {
			env, _ := a.attr.StringMap(nil)
			lines = append(lines, engine.MapLines(a.name, env)...)
			continue
		}
		if v, _ := a.attr.Value(nil); v != cty.NilVal && !v.IsNull() && v.IsWhollyKnown() {
			lines = append(lines, engine.L(a.name, strings.Join(stringsOf(v), " ")))
		}
	}
	return lines
}

// spec is an environment for one side of one commit: the target's settings with every late
// attribute evaluated and the overrides for the commit applied.
type spec struct {
	*Config
	sha       string
	side      artifact.Side
	project   string // the config's project, or the first package named when it is late
	python    []string
	packages  []requirement
	indexURL  string // "" for the installer's default
	extraURLs []string
	// commitIndexes are the indexes written with `commit` in them, in search order: the
	// project is looked up there only (see indexesFor).
	commitIndexes []string
	reqs          []localFile
	cons          []localFile
	env           map[string]string
	check         string
	overrides     []string  // the commits lists of the overrides applied
	wheelURLs     []string  // direct URLs of the project's wheel, tried when no index has it
	asOf          time.Time // zero unless resolve_as_of is set
}

// localFile is a requirements or constraints file of the workspace. Its content enters the
// key; the installer reads the file itself, so that "-r other.txt" inside it still works (the
// files it includes are not hashed: list them too).
type localFile struct {
	Decl   string // as written
	Path   string // absolute
	Digest string
}

// evaluate computes the spec of one side from the commit's facts. It reads the requirements
// files named, and nothing else: it runs in Prepare.
// stamp, when set, is told of each local file before it is read (engine.Inputs.Stamp).
func (c *Config) evaluate(facts *artifact.CommitFacts, side artifact.Side, root string, stamp func(string)) (*spec, error) {
	vars := facts.Vars(side)
	sp := &spec{Config: c, sha: facts.SHA(side), side: side, python: c.Python, project: c.Project}
	pkgs, err := c.Packages.Strings(vars)
	if err != nil {
		return nil, err
	}
	if sp.indexURL, err = c.IndexURL.String(vars); err != nil {
		return nil, err
	}
	extra, err := c.ExtraIndexURL.Value(vars)
	if err != nil {
		return nil, err
	}
	sp.extraURLs = stringsOf(extra)
	for _, u := range append([]string{sp.indexURL}, sp.extraURLs...) {
		if u == "" {
			continue
		}
		if msg := checkIndexURL(u); msg != "" {
			return nil, fmt.Errorf("%s: %s", c.Label, msg)
		}
	}
	if c.ExtraIndexURL.IsLate() {
		sp.commitIndexes = append(sp.commitIndexes, sp.extraURLs...)
	}
	if c.IndexURL.IsLate() && sp.indexURL != "" {
		sp.commitIndexes = append(sp.commitIndexes, sp.indexURL)
	}
	if sp.env, err = c.Env.StringMap(vars); err != nil {
		return nil, err
	}
	if sp.env == nil {
		sp.env = map[string]string{}
	}
	if sp.check, err = c.Check.String(vars); err != nil {
		return nil, err
	}
	wheels, err := c.WheelURL.Value(vars)
	if err != nil {
		return nil, err
	}
	for _, u := range stringsOf(wheels) {
		if msg := checkWheelURL(u); msg != "" {
			return nil, fmt.Errorf("%s: %s", c.Label, msg)
		}
		sp.wheelURLs = append(sp.wheelURLs, u)
	}
	asOf, err := c.ResolveAsOf.String(vars)
	if err != nil {
		return nil, err
	}
	if asOf != "" {
		if sp.asOf, err = parseAsOf(asOf); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Label, err)
		}
	}
	for _, o := range c.Overrides {
		if !overrideApplies(o.Commits, sp.sha, facts.Head) {
			continue
		}
		sp.overrides = append(sp.overrides, strings.Join(o.Commits, ","))
		pkgs = append(pkgs, o.Packages...)
		for k, v := range o.Env {
			sp.env[k] = v
		}
		if len(o.Python) > 0 {
			sp.python = o.Python
		}
	}
	for _, p := range pkgs {
		r, err := parseRequirement(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Label, err)
		}
		sp.packages = append(sp.packages, r)
	}
	if sp.reqs, err = c.readFiles("requirements", c.Requirements, vars, root, stamp); err != nil {
		return nil, err
	}
	if sp.cons, err = c.readFiles("constraints", c.Constraints, vars, root, stamp); err != nil {
		return nil, err
	}
	if sp.project == "" && c.Install == InstallWheel {
		for _, r := range sp.packages {
			if r.Name != "" {
				sp.project = r.Name
				break
			}
		}
	}
	return sp, nil
}

// record is the spec as the environment's output carries it, for the dataset's records.
func (sp *spec) record(mode InstallMode) *artifact.EnvironmentSpec {
	r := &artifact.EnvironmentSpec{IndexURL: sp.indexURL, ExtraIndexURL: sp.extraURLs, WheelURL: sp.wheelURLs,
		TorchBackend: sp.TorchBackend, Install: string(mode)}
	for _, p := range sp.packages {
		r.Packages = append(r.Packages, p.Raw)
	}
	if !sp.asOf.IsZero() {
		r.ResolveAsOf = asOfText(sp.asOf)
	}
	return r
}

// overrideApplies: an override names the commits that need it. It applies to the side whose
// SHA it names, and to both sides of a commit whose head it names, since a pin that the code
// of a benchmarked commit needs is usually needed by its parent as well.
func overrideApplies(commits []string, sha, head string) bool {
	for _, c := range commits {
		c = strings.ToLower(c)
		if strings.HasPrefix(strings.ToLower(sha), c) || strings.HasPrefix(strings.ToLower(head), c) {
			return true
		}
	}
	return false
}

// readFiles reads requirements or constraints files, named relative to the target's package.
// what names the attribute in an error.
func (c *Config) readFiles(what string, attr engine.LateAttr, vars map[string]cty.Value, root string, stamp func(string)) ([]localFile, error) {
	v, err := attr.Value(vars)
	if err != nil {
		return nil, err
	}
	var files []localFile
	for _, decl := range stringsOf(v) {
		p := decl
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, filepath.FromSlash(c.Pkg), filepath.FromSlash(decl))
		}
		if stamp != nil {
			stamp(p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			r := attr.Range()
			return nil, fmt.Errorf("%s: the %s file %q cannot be read (%s:%d): %w", c.Label, what, decl, r.Filename, r.Start.Line, err)
		}
		sum := sha256.Sum256(data)
		files = append(files, localFile{Decl: decl, Path: p, Digest: hex.EncodeToString(sum[:])})
	}
	return files, nil
}

// indexes lists the indexes the preflight searches, in order: extra indexes first, then the
// main one. The first index that has a package decides which file it gets, as with uv's
// default index strategy: a per-commit index must win over PyPI even when PyPI holds a
// higher version of the same project, or the environment would not be the commit's.
func (sp *spec) indexes() []string {
	main := sp.indexURL
	if main == "" {
		main = defaultIndex
	}
	out := slices.Clone(sp.extraURLs)
	return append(out, main)
}

// indexesFor lists the indexes the preflight searches for one package. The project is looked
// up only on the indexes written with `commit` in them, when there are any: a per-commit
// index such as https://wheels.vllm.ai/${commit.sha} is there to provide the commit's own
// build, and a commit it lacks must be no_wheel, not a release from PyPI that an installer
// would quietly take instead.
func (sp *spec) indexesFor(r requirement) []string {
	if r.Name == sp.project && len(sp.commitIndexes) > 0 {
		return sp.commitIndexes
	}
	return sp.indexes()
}

// cutoffFor is the upload-time cutoff for one package: resolve_as_of, except for the project
// on the commit's own indexes, whose files CI uploads after the commit's date.
func (sp *spec) cutoffFor(r requirement) time.Time {
	if r.Name == sp.project && len(sp.commitIndexes) > 0 {
		return time.Time{}
	}
	return sp.asOf
}

// resolvable lists the packages the preflight looks up.
func (sp *spec) resolvable() []requirement {
	var out []requirement
	for _, r := range sp.packages {
		if r.resolvable() {
			out = append(out, r)
		}
	}
	return out
}

// stringsOf reads a value that may be one string or a list of strings.
func stringsOf(v cty.Value) []string {
	if v == cty.NilVal || v.IsNull() || !v.IsWhollyKnown() {
		return nil
	}
	if v.Type() == cty.String {
		if s := v.AsString(); s != "" {
			return []string{s}
		}
		return nil
	}
	if !v.CanIterateElements() {
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			continue
		}
		out = append(out, e.AsString())
	}
	return out
}

// side gathers what both actions of a side start from: the commit's facts, the spec evaluated
// for that side, and the Python it names.
func (c *Config) side(ctx context.Context, in *engine.Inputs, commit *engine.Action, side artifact.Side) (*artifact.CommitFacts, *spec, *pythonInfo, error) {
	facts, err := commitFacts(in, commit)
	if err != nil {
		return nil, nil, nil, err
	}
	sp, err := c.evaluate(facts, side, in.Workspace.Root, in.Stamp)
	if err != nil {
		return nil, nil, nil, err
	}
	py, err := findOrInstallPython(ctx, sp.python, c.PythonInstall && in.Building)
	if err != nil {
		return nil, nil, nil, err
	}
	return facts, sp, py, nil
}
