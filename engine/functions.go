package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions returns the functions available in a BUILD.hcl of the package in dir: the usual
// Terraform-style string, collection and encoding functions, plus file and templatefile,
// which read paths relative to the package directory. What they read is stamped in log
// (stamp.go), at load time and when a late attribute is evaluated while an action is
// prepared.
func functions(dir string, log *inputLog) map[string]function.Function {
	return functionsIn(dir, log, 0)
}

// functionsIn is functions inside templates templates deep (0: in a BUILD.hcl itself).
func functionsIn(dir string, log *inputLog, templates int) map[string]function.Function {
	return map[string]function.Function{
		"abs":           stdlib.AbsoluteFunc,
		"ceil":          stdlib.CeilFunc,
		"chomp":         stdlib.ChompFunc,
		"chunklist":     stdlib.ChunklistFunc,
		"coalesce":      stdlib.CoalesceFunc,
		"compact":       stdlib.CompactFunc,
		"concat":        stdlib.ConcatFunc,
		"contains":      stdlib.ContainsFunc,
		"csvdecode":     stdlib.CSVDecodeFunc,
		"distinct":      stdlib.DistinctFunc,
		"element":       stdlib.ElementFunc,
		"file":          fileFunc(dir, log),
		"flatten":       stdlib.FlattenFunc,
		"floor":         stdlib.FloorFunc,
		"format":        stdlib.FormatFunc,
		"formatlist":    stdlib.FormatListFunc,
		"indent":        stdlib.IndentFunc,
		"join":          stdlib.JoinFunc,
		"jsondecode":    stdlib.JSONDecodeFunc,
		"jsonencode":    stdlib.JSONEncodeFunc,
		"keys":          stdlib.KeysFunc,
		"length":        stdlib.LengthFunc,
		"lookup":        stdlib.LookupFunc,
		"lower":         stdlib.LowerFunc,
		"max":           stdlib.MaxFunc,
		"merge":         stdlib.MergeFunc,
		"min":           stdlib.MinFunc,
		"parseint":      stdlib.ParseIntFunc,
		"range":         stdlib.RangeFunc,
		"regex":         stdlib.RegexFunc,
		"regexall":      stdlib.RegexAllFunc,
		"regex_replace": stdlib.RegexReplaceFunc,
		"replace":       stdlib.ReplaceFunc,
		"reverse":       stdlib.ReverseListFunc,
		"slice":         stdlib.SliceFunc,
		"sort":          stdlib.SortFunc,
		"split":         stdlib.SplitFunc,
		"strlen":        stdlib.StrlenFunc,
		"substr":        stdlib.SubstrFunc,
		"templatefile":  templateFileFunc(dir, log, templates),
		"title":         stdlib.TitleFunc,
		"tolist":        stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":         stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":      stdlib.MakeToFunc(cty.Number),
		"toset":         stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":      stdlib.MakeToFunc(cty.String),
		"trim":          stdlib.TrimFunc,
		"trimprefix":    stdlib.TrimPrefixFunc,
		"trimspace":     stdlib.TrimSpaceFunc,
		"trimsuffix":    stdlib.TrimSuffixFunc,
		"upper":         stdlib.UpperFunc,
		"values":        stdlib.ValuesFunc,
		"zipmap":        stdlib.ZipmapFunc,
	}
}

func resolvePath(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// readInputFile reads a file that file() or templatefile() names: a regular file of at most
// MaxReadBytes, so that file("/dev/zero") or a misnamed dataset is an error, not a build that
// hangs or fills memory.
func readInputFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil {
		return nil, err
	} else if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxReadBytes+1))
	if err == nil && len(data) > MaxReadBytes {
		err = fmt.Errorf("%s has more than %d MiB, the most file() and templatefile() read", path, MaxReadBytes>>20)
	}
	return data, err
}

func fileFunc(dir string, log *inputLog) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			path := resolvePath(dir, args[0].AsString())
			log.saw(path)
			data, err := readInputFile(path)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "cannot read the file: %s", err)
			}
			return cty.StringVal(string(data)), nil
		},
	})
}

// templateFileFunc renders a file as an HCL template (${...} and %{...} directives) with the
// variables given in its second argument. The prompt of a generator is usually one, with
// `{ commit = commit }`, so it is evaluated late, once per commit. A template is held to the
// limits of HCL files (limits.go), and may render another up to MaxTemplateDepth deep.
func templateFileFunc(dir string, log *inputLog, templates int) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "vars", Type: cty.DynamicPseudoType},
		},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			path := resolvePath(dir, args[0].AsString())
			if templates >= MaxTemplateDepth {
				return cty.NilVal, templateFailure(fmt.Sprintf("templates render templates more than %d deep here (%s): does a template render itself", MaxTemplateDepth, path))
			}
			log.saw(path)
			src, err := readInputFile(path)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "cannot read the template: %s", err)
			}
			if d := checkTemplateLimits(src, path); d != nil {
				return cty.NilVal, templateFailure(fmt.Sprintf("%s:%d:%d: %s: %s", path, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, strings.TrimSuffix(d.Detail, ".")))
			}
			tmpl, diags := hclsyntax.ParseTemplate(src, path, hcl.Pos{Line: 1, Column: 1, Byte: 0})
			if diags.HasErrors() {
				return cty.NilVal, function.NewArgErrorf(0, "the template does not parse: %s", diags.Error())
			}
			vars := map[string]cty.Value{}
			if v := args[1]; !v.IsNull() && v.CanIterateElements() {
				for it := v.ElementIterator(); it.Next(); {
					k, e := it.Element()
					vars[k.AsString()] = e
				}
			}
			ctx := &hcl.EvalContext{Variables: vars, Functions: functionsIn(filepath.Dir(path), log, templates+1)}
			out, diags := tmpl.Value(ctx)
			if diags.HasErrors() {
				if inner := innerTemplateFailure(diags); inner != nil {
					return cty.NilVal, inner
				}
				return cty.NilVal, function.NewArgErrorf(0, "rendering the template failed: %s", diags.Error())
			}
			if out.IsNull() {
				return cty.StringVal(""), nil
			}
			return out, nil
		},
	})
}

// templateFailure is a limit a template passed. A template rendering another passes the inner
// one's failure on as it is, so the user reads it once, not wrapped once per template.
type templateFailure string

func (f templateFailure) Error() string { return string(f) }

// innerTemplateFailure is the templateFailure of a templatefile call among diags, or nil.
func innerTemplateFailure(diags hcl.Diagnostics) error {
	for _, d := range diags {
		if extra, ok := d.Extra.(hclsyntax.FunctionCallDiagExtra); ok {
			var f templateFailure
			if errors.As(extra.FunctionCallError(), &f) {
				return f
			}
		}
	}
	return nil
}
