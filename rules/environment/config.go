package environment

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo"
	"github.com/zclconf/go-cty/cty"
)

// Config is an environment target as declared, decoded once at load time. What is the same
// for every commit is a plain value; what may mention `commit` is kept as an engine.LateAttr
// and evaluated per side (spec.go). decode is the only code of the kind that reads an
// attribute by name.
type Config struct {
	Label engine.Label
	Pkg   string // the target's package: requirements and constraints files are relative to it

	Python       []string      // requests, tried in order; ["3"] when unset
	Installer    InstallerName // "" for uv when it is on PATH, else pip
	Project      string        // normalized name of the distribution built from the commit, "" if unknown
	TorchBackend string
	Install      InstallMode
	Fallback     Fallback
	// SourceRequirements and PythonPath are paths in the commit's tree.
	SourceRequirements []string
	PythonPath         []string
	Timeout            time.Duration // of each installer command
	// PythonInstall lets uv install the requested Python when no interpreter matches.
	PythonInstall bool
	// Secrets name variables of isobench's environment the installers get (a private
	// index's credentials); no other variable of the user's that could be one reaches them
	// (installEnv). They never enter the key.
	Secrets []string
	// CacheDirs name variables set, in every run in the environment, to a persistent
	// directory of the environment target's that the runs share (cachedirs.go).
	CacheDirs []string

	Packages      engine.LateAttr // list of requirements
	IndexURL      engine.LateAttr
	ExtraIndexURL engine.LateAttr // one URL or a list
	Requirements  engine.LateAttr // one file or a list
	Constraints   engine.LateAttr // one file or a list
	Env           engine.LateAttr
	Check         engine.LateAttr
	// WheelURL is one direct URL or a list, tried with a HEAD request when no index has a
	// page for the project: vLLM's commits from mid-2024 to December 2024 have their wheel
	// uploaded without an index page (README, "Wheels for every era").
	WheelURL engine.LateAttr
	// ResolveAsOf, a date or RFC 3339 time, makes the preflight and the installer ignore files
	// uploaded after it (asof.go).
	ResolveAsOf engine.LateAttr

	Overrides []Override
	// NamesPackages is true when packages is written on the target or in an override, so that
	// the preflight has something to look up.
	NamesPackages bool
}

// Override is an `override` block: additions for the commits it names.
type Override struct {
	Commits  []string // SHA prefixes
	Packages []string
	Env      map[string]string
	Python   []string // replaces the target's python when set
}

// InstallMode is how the environment gets the commit's project.
type InstallMode string

const (
	InstallWheel      InstallMode = "wheel"      // the project's wheel from the indexes
	InstallSource     InstallMode = "source"     // the commit's tree, installed
	InstallPythonpath InstallMode = "pythonpath" // the commit's tree on PYTHONPATH, not installed
)

// Fallback says what an InstallWheel environment does when the project has no wheel.
type Fallback string

const (
	FallbackNone   Fallback = "none"   // the preflight fails with no_wheel
	FallbackSource Fallback = "source" // the commit's tree is installed instead
)

// InstallerName is the installer asked for, and the one chosen (installer.Name).
type InstallerName string

const (
	InstallerDefault InstallerName = "" // uv when it is on PATH, else pip
	InstallerUV      InstallerName = "uv"
	InstallerPip     InstallerName = "pip"
)

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

// schema is the environment's schema. What may differ per commit (packages, indexes, files,
// env, check) may mention `commit`; how the environment is made (python, installer, mode)
// may not.
var schema = &engine.Schema{
	Attrs: []engine.Attr{
		{Name: "python", Type: engine.TypeAny},
		{Name: "installer", Type: engine.TypeString, OneOf: []string{string(InstallerUV), string(InstallerPip)}},
		{Name: "packages", Type: engine.TypeStrings, Late: true},
		{Name: "project", Type: engine.TypeString},
		{Name: "index_url", Type: engine.TypeString, Late: true},
		{Name: "extra_index_url", Type: engine.TypeAny, Late: true},
		{Name: "torch_backend", Type: engine.TypeString},
		{Name: "requirements", Type: engine.TypeAny, Late: true},
		{Name: "constraints", Type: engine.TypeAny, Late: true},
		{Name: "env", Type: engine.TypeStringMap, Late: true},
		{Name: "check", Type: engine.TypeString, Late: true},
		{Name: "install", Type: engine.TypeString, OneOf: []string{string(InstallWheel), string(InstallSource), string(InstallPythonpath)}},
		{Name: "fallback", Type: engine.TypeString, OneOf: []string{string(FallbackNone), string(FallbackSource)}},
		{Name: "source_requirements", Type: engine.TypeStrings},
		{Name: "pythonpath", Type: engine.TypeStrings},
		{Name: "timeout", Type: engine.TypeDuration, Positive: true},
		{Name: "wheel_url", Type: engine.TypeAny, Late: true},
		{Name: "resolve_as_of", Type: engine.TypeString, Late: true},
		{Name: "python_install", Type: engine.TypeBool},
		{Name: "secrets", Type: engine.TypeStrings},
		{Name: "cache_dirs", Type: engine.TypeStrings},
	},
	Blocks: []engine.BlockSchema{{Name: "override", Repeated: true, Schema: &engine.Schema{Attrs: []engine.Attr{
		{Name: "commits", Type: engine.TypeStrings, Required: true},
		{Name: "packages", Type: engine.TypeStrings},
		{Name: "env", Type: engine.TypeStringMap},
		{Name: "python", Type: engine.TypeAny},
	}}}},
}

// decode reads the target into a Config and checks what the schema cannot: python's shape,
// settings that contradict each other, the requirements, URLs and paths that are known at
// load time. A malformed python stops the other checks of the target.
func decode(t *engine.Target) (*Config, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	bad := func(b *engine.Body, attr, format string, args ...any) {
		r := b.AttrRange(attr)
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + attr,
			Detail: fmt.Sprintf(format, args...), Subject: &r})
	}
	c := &Config{
		Label:              t.Label,
		Pkg:                t.Pkg,
		Python:             stringsOf(t.Value("python")),
		Installer:          InstallerName(t.String("installer")),
		TorchBackend:       t.String("torch_backend"),
		Install:            InstallMode(t.String("install")),
		Fallback:           Fallback(t.String("fallback")),
		SourceRequirements: t.Strings("source_requirements"),
		PythonPath:         t.Strings("pythonpath"),
		Timeout:            t.Duration("timeout", defaultInstallTimeout),
		Secrets:            t.Strings("secrets"),
		CacheDirs:          t.Strings("cache_dirs"),
		Packages:           t.Late("packages"),
		IndexURL:           t.Late("index_url"),
		ExtraIndexURL:      t.Late("extra_index_url"),
		Requirements:       t.Late("requirements"),
		Constraints:        t.Late("constraints"),
		Env:                t.Late("env"),
		Check:              t.Late("check"),
		WheelURL:           t.Late("wheel_url"),
		ResolveAsOf:        t.Late("resolve_as_of"),
		PythonInstall:      t.Bool("python_install", false),
		NamesPackages:      t.Has("packages"),
	}
	if t.Has("python") && (len(c.Python) == 0 || len(c.Python) != elementCount(t.Value("python"))) {
		bad(t.Body, "python", "python must be a version in quotes such as \"3.11\" (unquoted, 3.10 would be the number 3.1), a path to an interpreter, or a list of them tried in order.")
		return nil, diags
	}
	for _, o := range t.Blocks("override") {
		c.NamesPackages = c.NamesPackages || o.Has("packages")
	}

	if len(c.Python) == 0 {
		c.Python = []string{"3"}
	}
	if c.Install == "" {
		c.Install = InstallWheel
	}
	if c.Fallback == "" {
		c.Fallback = FallbackNone
	}
	if !t.Has("source_requirements") {
		c.SourceRequirements = []string{"requirements.txt"}
	}
	if len(c.PythonPath) == 0 {
		c.PythonPath = []string{"."}
	}
	if p := t.String("project"); p != "" {
		c.Project = normalizeName(p)
	} else if c.Install == InstallWheel && !t.IsLate("packages") {
		// The project is the first package named, by convention: packages = ["vllm", "numpy<2"].
		for _, p := range t.Strings("packages") {
			if r, err := parseRequirement(p); err == nil && r.Name != "" {
				c.Project = r.Name
				break
			}
		}
	}

	if c.Install == InstallWheel && !c.NamesPackages {
		bad(t.Body, "packages", "An environment that installs wheels needs packages, such as packages = [\"vllm\"]; "+
			"to install the commit's own source instead, set install = \"source\" or install = \"pythonpath\".")
	}
	if c.Fallback == FallbackSource && c.Install != InstallWheel {
		bad(t.Body, "fallback", "fallback = \"source\" applies when install = \"wheel\" finds no wheel; with install = %q the source is used anyway.", c.Install)
	}
	if t.Has("torch_backend") && c.Installer == InstallerPip {
		bad(t.Body, "torch_backend", "torch_backend is an option of uv; pip has no equivalent. Remove it, or set installer = \"uv\".")
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
	if !t.IsLate("wheel_url") {
		for _, u := range stringsOf(t.Value("wheel_url")) {
			if msg := checkWheelURL(u); msg != "" {
				bad(t.Body, "wheel_url", "%s", msg)
			}
		}
	}
	if t.Has("wheel_url") && c.Install != InstallWheel {
		bad(t.Body, "wheel_url", "wheel_url names the project's wheel, which install = %q does not use.", c.Install)
	}
	if !t.IsLate("resolve_as_of") && t.Has("resolve_as_of") {
		if _, err := parseAsOf(t.String("resolve_as_of")); err != nil {
			bad(t.Body, "resolve_as_of", "The value of %s.", err)
		}
	}
	if t.Has("python_install") && c.Installer == InstallerPip {
		bad(t.Body, "python_install", "python_install asks uv to install Python; with installer = \"pip\" there is no uv to ask. Remove one of them.")
	}
	for _, a := range []struct {
		attr  string
		paths []string
	}{{"source_requirements", t.Strings("source_requirements")}, {"pythonpath", t.Strings("pythonpath")}} {
		for _, p := range a.paths {
			if strings.HasPrefix(p, "/") || strings.Contains("/"+p+"/", "/../") {
				bad(t.Body, a.attr, "%q must be a path inside the commit's tree, relative to its root.", p)
			}
		}
	}
	for _, o := range t.Blocks("override") {
		if py := o.Value("python"); o.Has("python") && len(stringsOf(py)) != elementCount(py) {
			bad(o, "python", "python must be a version in quotes such as \"3.10\", a path to an interpreter, or a list of them.")
		}
		for _, sha := range o.Strings("commits") {
			if len(sha) < 7 || len(sha) > 64 || !gitrepo.IsHex(sha) {
				bad(o, "commits", "%q is not a commit SHA: write at least 7 hexadecimal digits of it.", sha)
			}
		}
		for _, p := range o.Strings("packages") {
			if _, err := parseRequirement(p); err != nil {
				bad(o, "packages", "%s.", capitalize(err.Error()))
			}
		}
		c.Overrides = append(c.Overrides, Override{
			Commits:  o.Strings("commits"),
			Packages: o.Strings("packages"),
			Env:      o.StringMap("env"),
			Python:   stringsOf(o.Value("python")),
		})
	}
	if err := engine.CheckSecretNames(c.Secrets); err != nil {
		bad(t.Body, "secrets", "secrets must name environment variables: %s.", err)
	}
	if err := engine.CheckSecretNames(c.CacheDirs); err != nil {
		bad(t.Body, "cache_dirs", "cache_dirs must name environment variables: %s.", err)
	}

	return c, diags
}

// checkIndexURL says what is wrong with an index URL, "" when nothing is.
func checkIndexURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an index URL; write it like \"https://pypi.org/simple\" or \"https://wheels.vllm.ai/${commit.sha}\".", s)
	}
	return ""
}

// checkWheelURL says what is wrong with a direct wheel URL, "" when nothing is.
func checkWheelURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not a URL; write it like \"https://wheels.vllm.ai/${commit.sha}/vllm-1.0.0.dev-cp38-abi3-manylinux1_x86_64.whl\".", s)
	}
	if _, err := parseWheelName(path.Base(u.Path)); err != nil {
		return fmt.Sprintf("%q does not end in a wheel's file name (name-version-python-abi-platform.whl), which says which interpreters it fits.", s)
	}
	return ""
}

// elementCount is 1 for a single value and the length of a list or tuple.
func elementCount(v cty.Value) int {
	if v == cty.NilVal || v.IsNull() || !v.IsWhollyKnown() || v.Type() == cty.String || !v.CanIterateElements() {
		return 1
	}
	return v.LengthInt()
}
