package isobench_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// bodyReaders are the methods of engine.Target and engine.Body that read an attribute or a
// block by its name.
var bodyReaders = map[string]bool{
	"Has": true, "String": true, "Strings": true, "Int": true, "Float": true, "Bool": true,
	"Duration": true, "Label": true, "Value": true, "StringMap": true, "Block": true,
	"Blocks": true, "IsLate": true, "AttrRange": true, "Late": true, "Eval": true,
	"EvalString": true, "EvalStrings": true, "EvalStringMap": true,
}

// TestAttributesReadOnlyInDecode keeps each kind's and executor's attributes read by name in
// one place, its config.go: everywhere else a kind uses its typed config, so a misspelt name
// is a compile error, not an attribute that silently reads as empty.
func TestAttributesReadOnlyInDecode(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		slash := filepath.ToSlash(path)
		inScope := strings.HasPrefix(slash, "rules/") || strings.HasPrefix(slash, "engine/") && strings.Count(slash, "/") > 1
		if d.IsDir() || !inScope || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			filepath.Base(path) == "config.go" || strings.HasPrefix(slash, "rules/ruletest/") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if lit, isLit := call.Args[0].(*ast.BasicLit); ok && isLit && lit.Kind == token.STRING && bodyReaders[sel.Sel.Name] {
				t.Errorf("%s: %s(%s) reads an attribute by name outside config.go; decode it into the config", fset.Position(call.Pos()), sel.Sel.Name, lit.Value)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
