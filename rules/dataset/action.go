package dataset

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/isobench/isobench/engine"
)

// prepare returns the dataset action's Prepare. It reads only what the engine already holds
// about the inputs (statuses, keys, digests): decoding blobs and encoding files is Run's
// work, so `isobench status` stays cheap.
//
// The key lines name every input action's outcome and output digests (so a new measurement,
// or the same one failing differently, rebuilds the dataset, and an upstream rerun that
// changed nothing does not), its key and log (both end up in the records' provenance), the
// attributes that shape the files, and the isobench version written into them. The output
// directory is not in the key: it changes where files go, not what they hold, and
// StillValid makes the files appear wherever the directory now is.
func (c *Config) prepare(inputs []input) func(context.Context, *engine.Inputs) (*engine.Work, error) {
	return func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
		g := gather(in, inputs)
		dir := c.outputDir(in.Workspace)
		files := fileOutputs(c.Formats)
		watch := make([]string, len(files))
		for i, name := range files {
			watch[i] = fileIn(dir, name)
		}
		return &engine.Work{
			RuleVersion: RuleVersion,
			Lines:       c.lines(g),
			Needs:       engine.Needs{CPU: 1},
			Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
				return c.run(x, g, dir)
			},
			StillValid: func(o *engine.Outcome) bool { return filesMatch(dir, files, o) },
			Restore:    func(o *engine.Outcome, blobs engine.Blobs) error { return restoreFiles(dir, files, o, blobs) },
			// The key is the inputs' outcomes and the config; StillValid reads the files
			// alone, so their stamps vouch for its answer in a record.
			Recordable: true,
			Watch:      watch,
		}, nil
	}
}

func (c *Config) lines(g *gathered) []engine.Line {
	include := c.Include
	if len(include) == 0 {
		include = []string{"all"}
	}
	lines := []engine.Line{
		engine.L("dataset", c.Label),
		engine.L("isobench-version", Version()),
		engine.L("schema-version", SchemaVersion),
		engine.L("patterns", strings.Join(c.Benchmarks, ",")),
		engine.L("formats", joinFormats(c.Formats)),
		engine.L("include", strings.Join(include, ",")),
		engine.L("description", c.Description),
		engine.L("license", c.License),
		engine.L("pretty_name", c.PrettyName),
		engine.L("task_categories", strings.Join(c.TaskCategories, ",")),
		engine.L("split", c.Split),
		engine.L("config_name", c.ConfigName),
	}
	for _, b := range g.benchmarks {
		lines = append(lines, engine.L("benchmark."+b.label.String(), b.measure.ID))
	}
	for _, a := range g.actions {
		o, name := g.outcomes[a], lineName(a.ID)
		lines = append(lines,
			engine.L(name+".result", strings.TrimSpace(string(o.Status)+" "+o.Class)),
			engine.L(name+".key", o.Key),
		)
		if o.Message != "" {
			lines = append(lines, engine.L(name+".message", o.Message))
		}
		outs := map[string]string{}
		for k, v := range o.Outputs {
			outs[k] = string(v)
		}
		lines = append(lines, engine.MapLines(name+".out", outs)...)
		if len(o.Meta) > 0 {
			lines = append(lines, engine.LongLine(name+".meta", o.Meta))
		}
		if o.Log != "" {
			lines = append(lines, engine.L(name+".log", o.Log))
		}
		// A record's build time is the newest creation time of its inputs; it is part of the
		// output, so it is part of the key.
		if !o.Created.IsZero() {
			lines = append(lines, engine.L(name+".created", created(o.Created)))
		}
	}
	return lines
}

// run builds the records, encodes every format, and writes the files.
func (c *Config) run(x *engine.Exec, g *gathered, dir string) (*engine.Result, error) {
	records := make([]Record, 0, len(g.benchmarks))
	kept := map[string]bool{}
	for _, b := range g.benchmarks {
		src, err := g.load(x.Store, b)
		var invalid *invalidInput
		if errors.As(err, &invalid) {
			return engine.Failed("dataset_input_invalid", "%s", invalid.err), nil
		}
		if err != nil {
			return nil, err
		}
		r := buildRecord(src)
		if c.includes(&r) {
			records = append(records, r)
			kept[r.Benchmark] = true
		}
	}
	uniqueInstanceIDs(records)
	outputs := map[string][]byte{}
	var err error
	if outputs[OutputJSONL], err = encodeJSONL(records); err != nil {
		return nil, err
	}
	if c.writes(OutputParquet) {
		if outputs[OutputParquet], err = encodeParquet(records); err != nil {
			return nil, err
		}
	}
	outputs[OutputCard] = c.buildCard(records)
	if outputs[OutputManifest], err = c.buildManifest(g, records, kept, outputs); err != nil {
		return nil, err
	}
	if err := writeFiles(dir, outputs, fileOutputs(c.Formats)); err != nil {
		return nil, err
	}
	fmt.Fprintf(x.Log, "wrote %d of %d records to %s\n", len(records), len(g.benchmarks), dir)
	for _, o := range outcomes(records) {
		if o.count > 0 {
			fmt.Fprintf(x.Log, "  %-24s %d\n", o.name, o.count)
		}
	}
	meta := map[string]any{"records": len(records), "benchmarks": len(g.benchmarks), "dir": dir}
	res := engine.OK(outputs, meta)
	res.Counters = map[string]int64{"dataset_records": int64(len(records))}
	return res, nil
}
