package engine

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// LoadOptions configure Load.
type LoadOptions struct {
	Kinds []Kind
	// Executors are the executors besides the built-in local one (executor_kind.go).
	Executors []ExecutorKind
	// Vars override variable defaults (from --var name=value); ISOBENCH_VAR_<name> in the
	// environment does the same with lower precedence.
	Vars map[string]string
}

// loader carries the state of one Load.
type loader struct {
	root   string
	parser *hclparse.Parser
	kinds  map[string]Kind
	vars   cty.Value
	run    map[string]cty.Value // the kinds' RunVariables, in scope in every BUILD.hcl
	ws     *Workspace
	diags  hcl.Diagnostics
}

// Load reads isobench.hcl and every BUILD.hcl below root. Attributes that do not mention
// `commit` are evaluated here; every problem found is returned as a diagnostic with its range.
func Load(root string, opts LoadOptions) (*Workspace, hcl.Diagnostics) {
	l := &loader{
		root:   root,
		parser: hclparse.NewParser(),
		kinds:  map[string]Kind{},
		run:    map[string]cty.Value{},
		ws:     &Workspace{Root: root, Targets: map[Label]*Target{}, Kinds: map[string]Kind{}, Files: map[string][]byte{}, inputs: newInputLog()},
	}
	for _, k := range opts.Kinds {
		l.kinds[k.Name()] = k
		l.ws.Kinds[k.Name()] = k
		if rv, ok := k.(RunVariables); ok {
			maps.Copy(l.run, rv.RunVariables())
		}
	}
	l.registerExecutors(opts.Executors)
	l.loadWorkspaceFile(opts.Vars)
	if l.diags.HasErrors() {
		return l.ws, l.finish()
	}
	for _, rel := range l.findBuildFiles() {
		l.loadBuildFile(rel)
	}
	if !l.diags.HasErrors() {
		l.checkReferences()
	}
	return l.ws, l.finish()
}

func (l *loader) finish() hcl.Diagnostics {
	for name, f := range l.parser.Files() {
		l.ws.Files[name] = f.Bytes
	}
	return l.diags
}

// parse reads a file named relative to the root, so diagnostics print short paths.
func (l *loader) parse(rel string) *hcl.File {
	path := filepath.Join(l.root, rel)
	l.ws.inputs.saw(path) // stamp.go
	src, err := os.ReadFile(path)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read file", Detail: err.Error()})
		return nil
	}
	if d := checkLimits(src, rel); d != nil { // limits.go
		l.diags = append(l.diags, d)
		return nil
	}
	f, diags := l.parser.ParseHCL(src, rel)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return nil
	}
	return f
}

var workspaceFileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "workspace"},
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "executor", LabelNames: []string{"name"}}, // executor_kind.go
}}

var workspaceBlockSchema = &Schema{Attrs: []Attr{
	{Name: "name", Type: TypeString},
	{Name: "cache_dir", Type: TypeString},
	{Name: "output_dir", Type: TypeString},
	{Name: "remote_cache", Type: TypeString},           // remote.go
	{Name: "remote_cache_token_env", Type: TypeString}, // remote.go
}}

var variableSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "default"}, {Name: "description"}}}

func (l *loader) loadWorkspaceFile(overrides map[string]string) {
	l.vars = cty.EmptyObjectVal
	f := l.parse(WorkspaceFile)
	if f == nil {
		return
	}
	content, diags := f.Body.Content(workspaceFileSchema)
	l.diags = append(l.diags, diags...)
	ctx := &hcl.EvalContext{Functions: functions(l.root, l.ws.inputs)}
	vars := map[string]cty.Value{}
	for _, b := range content.Blocks.OfType("variable") {
		name := b.Labels[0]
		vc, d := b.Body.Content(variableSchema)
		l.diags = append(l.diags, d...)
		v := cty.NullVal(cty.String)
		if a, ok := vc.Attributes["default"]; ok {
			v, d = a.Expr.Value(ctx)
			l.diags = append(l.diags, d...)
		}
		if s, ok := os.LookupEnv("ISOBENCH_VAR_" + name); ok {
			v = cty.StringVal(s)
		}
		if s, ok := overrides[name]; ok {
			v = cty.StringVal(s)
		}
		vars[name] = v
	}
	for name := range overrides {
		if _, ok := vars[name]; !ok {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Undeclared variable",
				Detail: fmt.Sprintf("--var sets %q, but isobench.hcl declares no variable of that name.%s", name, didYouMean(name, slices.Sorted(maps.Keys(vars))))})
		}
	}
	l.vars = cty.ObjectVal(vars)
	l.loadExecutors(content.Blocks.OfType("executor"))
	if ws := content.Blocks.OfType("workspace"); len(ws) > 0 {
		body := l.decodeBody(ws[0].Body, workspaceBlockSchema, l.evalContext(ws[0].Body, l.root, ""), "", false)
		if body != nil {
			l.ws.Settings.Name = body.String("name")
			l.ws.Settings.CacheDir = body.String("cache_dir")
			l.ws.Settings.OutputDir = body.String("output_dir")
			l.ws.Settings.RemoteCache = body.String("remote_cache")
			l.ws.Settings.RemoteCacheTokenEnv = body.String("remote_cache_token_env")
			l.diags = append(l.diags, checkRemoteCache(body)...)
		}
	}
}

// findBuildFiles lists BUILD.hcl files below the root, skipping hidden directories, outputs
// and nested workspaces (a directory with its own isobench.hcl is another workspace).
func (l *loader) findBuildFiles() []string {
	var files []string
	filepath.WalkDir(l.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			name := d.Name()
			if path != l.root && (strings.HasPrefix(name, ".") || name == "isobench-out" || name == "node_modules") {
				return filepath.SkipDir
			}
			// Stamped before WalkDir reads its names: a BUILD.hcl added or removed later
			// changes the directory's stamp (stamp.go).
			l.ws.inputs.saw(path)
			if path != l.root {
				if _, err := os.Stat(filepath.Join(path, WorkspaceFile)); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if d.Name() == BuildFile {
			rel, _ := filepath.Rel(l.root, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(files)
	return files
}

func (l *loader) fileSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "locals"}}}
	for _, name := range sortedKeys(l.kinds) {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: name, LabelNames: []string{"name"}})
	}
	return s
}

func (l *loader) loadBuildFile(rel string) {
	pkg := filepath.ToSlash(filepath.Dir(rel))
	if pkg == "." {
		pkg = ""
	}
	dir := filepath.Join(l.root, filepath.FromSlash(pkg))
	f := l.parse(rel)
	if f == nil {
		return
	}
	content, diags := f.Body.Content(l.fileSchema())
	l.diags = append(l.diags, diags...)
	locals := l.evalLocals(content.Blocks.OfType("locals"), dir)
	for _, block := range content.Blocks {
		if block.Type == "locals" {
			continue
		}
		l.loadTargetBlock(block, pkg, dir, locals)
	}
}

// evalContext is the scope of expressions in a package: var, local, and the functions.
func (l *loader) evalContext(_ hcl.Body, dir string, _ string) *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": l.vars, "local": cty.EmptyObjectVal},
		Functions: functions(dir, l.ws.inputs),
	}
}

// packageVariables is what a BUILD.hcl expression sees: var, the file's locals, and the
// kinds' RunVariables (`commit` is added per commit, for late attributes).
func (l *loader) packageVariables(locals cty.Value) map[string]cty.Value {
	vars := map[string]cty.Value{"var": l.vars, "local": locals}
	maps.Copy(vars, l.run)
	return vars
}

// evalLocals evaluates a file's locals in dependency order: each pass evaluates the locals
// whose references to other locals are known, until nothing changes.
func (l *loader) evalLocals(blocks hcl.Blocks, dir string) cty.Value {
	pending := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		attrs, diags := b.Body.JustAttributes()
		l.diags = append(l.diags, diags...)
		for name, a := range attrs {
			if prev, ok := pending[name]; ok {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate local value",
					Detail:  fmt.Sprintf("The local value %q was already defined at %s.", name, where(prev.NameRange)),
					Subject: &a.NameRange})
				continue
			}
			pending[name] = a
		}
	}
	known := map[string]cty.Value{}
	for progress := true; progress && len(pending) > 0; {
		progress = false
		for _, name := range sortedKeys(pending) {
			a := pending[name]
			if !localsReady(a.Expr, known, pending) {
				continue
			}
			ctx := &hcl.EvalContext{Variables: l.packageVariables(cty.ObjectVal(known)), Functions: functions(dir, l.ws.inputs)}
			if d := undeclaredRef(a.Expr.Variables(), ctx); d != nil {
				l.diags = append(l.diags, d)
				known[name] = cty.DynamicVal
				delete(pending, name)
				progress = true
				continue
			}
			v, diags := a.Expr.Value(ctx)
			l.diags = append(l.diags, diags...)
			known[name] = v
			delete(pending, name)
			progress = true
		}
	}
	for _, name := range sortedKeys(pending) {
		a := pending[name]
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Local values refer to each other",
			Detail:  fmt.Sprintf("The local value %q cannot be evaluated: it depends on itself through other local values.", name),
			Subject: a.Expr.Range().Ptr()})
	}
	return cty.ObjectVal(known)
}

func localsReady(expr hcl.Expression, known map[string]cty.Value, pending map[string]*hcl.Attribute) bool {
	for _, tr := range expr.Variables() {
		if tr.RootName() != "local" || len(tr) < 2 {
			continue
		}
		if attr, ok := tr[1].(hcl.TraverseAttr); ok {
			if _, isPending := pending[attr.Name]; isPending {
				return false
			}
		}
	}
	return true
}

func (l *loader) loadTargetBlock(block *hcl.Block, pkg, dir string, locals cty.Value) {
	kind := l.kinds[block.Type]
	schema := kind.Schema()
	name := block.Labels[0]
	ctx := &hcl.EvalContext{Variables: l.packageVariables(locals), Functions: functions(dir, l.ws.inputs)}
	content, diags := block.Body.Content(schema.hclSchema(true))
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return
	}
	forEach, ok := content.Attributes["for_each"]
	if !ok {
		l.addTarget(block, kind, name, "", pkg, func() *Body {
			return l.decodeContent(content, block.DefRange, schema, ctx, pkg, true)
		})
		return
	}
	if d := undeclaredRef(forEach.Expr.Variables(), ctx); d != nil {
		l.diags = append(l.diags, d)
		return
	}
	v, diags := forEach.Expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return
	}
	if v.IsNull() || !(v.Type().IsMapType() || v.Type().IsObjectType() || v.Type().IsSetType()) {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid for_each value",
			Detail:  fmt.Sprintf("for_each must be a map or a set of strings, but this is %s.", v.Type().FriendlyName()),
			Subject: forEach.Expr.Range().Ptr()})
		return
	}
	// One mistake in the block is one mistake, however many elements repeat it.
	defer l.dedupForEach(len(l.diags), name, v.LengthInt())
	var elems []forEachElem
	var notStrings *hcl.Diagnostic
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if v.Type().IsSetType() {
			if !e.Type().Equals(cty.String) {
				notStrings = &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid for_each value",
					Detail: "A for_each set must hold strings.", Subject: forEach.Expr.Range().Ptr()}
				break
			}
			k = e
		}
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": k, "value": e})}
		elems = append(elems, forEachElem{key: k.AsString(), ctx: child})
	}
	l.decodeEach(content, block.DefRange, schema, pkg, elems)
	for _, el := range elems {
		l.addTarget(block, kind, name+"."+SafeName(el.key), el.key, pkg, func() *Body {
			l.diags = append(l.diags, el.diags...)
			return el.body
		})
	}
	if notStrings != nil {
		l.diags = append(l.diags, notStrings)
	}
}

// forEachElem is one element of a for_each block: its key, its scope (each.key and
// each.value), and what decoding the block's body in that scope gave.
type forEachElem struct {
	key   string
	ctx   *hcl.EvalContext
	body  *Body
	diags hcl.Diagnostics
}

// decodeEach decodes the block's body for every element, on every CPU: each element is
// evaluated in a scope of its own and only reads what they share (HCL and cty values are
// immutable; the input log has its own lock, as late attributes are evaluated by the walk's
// workers at once). Decoding 10,000 targets was a third of loading them. Each element keeps
// its own diagnostics, so they are said in element order as before.
func (l *loader) decodeEach(content *hcl.BodyContent, rng hcl.Range, schema *Schema, pkg string, elems []forEachElem) {
	onEveryCPU(len(elems), func(i int) {
		sub := *l // the same loader but for its diagnostics
		sub.diags = nil
		elems[i].body = sub.decodeContent(content, rng, schema, elems[i].ctx, pkg, true)
		elems[i].diags = sub.diags
	})
}

// onEveryCPU calls do(i) for i in [0, n) on GOMAXPROCS goroutines (fewer for small n, where
// starting them would cost more than it saves) and returns when every call has.
func onEveryCPU(n int, do func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/256+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				do(i)
			}
		})
	}
	wg.Wait()
}

// dedupForEach keeps one copy of each diagnostic that the n elements of a for_each block
// named name produced since l.diags held from diagnostics, saying how many elements have it.
func (l *loader) dedupForEach(from int, name string, n int) {
	type same struct {
		summary, detail string
		subject         hcl.Range
	}
	count := map[same]int{}
	var firsts []*hcl.Diagnostic
	for _, d := range l.diags[from:] {
		k := same{d.Summary, d.Detail, rangeOf(d.Subject)}
		if count[k] == 0 {
			firsts = append(firsts, d)
		}
		count[k]++
	}
	l.diags = l.diags[:from]
	for _, d := range firsts {
		if c := count[same{d.Summary, d.Detail, rangeOf(d.Subject)}]; c > 1 {
			dup := *d
			dup.Detail = fmt.Sprintf("%s (Said once for the %d of the %d targets of the for_each block %q that have it.)",
				strings.TrimSpace(d.Detail), c, n, name)
			d = &dup
		}
		l.diags = append(l.diags, d)
	}
}

func rangeOf(r *hcl.Range) hcl.Range {
	if r == nil {
		return hcl.Range{}
	}
	return *r
}

// addTarget declares the target name of block, once its name is found valid and free, with
// the body decode returns (nil when it had errors, which decode said).
func (l *loader) addTarget(block *hcl.Block, kind Kind, name, key, pkg string, decode func() *Body) {
	label := Label{Pkg: pkg, Name: name}
	if _, err := ParseLabel(label.String()); err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid target name",
			Detail: fmt.Sprintf("%s.", strings.TrimSuffix(err.Error(), ".")), Subject: block.LabelRanges[0].Ptr()})
		return
	}
	if prev, ok := l.ws.Targets[label]; ok {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate target name",
			Detail: fmt.Sprintf("A target named %q is already declared in this package, at %s. Target names must be unique within a package.",
				name, where(prev.Range)),
			Subject: block.LabelRanges[0].Ptr()})
		return
	}
	body := decode()
	if body == nil {
		return
	}
	t := &Target{Label: label, Kind: block.Type, ForEachKey: key, Body: body}
	if d, ok := kind.(Decoder); ok {
		config, diags := d.Decode(t)
		l.diags = append(l.diags, diags...)
		t.Config = config
	}
	l.ws.Targets[label] = t
}

func (l *loader) decodeBody(body hcl.Body, schema *Schema, ctx *hcl.EvalContext, pkg string, topLevel bool) *Body {
	content, diags := body.Content(schema.hclSchema(topLevel))
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return nil
	}
	return l.decodeContent(content, body.MissingItemRange(), schema, ctx, pkg, topLevel)
}
