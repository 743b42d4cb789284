package commitsearch

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo"
)

// DefaultKeywords are the patterns a search matches when it declares none: the words the
// upstream pipeline grepped vLLM's history for (perf, performance, optimize, speed up,
// speedup, slow, faster, overhead, latency), as case-insensitive regular expressions. "perf"
// also matches "performance"; "optimi[sz]" matches both spellings and every form of the word.
var DefaultKeywords = []string{"perf", "optimi[sz]", "speed ?up", "faster", "slow", "overhead", "latency"}

// Format is how the commit list is written.
type Format string

const (
	FormatCSV  Format = "csv"
	FormatJSON Format = "json"
)

// Config is a commit_search target as its BUILD.hcl declares it, with defaults applied.
type Config struct {
	Label engine.Label
	Repo  engine.Label
	// To is the revision the scan starts from (default HEAD: the mirror's default branch);
	// From, when set, is a revision whose history is left out, as in `git log from..to`.
	To, From string
	// Since and Until bound the author date (zero: unbounded); Until is exclusive.
	Since, Until time.Time
	// Keywords match the message (subject and body), case-insensitively; none: every commit.
	Keywords []keyword
	// Paths and ExcludePaths are globs over the files a commit changes: a commit needs a file
	// matching Paths (when given) that ExcludePaths does not match.
	Paths, ExcludePaths []glob
	MaxFiles, MaxLines  int // 0: no limit
	Merges              bool
	Generator           engine.Label // zero: no model is asked
	// Include and Exclude map a revision (a SHA or a prefix of one) to the comment that says
	// why; they are applied last, exclude first, so an included commit is always listed.
	Include, Exclude map[string]string
	// Output is the commit list's path relative to the workspace root ("" for the default,
	// see outputPath), and Format its format (from the file's extension).
	Output string
	Format Format
}

type keyword struct {
	src string
	re  *regexp.Regexp
}

// decode reads a commit_search target.
func decode(t *engine.Target) (*Config, hcl.Diagnostics) {
	c := &Config{
		Label:     t.Label,
		Repo:      t.Body.Label("repo"),
		To:        t.String("to"),
		From:      t.String("from"),
		MaxFiles:  t.Int("max_files", 0),
		MaxLines:  t.Int("max_lines", 0),
		Merges:    t.Bool("merges", false),
		Generator: t.Body.Label("generator"),
		Include:   t.StringMap("include"),
		Exclude:   t.StringMap("exclude"),
	}
	if c.To == "" {
		c.To = "HEAD"
	}
	var diags hcl.Diagnostics
	bad := func(attr, format string, args ...any) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + attr,
			Detail: fmt.Sprintf(format, args...), Subject: t.AttrRange(attr).Ptr()})
	}
	for _, attr := range []string{"to", "from"} {
		if rev := t.String(attr); t.Has(attr) {
			if msg := gitrepo.CheckRev(rev); msg != "" {
				bad(attr, "The revision %q cannot be used: %s. Write a SHA or a ref such as \"main\" or \"v0.6.0\".", rev, msg)
			}
		}
	}
	var err error
	if c.Since, err = parseDate(t.String("since"), false); err != nil {
		bad("since", "%s", err)
	}
	if c.Until, err = parseDate(t.String("until"), true); err != nil {
		bad("until", "%s", err)
	}
	if !c.Since.IsZero() && !c.Until.IsZero() && !c.Since.Before(c.Until) {
		bad("until", "The date range is empty: until (%s) is not after since (%s).", t.String("until"), t.String("since"))
	}

	sources := DefaultKeywords
	if t.Has("keywords") {
		sources = t.Strings("keywords")
	}
	for _, src := range sources {
		if _, err := regexp.Compile(src); err != nil {
			bad("keywords", "The keyword %q is not a regular expression (RE2 syntax): %s.", src, err)
			continue
		}
		re := regexp.MustCompile("(?i)" + src)
		c.Keywords = append(c.Keywords, keyword{src: src, re: re})
	}
	for _, attr := range []string{"paths", "exclude_paths"} {
		for _, g := range t.Strings(attr) {
			compiled, err := compileGlob(g)
			if err != nil {
				bad(attr, "The path pattern %q is not a glob: %s.", g, err)
				continue
			}
			if attr == "paths" {
				c.Paths = append(c.Paths, compiled)
			} else {
				c.ExcludePaths = append(c.ExcludePaths, compiled)
			}
		}
	}
	for _, attr := range []string{"include", "exclude"} {
		for _, rev := range slices.Sorted(maps.Keys(t.StringMap(attr))) {
			if !gitrepo.IsHex(rev) || len(rev) < 7 {
				bad(attr, "The key %q is not a commit SHA; write the SHA (at least 7 digits) of the commit to %s.", rev, attr)
			}
		}
	}
	for _, rev := range slices.Sorted(maps.Keys(c.Include)) {
		for _, other := range slices.Sorted(maps.Keys(c.Exclude)) {
			if strings.HasPrefix(strings.ToLower(rev), strings.ToLower(other)) || strings.HasPrefix(strings.ToLower(other), strings.ToLower(rev)) {
				bad("exclude", "The commit %s is both included and excluded; keep it in one list.", other)
			}
		}
	}

	out := t.String("output")
	c.Format = FormatCSV
	if t.Has("output") {
		c.Output = path.Join(t.Label.Pkg, out)
		switch {
		case out == "":
			bad("output", "The output path is empty; leave the attribute out to write isobench-out/%s/%s/commits.csv.", t.Label.Pkg, t.Label.Name)
		case path.IsAbs(out) || strings.HasPrefix(c.Output, "../") || c.Output == "..":
			bad("output", "The output %q is outside the workspace; name a file relative to the package, such as \"perf_commits.csv\".", out)
		}
		switch strings.ToLower(path.Ext(out)) {
		case ".csv":
		case ".json":
			c.Format = FormatJSON
		default:
			bad("output", "The output %q must end in .csv or .json, the two formats for_each reads (with csvdecode or jsondecode).", out)
		}
	}
	return c, diags
}

// outputPath is where the list goes, relative to the workspace root: the target's output, or
// commits.csv in the target's directory beside the datasets.
func (c *Config) outputPath(outputDir string) string {
	if c.Output != "" {
		return c.Output
	}
	l := c.Label
	if outputDir == "" {
		outputDir = "isobench-out"
	}
	return path.Join(outputDir, l.Pkg, l.Name, "commits.csv")
}

// parseDate reads a date as "2024-05-01" (a day, UTC) or RFC 3339. An end date that is a day
// includes that whole day.
func parseDate(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	d, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date; write it as \"2024-05-01\" or \"2024-05-01T12:00:00Z\"", s)
	}
	return d, nil
}

// glob is a path pattern: `*` matches within one path segment, `**` across segments (a
// leading `**/` also matches no directory at all), `?` one character, `[...]` a class, as in
// .gitignore files and most build tools.
type glob struct {
	src string
	re  *regexp.Regexp
}

func compileGlob(g string) (glob, error) {
	if g == "" {
		return glob{}, fmt.Errorf("it is empty")
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		switch ch := g[i]; ch {
		case '*':
			if i+1 < len(g) && g[i+1] == '*' {
				i++
				if i+1 < len(g) && g[i+1] == '/' {
					i++
					b.WriteString("(?:.*/)?")
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(g[i:], ']')
			if j < 0 {
				return glob{}, fmt.Errorf("a [ is not closed")
			}
			class := g[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return glob{}, err
	}
	return glob{src: g, re: re}, nil
}

func (g glob) match(p string) bool { return g.re.MatchString(p) }

func matchAny(globs []glob, p string) bool {
	for _, g := range globs {
		if g.match(p) {
			return true
		}
	}
	return false
}
