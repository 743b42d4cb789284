package environment

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// ruleVersion enters every key this rule makes. Bump it when a change to the rule makes old
// environments or old preflight answers wrong.
const ruleVersion = 1

// Defaults, each with its reason.
const (
	// Installing vLLM's wheel with PyTorch takes 5 to 10 minutes on a fresh cache; building
	// it from source with CUDA kernels takes 30 to 60 minutes on 16 cores. Two hours leaves
	// room for a slow mirror without letting a hung install hold the build forever.
	defaultInstallTimeout = 2 * time.Hour
	// `import vllm` initializes CUDA and Triton and can take a minute on a cold cache.
	checkTimeout = 10 * time.Minute
	// defaultIndex is where pip and uv look when no index_url is given.
	defaultIndex = "https://pypi.org/simple"
)

// Kind is the `environment` target kind.
type Kind struct{}

// Name implements engine.Kind.
func (Kind) Name() string { return "environment" }

// Schema implements engine.Kind. What may differ per commit (packages, indexes, files, env,
// check) may mention `commit`; how the environment is made (python, installer, mode) may not.
func (Kind) Schema() *engine.Schema {
	return &engine.Schema{
		Attrs: []engine.Attr{
			{Name: "python", Type: engine.TypeAny},
			{Name: "installer", Type: engine.TypeString, OneOf: []string{"uv", "pip"}},
			{Name: "packages", Type: engine.TypeStrings, Late: true},
			{Name: "project", Type: engine.TypeString},
			{Name: "index_url", Type: engine.TypeString, Late: true},
			{Name: "extra_index_url", Type: engine.TypeAny, Late: true},
			{Name: "torch_backend", Type: engine.TypeString},
			{Name: "requirements", Type: engine.TypeAny, Late: true},
			{Name: "constraints", Type: engine.TypeAny, Late: true},
			{Name: "env", Type: engine.TypeStringMap, Late: true},
			{Name: "check", Type: engine.TypeString, Late: true},
			{Name: "install", Type: engine.TypeString, OneOf: []string{"wheel", "source", "pythonpath"}},
			{Name: "fallback", Type: engine.TypeString, OneOf: []string{"none", "source"}},
			{Name: "source_requirements", Type: engine.TypeStrings},
			{Name: "pythonpath", Type: engine.TypeStrings},
			{Name: "timeout", Type: engine.TypeDuration},
		},
		Blocks: []engine.BlockSchema{{Name: "override", Repeated: true, Schema: &engine.Schema{Attrs: []engine.Attr{
			{Name: "commits", Type: engine.TypeStrings, Required: true},
			{Name: "packages", Type: engine.TypeStrings},
			{Name: "env", Type: engine.TypeStringMap},
			{Name: "python", Type: engine.TypeAny},
		}}}},
	}
}

// Check implements engine.Decoder: what the types alone do not rule out.
func (k Kind) Decode(t *engine.Target) (any, hcl.Diagnostics) { return nil, k.check(t) }

// check is the old Check, until the kind decodes into a typed config.
func (Kind) check(t *engine.Target) hcl.Diagnostics {
	var diags hcl.Diagnostics
	bad := func(b *engine.Body, attr, format string, args ...any) {
		r := b.AttrRange(attr)
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + attr,
			Detail: fmt.Sprintf(format, args...), Subject: &r})
	}
	s, err := decode(t)
	if err != nil {
		var d hcl.Diagnostics
		if asDiags(err, &d) {
			return d
		}
		bad(t.Body, "python", "%s", err)
		return diags
	}
	if s.install == "wheel" && !t.Has("packages") && !anyOverrideHas(t, "packages") {
		bad(t.Body, "packages", "An environment that installs wheels needs packages, such as packages = [\"vllm\"]; "+
			"to install the commit's own source instead, set install = \"source\" or install = \"pythonpath\".")
	}
	if s.fallback == "source" && s.install != "wheel" {
		bad(t.Body, "fallback", "fallback = \"source\" applies when install = \"wheel\" finds no wheel; with install = %q the source is used anyway.", s.install)
	}
	if t.Has("torch_backend") && s.installer == "pip" {
		bad(t.Body, "torch_backend", "torch_backend is an option of uv; pip has no equivalent. Remove it, or set installer = \"uv\".")
	}
	if t.Has("timeout") && s.timeout <= 0 {
		bad(t.Body, "timeout", "timeout must be a positive duration such as \"30m\".")
	}
	if !t.IsLate("packages") {
		for _, p := range t.Strings("packages") {
			if _, err := parseRequirement(p); err != nil {
				bad(t.Body, "packages", "%s.", capitalize(err.Error()))
			}
		}
	}
	if !t.IsLate("index_url") && t.Has("index_url") {
		if msg := checkIndexURL(t.String("index_url")); msg != "" {
			bad(t.Body, "index_url", "%s", msg)
		}
	}
	if !t.IsLate("extra_index_url") {
		for _, u := range stringsOf(t.Value("extra_index_url")) {
			if msg := checkIndexURL(u); msg != "" {
				bad(t.Body, "extra_index_url", "%s", msg)
			}
		}
	}
	for _, p := range append(t.Strings("source_requirements"), t.Strings("pythonpath")...) {
		if strings.HasPrefix(p, "/") || strings.Contains("/"+p+"/", "/../") {
			attr := "source_requirements"
			if contains(t.Strings("pythonpath"), p) {
				attr = "pythonpath"
			}
			bad(t.Body, attr, "%q must be a path inside the commit's tree, relative to its root.", p)
		}
	}
	for _, o := range t.Blocks("override") {
		if py := o.Value("python"); o.Has("python") && len(stringsOf(py)) != elementCount(py) {
			bad(o, "python", "python must be a version in quotes such as \"3.10\", a path to an interpreter, or a list of them.")
		}
		for _, c := range o.Strings("commits") {
			if len(c) < 7 || len(c) > 64 || !isHex(c) {
				bad(o, "commits", "%q is not a commit SHA: write at least 7 hexadecimal digits of it.", c)
			}
		}
		for _, p := range o.Strings("packages") {
			if _, err := parseRequirement(p); err != nil {
				bad(o, "packages", "%s.", capitalize(err.Error()))
			}
		}
	}
	return diags
}

func checkIndexURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an index URL; write it like \"https://pypi.org/simple\" or \"https://wheels.vllm.ai/${commit.sha}\".", s)
	}
	return ""
}

func anyOverrideHas(t *engine.Target, attr string) bool {
	for _, o := range t.Blocks("override") {
		if o.Has(attr) {
			return true
		}
	}
	return false
}

// Plan implements engine.Kind. An environment alone is built for no commit: its action
// records the declared settings and runs nothing, so `isobench build //envs:all` succeeds and
// `status` can show the target. Benchmarks reach it per commit and side through PlanFor.
func (Kind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	return &engine.Action{
		ID:       "environment " + t.Label.String(),
		Mnemonic: "environment",
		Label:    t.Label,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			s, err := decode(t)
			if err != nil {
				return nil, err
			}
			return engine.SettingsWork(ruleVersion, s.settingLines()), nil
		},
	}, nil
}

// PlanFor implements engine.PerCommit: the environment of one side ("base" or "head") of a
// commit. It is two actions. "resolve" asks the indexes which wheel files the packages resolve
// to, in a second and before anything heavy; "environment" builds from that answer. Both are
// identified by the commit action and side, so every benchmark of a commit shares them; and
// the environment's store directory is named by its inputs alone, so that base of one commit
// and head of its parent, or two specs that come to the same thing, share one directory.
func (Kind) PlanFor(p *engine.Planner, t *engine.Target, commit *engine.Action, side string) (*engine.Action, error) {
	sd := artifact.Side(side)
	if side == "" {
		sd = artifact.Head
	}
	if sd != artifact.Base && sd != artifact.Head {
		return nil, fmt.Errorf("%s: an environment is built for the side \"base\" or \"head\" of a commit, not %q", t.Label, side)
	}
	s, err := decode(t)
	if err != nil {
		return nil, err
	}
	deps := []*engine.Action{commit}
	var resolve *engine.Action
	if t.Has("packages") || anyOverrideHas(t, "packages") {
		resolve = p.Add(&engine.Action{
			ID:       fmt.Sprintf("resolve %s @ %s %s", t.Label, commit.ID, sd),
			Mnemonic: "resolve",
			Label:    t.Label,
			Deps:     []*engine.Action{commit},
			Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
				return s.prepareResolve(ctx, in, commit, sd)
			},
		})
		deps = append(deps, resolve)
	}
	return &engine.Action{
		ID:       fmt.Sprintf("environment %s @ %s %s", t.Label, commit.ID, sd),
		Mnemonic: "environment",
		Label:    t.Label,
		Deps:     deps,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return s.prepareBuild(ctx, in, commit, resolve, sd)
		},
	}, nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}
