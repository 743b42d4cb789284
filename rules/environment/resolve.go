package environment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// The preflight ("resolve" action) answers, before any GPU or LLM time is spent and in about
// a second, whether a commit can be installed at all: it looks each package up on the indexes
// and picks the exact wheel file pip or uv would install on this interpreter and platform.
// Its answer is the resolve action's output; the environment action installs exactly those
// files, and its key holds their URLs and digests.

// resolveOutput is the output name of a resolve action (JSON resolution).
const resolveOutput = "resolution"

// resolution is what the preflight found.
type resolution struct {
	Files []artifact.ResolvedFile `json:"files"`
	// Missing names the project when it has no wheel and fallback = "source" lets the
	// environment be built from the commit's source instead.
	Missing []string `json:"missing,omitempty"`
	// Why says, for each missing package, what the index had instead.
	Why []string `json:"why,omitempty"`
}

// Retries of one index page. Three tries, one and three seconds apart, ride out a dropped
// connection or a CDN hiccup; an index that is down longer fails the action transiently and
// the next build asks again.
var pageRetryDelays = []time.Duration{time.Second, 3 * time.Second}

func (c *Config) prepareResolve(ctx context.Context, in *engine.Inputs, commit *engine.Action, side artifact.Side) (*engine.Work, error) {
	_, sp, py, err := c.side(ctx, in, commit, side)
	if err != nil {
		return nil, err
	}
	tags := supportedTags(py)
	lines := []engine.Line{
		engine.L("python", py.Version),
		engine.L("implementation", py.Implementation),
		engine.L("platform", platformTags(py)[0]),
		engine.LongLine("tags", []byte(strings.Join(tags, "\n"))),
	}
	for i, idx := range sp.indexes() {
		lines = append(lines, engine.L(fmt.Sprintf("index.%d", i), idx))
	}
	for i, idx := range sp.commitIndexes {
		lines = append(lines, engine.L(fmt.Sprintf("commit_index.%d", i), idx))
	}
	for i, u := range sp.wheelURLs {
		lines = append(lines, engine.L(fmt.Sprintf("wheel_url.%d", i), u))
	}
	if !sp.asOf.IsZero() {
		lines = append(lines, engine.L("as_of", asOfText(sp.asOf)))
	}
	reqs := sp.resolvable()
	for i, r := range reqs {
		lines = append(lines, engine.L(fmt.Sprintf("package.%d", i), r.Raw))
	}
	// Whether a missing wheel fails the preflight depends on these.
	lines = append(lines, engine.L("install", string(c.Install)), engine.L("fallback", string(c.Fallback)), engine.L("project", sp.project))
	return &engine.Work{
		RuleVersion: ruleVersion,
		Lines:       lines,
		Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
			return sp.runResolve(ctx, x, reqs, rankTags(tags), py)
		},
		// Beyond the config (its files stamped as they are read) and the commit's facts, the
		// key holds the interpreter found: a machine fact (machine.go).
		Recordable: true,
		Machine:    machineFacts(sp.python, py, "", nil),
	}, nil
}

func (sp *spec) runResolve(ctx context.Context, x *engine.Exec, reqs []requirement, ranks tagRanks, py *pythonInfo) (*engine.Result, error) {
	var res resolution
	var problems []string
	requests := int64(0)
	for _, r := range reqs {
		file, why, paged, n, err := resolveOne(ctx, x.Log, sp.indexesFor(r), sp.cutoffFor(r), r, ranks, py)
		requests += n
		if err == nil && file == nil && !paged && r.Name == sp.project && len(sp.wheelURLs) > 0 {
			// No index has a page for the project: the commit may be of the era whose wheel
			// was uploaded alone (direct.go).
			var whyDirect string
			file, whyDirect, n, err = headWheel(ctx, x.Log, sp.wheelURLs, r, ranks)
			requests += n
			why += "; " + whyDirect
		}
		if err != nil {
			var ie *indexError
			if errors.As(err, &ie) || ctx.Err() != nil {
				return engine.Transient("index_unreachable", "The package index could not be read: %s.", strings.TrimSuffix(err.Error(), ".")), nil
			}
			return nil, err
		}
		if file == nil {
			fmt.Fprintf(x.Log, "no wheel for %s: %s\n", r.Raw, why)
			if sp.Install == InstallWheel && sp.Fallback == FallbackSource && r.Name == sp.project {
				res.Missing = append(res.Missing, r.Name)
				res.Why = append(res.Why, r.Raw+": "+why)
				continue
			}
			problems = append(problems, fmt.Sprintf("%s: %s", r.Raw, why))
			continue
		}
		if file.Direct {
			fmt.Fprintf(x.Log, "%s -> %s (direct URL: no index page, no digest)\n", r.Raw, file.URL)
		} else {
			fmt.Fprintf(x.Log, "%s -> %s (sha256 %s)\n", r.Raw, file.URL, orNone(file.SHA256))
		}
		res.Files = append(res.Files, *file)
	}
	counters := map[string]int64{"index_requests": requests}
	if len(problems) > 0 {
		r := engine.Failed("no_wheel", "No wheel matches Python %s on %s for %s.", py.Version, platformTags(py)[0], strings.Join(problems, "; "))
		r.Counters = counters
		return r, nil
	}
	out, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	r := engine.OK(map[string][]byte{resolveOutput: out}, nil)
	r.Counters = counters
	return r, nil
}

// retryIndex calls try until it succeeds, fails with something other than an indexError, or
// the pageRetryDelays are spent, waiting them out between tries. It returns how many tries
// (requests) it made.
func retryIndex(ctx context.Context, log io.Writer, try func() error) (int64, error) {
	for attempt := 0; ; attempt++ {
		err := try()
		var ie *indexError
		if err == nil || !errors.As(err, &ie) || attempt >= len(pageRetryDelays) {
			return int64(attempt + 1), err
		}
		fmt.Fprintf(log, "retrying: %s\n", err)
		select {
		case <-ctx.Done():
			return int64(attempt + 1), ctx.Err()
		case <-time.After(pageRetryDelays[attempt]):
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "not given by the index"
	}
	return s
}

// resolveOne finds the file for one requirement. The first index that has a page for the
// package decides; a nil file with a reason means no wheel there fits, and paged says whether
// any index had a page. Files uploaded after cutoff, unless it is zero, do not count
// (asof.go). n counts requests.
func resolveOne(ctx context.Context, log io.Writer, indexes []string, cutoff time.Time, r requirement, ranks tagRanks, py *pythonInfo) (file *artifact.ResolvedFile, why string, paged bool, n int64, err error) {
	for _, idx := range indexes {
		var files []indexFile
		var found bool
		tries, err := retryIndex(ctx, log, func() (err error) {
			files, found, err = fetchProject(ctx, idx, r.Name)
			return err
		})
		n += tries
		if err != nil {
			return nil, "", false, n, err
		}
		if !found {
			fmt.Fprintf(log, "%s has no page for %s\n", idx, r.Name)
			continue
		}
		var dated string
		if !cutoff.IsZero() {
			var newer, undated int
			files, newer, undated = datedFiles(files, cutoff)
			if newer+undated > 0 {
				dated = fmt.Sprintf(" (and %d files uploaded after %s, %d without an upload time, left out by resolve_as_of)", newer, asOfText(cutoff), undated)
				fmt.Fprintf(log, "%s:%s\n", projectURL(idx, r.Name), dated)
			}
		}
		f, why := chooseWheel(files, r, ranks, py)
		if f == nil {
			return nil, fmt.Sprintf("%s lists %s%s", projectURL(idx, r.Name), why, dated), true, n, nil
		}
		return f, "", true, n, nil
	}
	return nil, "no index has it (looked in " + strings.Join(indexes, ", ") + ")", false, n, nil
}

// chooseWheel picks the file pip would install: the highest version that satisfies the
// specifiers (final releases first, pre-releases only when the specifiers name one or nothing
// else fits), then the most specific compatible tag. Yanked files count only for an exact
// "==" pin. When nothing fits, the reason says what the page had.
func chooseWheel(files []indexFile, r requirement, ranks tagRanks, py *pythonInfo) (*artifact.ResolvedFile, string) {
	pyv, _ := parseVersion(py.Version)
	type candidate struct {
		file    indexFile
		version pyVersion
		rank    int
	}
	var cands []candidate
	var sdists, otherTags, wrongPython, wrongVersion, yanked int
	exactPin := len(r.Spec) == 1 && r.Spec[0].op == "==" && !r.Spec[0].wildcard
	for _, f := range files {
		if !strings.HasSuffix(f.Filename, ".whl") {
			if strings.HasSuffix(f.Filename, ".tar.gz") || strings.HasSuffix(f.Filename, ".zip") {
				sdists++
			}
			continue
		}
		w, err := parseWheelName(f.Filename)
		if err != nil || w.Name != r.Name {
			continue
		}
		v, err := parseVersion(w.Version)
		if err != nil {
			continue
		}
		if !r.Spec.contains(v) {
			wrongVersion++
			continue
		}
		if f.Yanked && !exactPin {
			yanked++
			continue
		}
		if f.RequiresPython != "" {
			if spec, err := parseSpecifiers(f.RequiresPython); err == nil && !spec.contains(pyv) {
				wrongPython++
				continue
			}
		}
		rank := ranks.rank(w)
		if rank < 0 {
			otherTags++
			continue
		}
		cands = append(cands, candidate{f, v, rank})
	}
	if !r.Spec.allowsPrereleases() {
		final := slices.DeleteFunc(slices.Clone(cands), func(c candidate) bool { return c.version.isPrerelease() })
		if len(final) > 0 {
			cands = final
		}
	}
	if len(cands) == 0 {
		var parts []string
		add := func(n int, one, many string) {
			switch {
			case n == 1:
				parts = append(parts, "1 "+one)
			case n > 1:
				parts = append(parts, fmt.Sprintf("%d %s", n, many))
			}
		}
		add(otherTags, "wheel for another platform or Python", "wheels for other platforms or Pythons")
		add(wrongPython, "wheel that requires another Python", "wheels that require another Python")
		add(wrongVersion, "wheel of a version outside "+orAny(r.Spec.String()), "wheels of versions outside "+orAny(r.Spec.String()))
		add(yanked, "yanked wheel", "yanked wheels")
		add(sdists, "source distribution (not a wheel)", "source distributions (not wheels)")
		if len(parts) == 0 {
			return nil, "no files"
		}
		return nil, strings.Join(parts, ", ")
	}
	best := cands[0]
	for _, c := range cands[1:] {
		if cmp := c.version.compare(best.version); cmp > 0 || cmp == 0 && c.rank < best.rank {
			best = c
		}
	}
	return &artifact.ResolvedFile{Package: r.Name, Version: best.version.String(), URL: best.file.URL, SHA256: best.file.SHA256}, ""
}

func orAny(s string) string {
	if s == "" {
		return "any version"
	}
	return s
}

// commitFacts reads the facts of the side's commit from the commit action's output.
func commitFacts(in *engine.Inputs, commit *engine.Action) (*artifact.CommitFacts, error) {
	var f artifact.CommitFacts
	if err := in.DecodeOutput(commit, artifact.CommitOutput, &f); err != nil {
		return nil, fmt.Errorf("reading the facts of %s: %w", commit.ID, err)
	}
	return &f, nil
}
