// Package isobench_test holds checks that span the whole module.
package isobench_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/isobench/isobench"

// sharedRulePackages are rule packages that are not kinds: every kind may use them.
var sharedRulePackages = map[string]bool{"rules/artifact": true, "rules/gitrepo": true}

// TestLayering enforces DESIGN.md's import direction: cache is a leaf; engine uses only cache;
// a rule uses the engine, the cache and the shared rule packages, never another kind; vendor
// SDKs stay in the package that owns them.
func TestLayering(t *testing.T) {
	imports := moduleImports(t)
	for pkg, deps := range imports {
		for dep := range deps {
			if msg := violation(pkg, dep); msg != "" {
				t.Errorf("%s imports %s: %s", pkg, dep, msg)
			}
		}
	}
	if len(imports) < 3 {
		t.Fatalf("found only %d packages; is the test looking in the right place?", len(imports))
	}
}

func violation(pkg, dep string) string {
	internal := strings.HasPrefix(dep, module+"/")
	depPkg := strings.TrimPrefix(dep, module+"/")
	switch {
	case pkg == "cache":
		if internal {
			return "cache is a leaf and imports nothing of isobench"
		}
	case pkg == "engine":
		if internal && depPkg != "cache" {
			return "engine may use only cache"
		}
		for _, sdk := range []string{"go-openai", "go-nvml", "badger"} {
			if strings.Contains(dep, sdk) {
				return "engine must not know vendor SDKs"
			}
		}
	case strings.HasPrefix(pkg, "rules/"):
		if !internal || depPkg == "engine" || depPkg == "cache" || sharedRulePackages[depPkg] {
			return ""
		}
		if kindOf(depPkg) != kindOf(pkg) {
			return "a rule must not import another kind"
		}
	}
	return ""
}

// kindOf is the top directory under rules/ ("rules/benchmark/stats" -> "benchmark").
func kindOf(pkg string) string {
	parts := strings.Split(pkg, "/")
	if len(parts) < 2 || parts[0] != "rules" {
		return pkg
	}
	return parts[1]
}

// moduleImports maps each package directory (relative) to the imports of its non-test files.
func moduleImports(t *testing.T) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "examples") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if out[dir] == nil {
			out[dir] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[dir][p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
