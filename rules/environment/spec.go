package environment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/zclconf/go-cty/cty"
)

// settings are the attributes of an environment target that are the same for every commit.
type settings struct {
	target       *engine.Target
	python       []string // requests, tried in order
	installer    string   // "uv", "pip", or "" for uv when it is on PATH
	project      string   // normalized name of the distribution built from the commit, "" if unknown
	torchBackend string
	install      string // "wheel", "source", "pythonpath"
	fallback     string // "none", "source"
	sourceReqs   []string
	pythonpath   []string
	timeout      time.Duration
}

func decode(t *engine.Target) (*settings, error) {
	s := &settings{
		target:       t,
		python:       stringsOf(t.Value("python")),
		installer:    t.String("installer"),
		torchBackend: t.String("torch_backend"),
		install:      t.String("install"),
		fallback:     t.String("fallback"),
		sourceReqs:   t.Strings("source_requirements"),
		pythonpath:   t.Strings("pythonpath"),
		timeout:      t.Duration("timeout", defaultInstallTimeout),
	}
	if t.Has("python") && (len(s.python) == 0 || len(s.python) != elementCount(t.Value("python"))) {
		r := t.AttrRange("python")
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid value for python",
			Detail:  "python must be a version in quotes such as \"3.11\" (unquoted, 3.10 would be the number 3.1), a path to an interpreter, or a list of them tried in order.",
			Subject: &r}}
	}
	if len(s.python) == 0 {
		s.python = []string{"3"}
	}
	if s.install == "" {
		s.install = "wheel"
	}
	if s.fallback == "" {
		s.fallback = "none"
	}
	if !t.Has("source_requirements") {
		s.sourceReqs = []string{"requirements.txt"}
	}
	if len(s.pythonpath) == 0 {
		s.pythonpath = []string{"."}
	}
	if p := t.String("project"); p != "" {
		s.project = normalizeName(p)
	} else if s.install == "wheel" && !t.IsLate("packages") {
		// The project is the first package named, by convention: packages = ["vllm", "numpy<2"].
		for _, p := range t.Strings("packages") {
			if r, err := parseRequirement(p); err == nil && r.Name != "" {
				s.project = r.Name
				break
			}
		}
	}
	return s, nil
}

// settingLines describe the target's own settings, for its standalone action.
func (s *settings) settingLines() []engine.Line {
	lines := []engine.Line{
		engine.L("python", strings.Join(s.python, " ")),
		engine.L("installer", s.installer),
		engine.L("install", s.install),
		engine.L("fallback", s.fallback),
		engine.L("project", s.project),
	}
	for _, name := range []string{"packages", "index_url", "extra_index_url", "requirements", "constraints", "env", "check"} {
		switch v := s.target.Value(name); {
		case s.target.IsLate(name):
			lines = append(lines, engine.L(name, "(per commit)"))
		case name == "env":
			lines = append(lines, engine.MapLines(name, s.target.StringMap(name))...)
		case v != cty.NilVal && !v.IsNull() && v.IsWhollyKnown():
			lines = append(lines, engine.L(name, strings.Join(stringsOf(v), " ")))
		}
	}
	return lines
}

// spec is an environment for one side of one commit: the target's settings with every late
// attribute evaluated and the overrides for the commit applied.
type spec struct {
	*settings
	sha       string
	side      artifact.Side
	project   string // the settings' project, or the first package named when it is late
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
	overrides     []string // the commits lists of the overrides applied
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
func (s *settings) evaluate(facts *artifact.CommitFacts, side artifact.Side, root string) (*spec, error) {
	t := s.target
	vars := facts.Vars(side)
	sp := &spec{settings: s, sha: facts.SHA(side), side: side, python: s.python, project: s.project}
	var err error
	pkgs, err := t.EvalStrings("packages", vars)
	if err != nil {
		return nil, err
	}
	if sp.indexURL, err = t.EvalString("index_url", vars); err != nil {
		return nil, err
	}
	extra, err := t.Eval("extra_index_url", vars)
	if err != nil {
		return nil, err
	}
	sp.extraURLs = stringsOf(extra)
	for _, u := range append([]string{sp.indexURL}, sp.extraURLs...) {
		if u == "" {
			continue
		}
		if msg := checkIndexURL(u); msg != "" {
			return nil, fmt.Errorf("%s: %s", t.Label, msg)
		}
	}
	if t.IsLate("extra_index_url") {
		sp.commitIndexes = append(sp.commitIndexes, sp.extraURLs...)
	}
	if t.IsLate("index_url") && sp.indexURL != "" {
		sp.commitIndexes = append(sp.commitIndexes, sp.indexURL)
	}
	if sp.env, err = t.EvalStringMap("env", vars); err != nil {
		return nil, err
	}
	if sp.env == nil {
		sp.env = map[string]string{}
	}
	if sp.check, err = t.EvalString("check", vars); err != nil {
		return nil, err
	}
	for _, o := range t.Blocks("override") {
		if !overrideApplies(o.Strings("commits"), sp.sha, facts.Head) {
			continue
		}
		sp.overrides = append(sp.overrides, strings.Join(o.Strings("commits"), ","))
		pkgs = append(pkgs, o.Strings("packages")...)
		for k, v := range o.StringMap("env") {
			sp.env[k] = v
		}
		if py := stringsOf(o.Value("python")); len(py) > 0 {
			sp.python = py
		}
	}
	for _, p := range pkgs {
		r, err := parseRequirement(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Label, err)
		}
		sp.packages = append(sp.packages, r)
	}
	if sp.reqs, err = s.readFiles("requirements", vars, root); err != nil {
		return nil, err
	}
	if sp.cons, err = s.readFiles("constraints", vars, root); err != nil {
		return nil, err
	}
	if sp.project == "" && s.install == "wheel" {
		for _, r := range sp.packages {
			if r.Name != "" {
				sp.project = r.Name
				break
			}
		}
	}
	return sp, nil
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
func (s *settings) readFiles(attr string, vars map[string]cty.Value, root string) ([]localFile, error) {
	v, err := s.target.Eval(attr, vars)
	if err != nil {
		return nil, err
	}
	var files []localFile
	for _, decl := range stringsOf(v) {
		p := decl
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, filepath.FromSlash(s.target.Pkg), filepath.FromSlash(decl))
		}
		data, err := os.ReadFile(p)
		if err != nil {
			r := s.target.AttrRange(attr)
			return nil, fmt.Errorf("%s: the %s file %q cannot be read (%s:%d): %w", s.target.Label, attr, decl, r.Filename, r.Start.Line, err)
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

// elementCount is 1 for a single value and the length of a list or tuple.
func elementCount(v cty.Value) int {
	if v == cty.NilVal || v.IsNull() || !v.IsWhollyKnown() || v.Type() == cty.String || !v.CanIterateElements() {
		return 1
	}
	return v.LengthInt()
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

func asDiags(err error, d *hcl.Diagnostics) bool { return errors.As(err, d) }

// side gathers what both actions of a side start from: the commit's facts, the spec evaluated
// for that side, and the Python it names.
func (s *settings) side(ctx context.Context, in *engine.Inputs, commit *engine.Action, side artifact.Side) (*artifact.CommitFacts, *spec, *pythonInfo, error) {
	facts, err := commitFacts(in, commit)
	if err != nil {
		return nil, nil, nil, err
	}
	sp, err := s.evaluate(facts, side, in.Workspace.Root)
	if err != nil {
		return nil, nil, nil, err
	}
	py, err := findPython(ctx, sp.python)
	if err != nil {
		return nil, nil, nil, err
	}
	return facts, sp, py, nil
}
