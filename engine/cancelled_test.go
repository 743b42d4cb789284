package engine

import (
	"context"
	"testing"
)

// TestAsCancelled: a failure during a cancelled build becomes a transient "cancelled" one,
// said once: a rule's own "cancelled" result, passed up through the executor and the build,
// is not prefixed again at each.
func TestAsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ok := &Result{Status: StatusOK}
	if got := asCancelled(ctx, ok); got != ok {
		t.Errorf("a success became %+v", got)
	}
	failed := &Result{Status: StatusFailed, Class: "test_failed", Message: "exit 1"}
	if got := asCancelled(context.Background(), failed); got != failed {
		t.Errorf("a failure outside a cancellation became %+v", got)
	}
	got := asCancelled(ctx, asCancelled(ctx, failed))
	if got.Class != "cancelled" || !got.Transient || got.Message != "cancelled: exit 1" {
		t.Errorf("cancelled twice: %+v", got)
	}
	rules := Transient("cancelled", "The measurement was cancelled during the base run 2.")
	if got := asCancelled(ctx, rules); got.Message != rules.Message {
		t.Errorf("a rule's cancellation became %q", got.Message)
	}
}
