package dataset

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
)

// Config is a dataset block, decoded once when the workspace loads.
type Config struct {
	// Label is the dataset's own label: its default directory and the title of its card.
	Label engine.Label
	// Benchmarks are the patterns that select the benchmarks, relative to the package, as
	// written; BenchmarksRange is where, for the errors of planning them.
	Benchmarks      []string
	BenchmarksRange hcl.Range
	// Formats are the formats written, in the order given (jsonl and parquet by default).
	Formats []Format
	// Include lists the statuses, verdicts and failure classes whose records are kept; nil
	// keeps every record.
	Include []string
	// Output is where the files go: "" for isobench-out/<package>/<name>, else an absolute
	// path or one relative to the workspace root (the attribute is relative to the package,
	// as file() is).
	Output      string
	Description string
	License     string
	// PrettyName and TaskCategories go into the card's header, as the Hugging Face Hub
	// reads them; Split and ConfigName name the records' split and config there.
	PrettyName     string
	TaskCategories []string
	Split          string
	ConfigName     string
}

// The names the Hugging Face datasets library gives a dataset's only split and config when
// nothing says otherwise.
const (
	defaultSplit      = "train"
	defaultConfigName = "default"
)

// hfName is the form of a split or config name the datasets library accepts in data_files.
var hfName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Format is a file format a dataset is written in.
type Format string

const (
	FormatJSONL   Format = "jsonl"
	FormatParquet Format = "parquet"
)

var defaultFormats = []Format{FormatJSONL, FormatParquet}

// joinFormats lists formats as the key line writes them: "jsonl,parquet".
func joinFormats(formats []Format) string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	return strings.Join(names, ",")
}

// classRE is the form of an include value other than "all": a status, verdict or failure
// class is a lower-case identifier.
var classRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// decode reads a dataset block into its Config and checks, with the attribute's range, what
// the schema cannot: the formats and include values. It is the only place the kind reads an
// attribute by name.
func decode(t *engine.Target) (*Config, hcl.Diagnostics) {
	c := &Config{
		Label:           t.Label,
		Benchmarks:      t.Strings("benchmarks"),
		BenchmarksRange: t.AttrRange("benchmarks"),
		Formats:         defaultFormats,
		Include:         t.Strings("include"),
		Output:          t.String("output"),
		Description:     t.String("description"),
		License:         t.String("license"),
		PrettyName:      t.String("pretty_name"),
		TaskCategories:  t.Strings("task_categories"),
		Split:           t.String("split"),
		ConfigName:      t.String("config_name"),
	}
	if c.Split == "" {
		c.Split = defaultSplit
	}
	if c.ConfigName == "" {
		c.ConfigName = defaultConfigName
	}
	var diags hcl.Diagnostics
	bad := func(attr, format string, args ...any) {
		r := t.AttrRange(attr)
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + attr,
			Detail: fmt.Sprintf(format, args...), Subject: &r})
	}
	if t.Has("formats") {
		written := t.Strings("formats")
		if len(written) == 0 {
			bad("formats", `A dataset needs at least one format; write formats = ["jsonl", "parquet"] or leave the attribute out.`)
		}
		c.Formats = nil
		seen := map[Format]bool{}
		for _, s := range written {
			f := Format(s)
			switch {
			case f != FormatJSONL && f != FormatParquet:
				bad("formats", "%q is not a format isobench writes; the formats are \"jsonl\" and \"parquet\".", s)
			case seen[f]:
				bad("formats", "The format %q is listed twice.", s)
			}
			seen[f] = true
			c.Formats = append(c.Formats, f)
		}
	}
	for _, v := range c.Include {
		if v != "all" && !classRE.MatchString(v) {
			bad("include", "%q is not an outcome: include lists \"all\", statuses (ok, failed, skipped, blocked), verdicts (improved, regressed, unchanged, noisy) or failure classes such as \"no_wheel\".", v)
		}
	}
	if t.Has("include") && len(c.Include) == 0 {
		bad("include", `An empty include keeps no record; leave the attribute out to keep every outcome.`)
	}
	for _, a := range []struct{ attr, value string }{{"split", c.Split}, {"config_name", c.ConfigName}} {
		if !hfName.MatchString(a.value) {
			bad(a.attr, "%q cannot name a split or config of a Hugging Face dataset: use letters, digits, '_', '-' and '.', such as \"vllm\".", a.value)
		}
	}
	if t.Has("output") && c.Output == "" {
		bad("output", "The output directory is empty; leave the attribute out to write to isobench-out/%s/%s.", t.Label.Pkg, t.Label.Name)
	}
	if c.Output != "" && !filepath.IsAbs(c.Output) {
		c.Output = filepath.Join(filepath.FromSlash(t.Label.Pkg), c.Output)
	}
	return c, diags
}
