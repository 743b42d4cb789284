package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// LateVariable is the name that makes an expression late: it is evaluated per commit.
const LateVariable = "commit"

// decodeContent turns a block's content into a Body: early attributes evaluated and converted
// to their declared types, late ones kept as expressions, nested blocks decoded recursively.
func (l *loader) decodeContent(content *hcl.BodyContent, rng hcl.Range, schema *Schema, ctx *hcl.EvalContext, pkg string, topLevel bool) *Body {
	// A for_each block decodes one Body per element, so its attributes are allocated once,
	// and blocks, empty in most bodies, only once it gets one (nil reads as empty).
	b := &Body{Range: rng, Pkg: pkg, schema: schema, ctx: ctx, attrs: make([]bodyAttr, 0, len(content.Attributes))}
	ok := true
	for name, a := range content.Attributes {
		if name == "for_each" && topLevel {
			continue
		}
		attr := schema.attr(name)
		b.attrs = append(b.attrs, bodyAttr{name: name, expr: a.Expr})
		written := &b.attrs[len(b.attrs)-1]
		refs := a.Expr.Variables()
		if mentions(refs, LateVariable) {
			if !attr.Late {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Commit not available here",
					Detail:  fmt.Sprintf("The attribute %q cannot refer to `commit`: it is evaluated once per target, not once per commit.", name),
					Subject: a.Expr.Range().Ptr()})
				ok = false
			}
			written.late = true
			continue
		}
		if d := undeclaredRef(refs, ctx); d != nil {
			l.diags = append(l.diags, d)
			ok = false
			continue
		}
		v, diags := a.Expr.Value(ctx)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			ok = false
			continue
		}
		v, d := checkValue(attr, v, a.Expr.Range(), pkg)
		if d != nil {
			l.diags = append(l.diags, d)
		}
		if v == cty.NilVal {
			ok = false
			continue
		}
		written.value = v
	}
	for _, blk := range content.Blocks {
		var bs *BlockSchema
		for i := range schema.Blocks {
			if schema.Blocks[i].Name == blk.Type {
				bs = &schema.Blocks[i]
			}
		}
		if prev := b.blocks[blk.Type]; len(prev) > 0 && !bs.Repeated {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate block",
				Detail:  fmt.Sprintf("Only one %q block is allowed here; the first is at %s.", blk.Type, where(prev[0].Range)),
				Subject: blk.DefRange.Ptr()})
			ok = false
			continue
		}
		sub := l.decodeBody(blk.Body, bs.Schema, ctx, pkg, false)
		if sub == nil {
			ok = false
			continue
		}
		sub.Range = blk.DefRange
		if b.blocks == nil {
			b.blocks = map[string][]*Body{}
		}
		b.blocks[blk.Type] = append(b.blocks[blk.Type], sub)
	}
	if !ok {
		return nil
	}
	return b
}

// mentions reports whether an expression's references (its Variables) include the root
// variable name.
func mentions(refs []hcl.Traversal, name string) bool {
	for _, tr := range refs {
		if tr.RootName() == name {
			return true
		}
	}
	return false
}

// checkValue converts v to the attribute's type and checks its form (labels, patterns,
// durations, allowed values). The diagnostic is a full sentence with the value's range.
func checkValue(attr Attr, v cty.Value, rng hcl.Range, pkg string) (cty.Value, *hcl.Diagnostic) {
	bad := func(format string, args ...any) (cty.Value, *hcl.Diagnostic) {
		return cty.NilVal, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + attr.Name,
			Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr()}
	}
	if v.IsNull() {
		return v, nil
	}
	cv, err := convert.Convert(v, attr.Type.ctyType())
	if err != nil {
		return cty.NilVal, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect attribute value type",
			Detail:  fmt.Sprintf("The attribute %q must be %s, but this is %s.", attr.Name, attr.Type, v.Type().FriendlyName()),
			Subject: rng.Ptr()}
	}
	if !cv.IsWhollyKnown() {
		return cv, nil
	}
	switch attr.Type {
	case TypeLabel:
		if _, err := ParseRelativeLabel(cv.AsString(), pkg); err != nil {
			return bad("%s.", strings.TrimSuffix(err.Error(), "."))
		}
	case TypePatterns:
		for _, s := range ctyStrings(cv) {
			if _, err := ParsePattern(s, pkg); err != nil {
				return bad("%s.", strings.TrimSuffix(err.Error(), "."))
			}
		}
	case TypeDuration:
		if _, err := time.ParseDuration(cv.AsString()); err != nil {
			return bad("%q is not a duration; write it like \"90s\", \"5m\" or \"1h30m\".", cv.AsString())
		}
	case TypeString:
		if len(attr.OneOf) > 0 && !slices.Contains(attr.OneOf, cv.AsString()) {
			return bad("%q is not one of %s.", cv.AsString(), quoteList(attr.OneOf))
		}
	}
	// A value out of range keeps its place in the body (with the diagnostic), so that the
	// kind's Decode still runs and reports its own findings in the same load.
	if msg := checkConstraints(attr, cv); msg != "" {
		_, d := bad("%s", msg)
		return cv, d
	}
	return cv, nil
}

// checkConstraints checks whole numbers, Min, Positive and NonEmpty; the message is a full
// sentence.
func checkConstraints(attr Attr, v cty.Value) string {
	switch attr.Type {
	case TypeNumber, TypeInt:
		f, _ := v.AsBigFloat().Float64()
		text := v.AsBigFloat().Text('g', -1)
		if attr.Type == TypeInt && !v.AsBigFloat().IsInt() {
			return fmt.Sprintf("%s must be a whole number, but it is %s.", attr.Name, text)
		}
		if attr.Min != nil && f < *attr.Min {
			return fmt.Sprintf("%s must be at least %s, but it is %s.", attr.Name, strconv.FormatFloat(*attr.Min, 'g', -1, 64), text)
		}
		if attr.Positive && f <= 0 {
			return fmt.Sprintf("%s must be greater than 0, but it is %s.", attr.Name, text)
		}
	case TypeDuration:
		if d, _ := time.ParseDuration(v.AsString()); attr.Positive && d <= 0 {
			return fmt.Sprintf("%s must be a positive duration such as \"10m\", but it is %q.", attr.Name, v.AsString())
		}
	case TypeString, TypeLabel:
		if attr.NonEmpty && v.AsString() == "" {
			return fmt.Sprintf("%s must not be empty; leave the attribute out to use the default, where there is one.", attr.Name)
		}
	case TypeStrings, TypePatterns, TypeStringMap:
		if attr.NonEmpty && v.LengthInt() == 0 {
			return fmt.Sprintf("%s must not be empty; leave the attribute out to use the default, where there is one.", attr.Name)
		}
	}
	return ""
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// checkReferences makes sure every label attribute names an existing target of the right
// kind, suggesting the nearest label when it does not.
func (l *loader) checkReferences() {
	byKind := map[string][]string{}
	for label, t := range l.ws.Targets {
		byKind[t.Kind] = append(byKind[t.Kind], label.String())
	}
	for _, label := range l.ws.Labels() {
		l.checkBodyReferences(l.ws.Targets[label].Body, byKind)
	}
}

func (l *loader) checkBodyReferences(b *Body, byKind map[string][]string) {
	for _, attr := range b.schema.Attrs {
		if attr.Type != TypeLabel || !b.Has(attr.Name) || b.IsLate(attr.Name) {
			continue
		}
		ref := b.Label(attr.Name)
		target, ok := l.ws.Targets[ref]
		switch {
		case !ok:
			detail := fmt.Sprintf("The attribute %q names %s, but no such target is declared.", attr.Name, ref)
			var candidates []string
			if attr.RefKind != "" {
				candidates = byKind[attr.RefKind]
			} else {
				for _, c := range byKind {
					candidates = append(candidates, c...)
				}
			}
			if s := Suggest(ref.String(), candidates); s != "" {
				detail += fmt.Sprintf(" Did you mean %s?", s)
			}
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown target",
				Detail: detail, Subject: b.AttrRange(attr.Name).Ptr()})
		case attr.RefKind != "" && target.Kind != attr.RefKind:
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Wrong kind of target",
				Detail:  fmt.Sprintf("The attribute %q must name %s target, but %s is %s.", attr.Name, withArticle(attr.RefKind), ref, withArticle(target.Kind)),
				Subject: b.AttrRange(attr.Name).Ptr()})
		}
	}
	for _, name := range sortedKeys(b.blocks) {
		for _, sub := range b.blocks[name] {
			l.checkBodyReferences(sub, byKind)
		}
	}
}

// withArticle puts "a" or "an" before a kind name: "an environment", "a commit".
func withArticle(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

// where prints a range's start as file:line:col, the form diagnostics are shown in.
func where(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// undeclaredRef finds a var.x or local.x among an expression's references (its Variables)
// that names nothing declared and says what was probably meant. HCL's own message ("This
// object does not have an attribute named") neither names the kind of thing missing nor
// suggests the nearest name.
func undeclaredRef(refs []hcl.Traversal, ctx *hcl.EvalContext) *hcl.Diagnostic {
	for _, tr := range refs {
		root := tr.RootName()
		if (root != "var" && root != "local") || len(tr) < 2 {
			continue
		}
		attr, ok := tr[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		obj, found := lookupVariable(ctx, root)
		if !found || !obj.Type().IsObjectType() || obj.Type().HasAttribute(attr.Name) {
			continue
		}
		var names []string
		for name := range obj.Type().AttributeTypes() {
			names = append(names, name)
		}
		detail := fmt.Sprintf("No variable named %q is declared in %s.", attr.Name, WorkspaceFile)
		if root == "local" {
			detail = fmt.Sprintf("No local value named %q is defined in this file.", attr.Name)
		}
		if s := Suggest(attr.Name, names); s != "" {
			detail += fmt.Sprintf(" Did you mean %s.%s?", root, s)
		}
		rng := tr.SourceRange()
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to an undeclared name", Detail: detail, Subject: &rng}
	}
	return nil
}

// lookupVariable finds a variable in ctx or its parents.
func lookupVariable(ctx *hcl.EvalContext, name string) (cty.Value, bool) {
	for c := ctx; c != nil; c = c.Parent() {
		if v, ok := c.Variables[name]; ok {
			return v, true
		}
	}
	return cty.NilVal, false
}
