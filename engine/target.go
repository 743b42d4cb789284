package engine

import (
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// A Target is one declared block: its kind, its label and its decoded body.
type Target struct {
	Label Label
	Kind  string
	// ForEachKey is the for_each key this target was expanded from ("" when none).
	ForEachKey string
	// Config is what the kind's Decode made of the body (nil for a kind without Decode).
	Config any
	*Body
}

// Body holds one block's attributes. Attributes that do not mention `commit` are evaluated at
// load time; those that do are kept as expressions and evaluated by the rule, per commit, with
// Eval. Every attribute keeps its source range for diagnostics.
type Body struct {
	Range  hcl.Range
	Pkg    string // package of the file the block is in, for relative labels and files
	schema *Schema
	// attrs are the attributes written, a handful per block: a slice costs a fifth of the
	// memory of maps by name, which a for_each of 100,000 targets held for each.
	attrs  []bodyAttr
	blocks map[string][]*Body
	ctx    *hcl.EvalContext
}

// bodyAttr is one attribute as written: its expression, and its value once evaluated.
type bodyAttr struct {
	name  string
	expr  hcl.Expression
	value cty.Value // cty.NilVal when late
	late  bool
}

// attr returns the attribute written under name, nil when it was not.
func (b *Body) attr(name string) *bodyAttr {
	for i := range b.attrs {
		if b.attrs[i].name == name {
			return &b.attrs[i]
		}
	}
	return nil
}

// Has reports whether the attribute was set.
func (b *Body) Has(name string) bool { return b.attr(name) != nil }

// IsLate reports whether the attribute mentions `commit` and must be evaluated per commit.
func (b *Body) IsLate(name string) bool {
	a := b.attr(name)
	return a != nil && a.late
}

// AttrRange returns where the attribute was written (the block's range when unset).
func (b *Body) AttrRange(name string) hcl.Range {
	if a := b.attr(name); a != nil {
		return a.expr.Range()
	}
	return b.Range
}

// Value returns an early attribute's value (cty.NilVal when unset or late).
func (b *Body) Value(name string) cty.Value {
	if a := b.attr(name); a != nil {
		return a.value
	}
	return cty.NilVal
}

// String returns a string attribute, "" when unset.
func (b *Body) String(name string) string {
	v := b.Value(name)
	if v == cty.NilVal || v.IsNull() || !v.Type().Equals(cty.String) {
		return ""
	}
	return v.AsString()
}

// Int returns a number attribute as an int, def when unset.
func (b *Body) Int(name string, def int) int {
	v := b.Value(name)
	if v == cty.NilVal || v.IsNull() {
		return def
	}
	i, _ := v.AsBigFloat().Int64()
	return int(i)
}

// Float returns a number attribute, def when unset.
func (b *Body) Float(name string, def float64) float64 {
	v := b.Value(name)
	if v == cty.NilVal || v.IsNull() {
		return def
	}
	f, _ := v.AsBigFloat().Float64()
	return f
}

// Bool returns a bool attribute, def when unset.
func (b *Body) Bool(name string, def bool) bool {
	v := b.Value(name)
	if v == cty.NilVal || v.IsNull() {
		return def
	}
	return v.True()
}

// Strings returns a list-of-strings attribute.
func (b *Body) Strings(name string) []string { return ctyStrings(b.Value(name)) }

// StringMap returns a map-of-strings attribute.
func (b *Body) StringMap(name string) map[string]string { return ctyStringMap(b.Value(name)) }

// Duration returns a duration attribute ("5m", "90s"), def when unset. The loader has checked
// that it parses.
func (b *Body) Duration(name string, def time.Duration) time.Duration {
	s := b.String(name)
	if s == "" {
		return def
	}
	d, _ := time.ParseDuration(s)
	return d
}

// Label returns a label attribute resolved against the body's package.
func (b *Body) Label(name string) Label {
	s := b.String(name)
	if s == "" {
		return Label{}
	}
	l, _ := ParseRelativeLabel(s, b.Pkg)
	return l
}

// Block returns the first nested block of that type, nil when absent.
func (b *Body) Block(name string) *Body {
	if bs := b.blocks[name]; len(bs) > 0 {
		return bs[0]
	}
	return nil
}

// Blocks returns every nested block of that type.
func (b *Body) Blocks(name string) []*Body { return b.blocks[name] }

// Eval evaluates an attribute with extra variables in scope (such as `commit`). Early
// attributes return their stored value. The error carries the attribute's source range.
func (b *Body) Eval(name string, vars map[string]cty.Value) (cty.Value, error) {
	a := b.attr(name)
	switch {
	case a == nil:
		return cty.NilVal, nil
	case !a.late:
		return a.value, nil
	}
	ctx := b.ctx.NewChild()
	ctx.Variables = vars
	v, diags := a.expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	attr := b.schema.attr(name)
	r := a.expr.Range()
	cv, err := convert.Convert(v, attr.Type.ctyType())
	if err != nil {
		return cty.NilVal, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   fmt.Sprintf("The attribute %q must be %s: %s.", name, attr.Type, err),
			Subject:  &r,
		}}
	}
	// The same checks as an early value's, now that the value is known.
	if _, d := checkValue(attr, cv, r, b.Pkg); d != nil {
		return cty.NilVal, hcl.Diagnostics{d}
	}
	return cv, nil
}

// A LateAttr is an attribute a kind's config keeps to evaluate per commit (one that may
// mention `commit`). An early attribute works the same way: it evaluates to its stored value.
type LateAttr struct {
	body *Body
	name string
}

// Late returns the attribute as a LateAttr, for a kind's config.
func (b *Body) Late(name string) LateAttr { return LateAttr{body: b, name: name} }

// IsSet reports whether the attribute was written.
func (a LateAttr) IsSet() bool { return a.body != nil && a.body.Has(a.name) }

// IsLate reports whether it mentions `commit`, so that its value is known only per commit.
func (a LateAttr) IsLate() bool { return a.body != nil && a.body.IsLate(a.name) }

// Range is where it was written.
func (a LateAttr) Range() hcl.Range { return a.body.AttrRange(a.name) }

// Value evaluates it with vars in scope (cty.NilVal when unset).
func (a LateAttr) Value(vars map[string]cty.Value) (cty.Value, error) {
	if a.body == nil {
		return cty.NilVal, nil
	}
	return a.body.Eval(a.name, vars)
}

// String evaluates a string attribute ("" when unset).
func (a LateAttr) String(vars map[string]cty.Value) (string, error) {
	if a.body == nil {
		return "", nil
	}
	return a.body.EvalString(a.name, vars)
}

// Strings evaluates a list-of-strings attribute.
func (a LateAttr) Strings(vars map[string]cty.Value) ([]string, error) {
	if a.body == nil {
		return nil, nil
	}
	return a.body.EvalStrings(a.name, vars)
}

// StringMap evaluates a map-of-strings attribute.
func (a LateAttr) StringMap(vars map[string]cty.Value) (map[string]string, error) {
	if a.body == nil {
		return nil, nil
	}
	return a.body.EvalStringMap(a.name, vars)
}

// EvalString evaluates a string attribute per commit.
func (b *Body) EvalString(name string, vars map[string]cty.Value) (string, error) {
	v, err := b.Eval(name, vars)
	if err != nil || v == cty.NilVal || v.IsNull() {
		return "", err
	}
	return v.AsString(), nil
}

// EvalStrings evaluates a list-of-strings attribute per commit.
func (b *Body) EvalStrings(name string, vars map[string]cty.Value) ([]string, error) {
	v, err := b.Eval(name, vars)
	return ctyStrings(v), err
}

// EvalStringMap evaluates a map-of-strings attribute per commit.
func (b *Body) EvalStringMap(name string, vars map[string]cty.Value) (map[string]string, error) {
	v, err := b.Eval(name, vars)
	return ctyStringMap(v), err
}

func ctyStrings(v cty.Value) []string {
	if v == cty.NilVal || v.IsNull() || !v.CanIterateElements() {
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if !e.IsNull() {
			out = append(out, e.AsString())
		}
	}
	return out
}

func ctyStringMap(v cty.Value) map[string]string {
	if v == cty.NilVal || v.IsNull() || !v.CanIterateElements() {
		return nil
	}
	out := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if !e.IsNull() {
			out[k.AsString()] = e.AsString()
		}
	}
	return out
}

// sortedKeys is used wherever map iteration order could leak into output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ToCty converts plain Go values (strings, numbers, bools, slices, maps) into a cty value, for
// rules that expose facts to expressions (the `commit` object).
func ToCty(v any) cty.Value {
	switch x := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType)
	case cty.Value:
		return x
	case string:
		return cty.StringVal(x)
	case bool:
		return cty.BoolVal(x)
	case int:
		return cty.NumberIntVal(int64(x))
	case int64:
		return cty.NumberIntVal(x)
	case float64:
		return cty.NumberVal(new(big.Float).SetFloat64(x))
	case []string:
		if len(x) == 0 {
			return cty.ListValEmpty(cty.String)
		}
		vals := make([]cty.Value, len(x))
		for i, s := range x {
			vals[i] = cty.StringVal(s)
		}
		return cty.ListVal(vals)
	case []any:
		vals := make([]cty.Value, len(x))
		for i, e := range x {
			vals[i] = ToCty(e)
		}
		return cty.TupleVal(vals)
	case map[string]string:
		if len(x) == 0 {
			return cty.MapValEmpty(cty.String)
		}
		vals := map[string]cty.Value{}
		for k, s := range x {
			vals[k] = cty.StringVal(s)
		}
		return cty.MapVal(vals)
	case map[string]any:
		vals := map[string]cty.Value{}
		for k, e := range x {
			vals[k] = ToCty(e)
		}
		return cty.ObjectVal(vals)
	}
	panic(fmt.Sprintf("engine.ToCty: unsupported type %T", v))
}
