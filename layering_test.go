// Package isobench_test holds checks that span the whole module.
package isobench_test

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/isobench/isobench"

// layers is the policy for imports between the module's packages, in the spirit of Go's own
// go/build/deps_test.go: a statement of intent, not a record of what the code happens to do.
// Do not widen a rule to make the test pass; move the code instead, or change the rule in a
// commit of its own that says why (docs/ARCHITECTURE.md describes the layers).
//
// A package takes the first rule whose pkg matches it; every package of the module must match
// one. Patterns: "x/..." is x and everything below it; "<kind>" is one directory under rules/,
// and in may it stands for the importing package's own kind. Test files (_test.go, external
// _test packages included) are held to their package's rule like any other file, and may in
// addition import their own package.
var layers = []layer{
	{pkg: ".", why: "the module root holds only module-wide tests"},

	{pkg: "cache", may: []string{"cache/remotetest"},
		why: "cache is a leaf: it imports nothing of isobench (its tests use its remote test server)"},
	{pkg: "cache/remotetest", testOnly: true,
		why: "the remote cache's test server imports nothing of isobench"},

	{pkg: "engine", may: []string{"cache", "cache/remotetest"},
		why: "engine may import only cache; it knows no kind and no executor package"},
	// Executor packages (engine.Executor implementations). List a new one here.
	{pkg: "engine/slurm", may: []string{"engine", "cache"},
		why: "an executor package may import only engine and cache"},

	// The shared rule packages: every kind may use them.
	{pkg: "rules/artifact", may: []string{"engine", "cache", "rules/gitrepo"},
		why: "a shared rule package may import engine, cache and the other shared rule packages"},
	{pkg: "rules/gitrepo", may: []string{"engine", "cache", "rules/artifact", "rules/gitrepo/gittest"},
		why: "a shared rule package may import engine, cache and the other shared rule packages"},
	{pkg: "rules/gitrepo/gittest", testOnly: true, may: []string{"engine", "cache", "rules/artifact", "rules/gitrepo"},
		why: "gittest may import what rules/gitrepo may, and rules/gitrepo"},
	{pkg: "rules/ruletest", testOnly: true,
		may: []string{"engine", "cache", "cache/remotetest", "rules/artifact", "rules/gitrepo", "rules/gitrepo/gittest"},
		why: "the rule test harness may import engine, cache and the shared rule packages, never a kind"},

	// Each kind, with its sub-packages.
	{pkg: "rules/<kind>/...",
		may: []string{"engine", "cache", "rules/artifact", "rules/gitrepo", "rules/gitrepo/gittest", "rules/ruletest", "rules/<kind>/..."},
		why: "a kind may import engine, cache, the shared rule packages and its own sub-packages, never another kind"},

	{pkg: "cmd/isobench", may: []string{"engine/...", "cache/..."},
		files: map[string][]string{"cmd/isobench/kinds.go": {"rules/..."}},
		why:   "cmd/isobench may import engine and cache, and rules packages only in kinds.go, which registers the kinds"},

	{pkg: "scripts/...", anything: true},
}

// vendors says which packages alone may import each third-party module: a vendor SDK belongs
// to one package, which wraps it for the rest. A module missing here fails the test; add it
// with its owner. Patterns are as in layers.
var vendors = []vendor{
	{"github.com/dgraph-io/badger", []string{"cache"}},
	{"google.golang.org/protobuf", []string{"cache"}}, // protowire: the remote cache's wire format
	{"github.com/sashabaranov/go-openai", []string{"rules/generator"}},
	{"github.com/NVIDIA/go-nvml", []string{"rules/benchmark/hardware"}},
	{"github.com/parquet-go/parquet-go", []string{"rules/dataset"}},
	// Configuration is HCL: the engine loads it and the kinds and executors decode their blocks.
	// cmd/isobench imports hcl only to render the loader's hcl.Diagnostics (diagnostics.go,
	// app.go); it decodes nothing and never sees cty.
	{"github.com/hashicorp/hcl", []string{"engine/...", "rules/...", "cmd/isobench"}},
	{"github.com/zclconf/go-cty", []string{"engine/...", "rules/..."}},
	{"golang.org/x/term", []string{"cmd/isobench"}}, // the progress display
	{"golang.org/x/sys", []string{"..."}},           // the standard library's own system calls
}

type layer struct {
	pkg      string              // a package pattern, relative to the module root
	may      []string            // patterns of module packages its files may import
	files    map[string][]string // further patterns that one file may import
	testOnly bool                // a test helper: only test files and other test helpers import it
	anything bool                // no constraint at all
	why      string              // the rule in a sentence, for the failure message
}

type vendor struct {
	module string
	only   []string // patterns of the packages that may import it
}

// TestLayering checks every import of every Go file in the module against layers and vendors.
func TestLayering(t *testing.T) {
	imports := moduleImports(t)
	for _, pkg := range []string{"cache", "engine", "cmd/isobench"} {
		if imports[pkg] == nil {
			t.Fatalf("found no package %s among %d; is the test looking in the right place?", pkg, len(imports))
		}
	}
	for _, v := range violations(imports) {
		t.Error(v)
	}
}

// violations returns what breaks the policy in imports, which maps a package directory
// (relative to the module root, "." for the root) to each of its files (slash paths from the
// module root) and the import paths that file names.
func violations(imports map[string]map[string][]string) []string {
	var out []string
	for _, pkg := range slices.Sorted(maps.Keys(imports)) {
		r, ok := ruleFor(pkg)
		if !ok {
			out = append(out, fmt.Sprintf("package %s matches no rule in layers: add it to the table in layering_test.go", pkg))
			continue
		}
		if r.anything {
			continue
		}
		files := imports[pkg]
		for _, file := range slices.Sorted(maps.Keys(files)) {
			for _, imp := range files[file] {
				if msg := check(pkg, file, imp, r); msg != "" {
					out = append(out, fmt.Sprintf("%s imports %s: %s", file, strings.TrimPrefix(imp, module+"/"), msg))
				}
			}
		}
	}
	return out
}

// check says why file, in pkg under rule r, may not import imp, or "" when it may.
func check(pkg, file, imp string, r layer) string {
	isTest := strings.HasSuffix(file, "_test.go")
	if dep, ok := strings.CutPrefix(imp, module+"/"); ok {
		if dep == pkg {
			return "" // an external test package importing the package it tests
		}
		if dr, ok := ruleFor(dep); ok && dr.testOnly && !isTest && !r.testOnly {
			return fmt.Sprintf("%s is a test helper; only test files may import it", dep)
		}
		_, kind := match(r.pkg, pkg)
		if matchesAny(r.may, dep, kind) || matchesAny(r.files[file], dep, kind) {
			return ""
		}
		for _, other := range slices.Sorted(maps.Keys(r.files)) {
			if matchesAny(r.files[other], dep, kind) {
				return fmt.Sprintf("only %s may import %s", other, dep)
			}
		}
		return r.why
	}
	first, _, _ := strings.Cut(imp, "/")
	if imp == module || !strings.Contains(first, ".") {
		return "" // the standard library
	}
	for _, v := range vendors {
		if imp == v.module || strings.HasPrefix(imp, v.module+"/") {
			if matchesAny(v.only, pkg, "") {
				return ""
			}
			return fmt.Sprintf("only %s may import %s", strings.Join(v.only, ", "), v.module)
		}
	}
	return "a third-party module that vendors does not list: add it to vendors in layering_test.go with the package that owns it"
}

// ruleFor returns the first rule of layers that matches pkg.
func ruleFor(pkg string) (layer, bool) {
	for _, r := range layers {
		if ok, _ := match(r.pkg, pkg); ok {
			return r, true
		}
	}
	return layer{}, false
}

// match reports whether pkg matches pattern and, when the pattern names <kind>, which kind.
func match(pattern, pkg string) (ok bool, kind string) {
	if pattern == "..." {
		return true, ""
	}
	if rest, ok := strings.CutPrefix(pattern, "rules/<kind>"); ok {
		k, _, _ := strings.Cut(strings.TrimPrefix(pkg, "rules/"), "/")
		if !strings.HasPrefix(pkg, "rules/") || k == "" {
			return false, ""
		}
		ok, _ := match("rules/"+k+rest, pkg)
		return ok, k
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/"), ""
	}
	return pkg == pattern, ""
}

// matchesAny reports whether pkg matches one of patterns, with <kind> standing for kind.
func matchesAny(patterns []string, pkg, kind string) bool {
	for _, p := range patterns {
		if kind != "" {
			p = strings.ReplaceAll(p, "<kind>", kind)
		}
		if ok, _ := match(p, pkg); ok {
			return true
		}
	}
	return false
}

// moduleImports parses the imports of every Go file in the module, test files included, the
// way the go command sees the module: testdata, hidden directories and nested modules are not
// part of it.
func moduleImports(t *testing.T) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == "." {
				return nil
			}
			if name := d.Name(); strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		file := filepath.ToSlash(p)
		pkg := path.Dir(file)
		if out[pkg] == nil {
			out[pkg] = map[string][]string{}
		}
		for _, imp := range f.Imports {
			ip, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: %v", p, err)
			}
			out[pkg][file] = append(out[pkg][file], ip)
		}
		if out[pkg][file] == nil {
			out[pkg][file] = []string{}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestViolations(t *testing.T) {
	in := func(pkg string) string { return module + "/" + pkg }
	tests := []struct {
		name string
		pkg  string
		file string
		imp  string
		want string // a substring of the one violation; "" when the import is allowed
	}{
		// Allowed.
		{"engine uses cache", "engine", "engine/keys.go", in("cache"), ""},
		{"standard library", "cache", "cache/cache.go", "errors", ""},
		{"kind uses shared rule package", "rules/dataset", "rules/dataset/kind.go", in("rules/artifact"), ""},
		{"kind uses its own sub-package", "rules/benchmark", "rules/benchmark/kind.go", in("rules/benchmark/stats"), ""},
		{"sub-package uses its kind", "rules/dataset/report", "rules/dataset/report/page.go", in("rules/dataset"), ""},
		{"registration imports a kind", "cmd/isobench", "cmd/isobench/kinds.go", in("rules/environment"), ""},
		{"cmd uses an executor", "cmd/isobench", "cmd/isobench/executor.go", in("engine/slurm"), ""},
		{"kind test uses gittest", "rules/commit", "rules/commit/build_test.go", in("rules/gitrepo/gittest"), ""},
		{"kind test uses ruletest", "rules/environment", "rules/environment/kind_test.go", in("rules/ruletest"), ""},
		{"external test imports its package", "rules/repo", "rules/repo/repo_test.go", in("rules/repo"), ""},
		{"cache owns badger", "cache", "cache/store.go", "github.com/dgraph-io/badger/v4", ""},
		{"cmd renders hcl diagnostics", "cmd/isobench", "cmd/isobench/diagnostics.go", "github.com/hashicorp/hcl/v2", ""},
		{"executor decodes hcl", "engine/slurm", "engine/slurm/config.go", "github.com/hashicorp/hcl/v2", ""},
		{"scripts import anything", "scripts/nullbuild", "scripts/nullbuild/main.go", in("rules/gitrepo/gittest"), ""},

		// Planted bad imports.
		{"cache imports engine", "cache", "cache/cache.go", in("engine"),
			"cache/cache.go imports engine: cache is a leaf"},
		{"engine imports a kind", "engine", "engine/plan.go", in("rules/commit"), "engine may import only cache"},
		{"engine imports an executor", "engine", "engine/executor.go", in("engine/slurm"), "engine may import only cache"},
		{"executor imports a kind", "engine/slurm", "engine/slurm/executor.go", in("rules/environment"), "an executor package may import only engine and cache"},
		{"kind imports another kind", "rules/dataset", "rules/dataset/inputs.go", in("rules/benchmark"), "never another kind"},
		{"kind sub-package imports another kind", "rules/benchmark/stats", "rules/benchmark/stats/t.go", in("rules/dataset/report"), "never another kind"},
		{"kind test imports another kind", "rules/commit", "rules/commit/helpers_test.go", in("rules/repo"), "never another kind"},
		{"shared rule package imports a kind", "rules/artifact", "rules/artifact/names.go", in("rules/dataset"), "a shared rule package may import"},
		{"harness imports a kind", "rules/ruletest", "rules/ruletest/harness.go", in("rules/commit"), "never a kind"},
		{"cmd imports a kind outside registration", "cmd/isobench", "cmd/isobench/build.go", in("rules/environment"),
			"cmd/isobench/build.go imports rules/environment: only cmd/isobench/kinds.go may import rules/environment"},
		{"cmd test imports a kind", "cmd/isobench", "cmd/isobench/stories_test.go", in("rules/dataset"), "only cmd/isobench/kinds.go may import"},
		{"non-test file imports a test helper", "rules/commit", "rules/commit/commit.go", in("rules/gitrepo/gittest"), "only test files may import it"},
		{"cmd imports the remote test server", "cmd/isobench", "cmd/isobench/remote.go", in("cache/remotetest"), "only test files may import it"},
		{"engine imports badger", "engine", "engine/cache.go", "github.com/dgraph-io/badger/v4", "only cache may import github.com/dgraph-io/badger"},
		{"kind imports go-openai", "rules/benchmark", "rules/benchmark/kind.go", "github.com/sashabaranov/go-openai", "only rules/generator may import"},
		{"benchmark test imports go-nvml", "rules/benchmark", "rules/benchmark/gpu_test.go", "github.com/NVIDIA/go-nvml/pkg/nvml", "only rules/benchmark/hardware may import"},
		{"cache imports hcl", "cache", "cache/key.go", "github.com/hashicorp/hcl/v2", "only engine/..., rules/..., cmd/isobench may import github.com/hashicorp/hcl"},
		{"cmd imports cty", "cmd/isobench", "cmd/isobench/app.go", "github.com/zclconf/go-cty/cty", "only engine/..., rules/... may import github.com/zclconf/go-cty"},
		{"unlisted module", "engine", "engine/x.go", "github.com/example/thing", "add it to vendors"},
		{"unknown package", "rules", "rules/kinds.go", "errors", "package rules matches no rule in layers: add it to the table"},
		{"unknown command", "cmd/other", "cmd/other/main.go", "errors", "package cmd/other matches no rule in layers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := violations(map[string]map[string][]string{tt.pkg: {tt.file: {tt.imp}}})
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("got %q, want no violation", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("got %q, want one violation containing %q", got, tt.want)
			}
		})
	}
}
