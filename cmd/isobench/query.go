package main

import (
	"fmt"
	"strconv"

	"github.com/isobench/isobench/engine"
)

// cmdQuery lists the targets a pattern selects, with their kind and where they are declared.
func cmdQuery(a *app, args []string) error {
	fs := a.flags("query", true)
	patterns, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := a.load(); err != nil {
		return err
	}
	if len(patterns) == 0 {
		patterns = []string{"//..."}
	}
	labels, err := engine.SelectTargets(a.ws, patterns, a.pkg)
	if err != nil {
		return usageError{err.Error()}
	}
	for _, l := range labels {
		t := a.ws.Targets[l]
		fmt.Fprintf(a.stdout, "%-12s %-40s %s:%d\n", t.Kind, l, t.Range.Filename, t.Range.Start.Line)
	}
	return nil
}

// cmdGraph prints the actions a pattern plans, and their dependencies, as a Graphviz graph.
func cmdGraph(a *app, args []string) error {
	fs := a.flags("graph", true)
	patterns, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := a.load(); err != nil {
		return err
	}
	labels, roots, _, err := a.plan(patterns)
	if err != nil {
		return err
	}
	rootList := inOrder(labels, roots)
	fmt.Fprintln(a.stdout, "digraph isobench {\n  rankdir=LR;\n  node [shape=box, fontsize=10];")
	for _, act := range engine.Closure(rootList) {
		fmt.Fprintf(a.stdout, "  %s;\n", strconv.Quote(act.ID))
		for _, d := range act.Deps {
			fmt.Fprintf(a.stdout, "  %s -> %s;\n", strconv.Quote(d.ID), strconv.Quote(act.ID))
		}
	}
	fmt.Fprintln(a.stdout, "}")
	return nil
}
