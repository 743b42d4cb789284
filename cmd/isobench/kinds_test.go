package main

import (
	"testing"

	"github.com/isobench/isobench/engine"
)

// Every kind of the binary decodes its targets into a typed config once, at load time; the
// engine keeps Decode optional only so that a test can register a small kind without one.
func TestEveryKindDecodes(t *testing.T) {
	for _, k := range kinds() {
		if _, ok := k.(engine.Decoder); !ok {
			t.Errorf("the %s kind does not implement engine.Decoder", k.Name())
		}
	}
	for _, e := range executors() {
		if e.Schema() == nil {
			t.Errorf("the executor %s has no schema", e.Name())
		}
	}
}
