package generator

import (
	"context"
	"sync"
	"time"
)

// A gate spaces the requests sent to one endpoint. Concurrency is the engine's business (a
// resource pool per endpoint); the rate is ours, because it is about when requests start, not
// how many run. Every generate action of a process that talks to the same endpoint shares the
// gate, whichever generator it belongs to: that is what the endpoint's limits count.
//
// Requests are spread evenly, one every minute/requests_per_minute, rather than let through
// in bursts: a burst of 60 at the top of the minute is what trips a provider's per-second
// limits. When the endpoint answers 429 with Retry-After, the gate is held shut until then for
// every action, not only the one that was told.
type gate struct {
	mu   sync.Mutex
	next time.Time // no request starts before this
}

var gates sync.Map // endpoint -> *gate

func gateFor(endpoint string) *gate {
	g, _ := gates.LoadOrStore(endpoint, &gate{})
	return g.(*gate)
}

// wait blocks until this request's turn. rpm <= 0 means no rate limit, though a hold from a
// Retry-After still applies.
func (g *gate) wait(ctx context.Context, rpm int) error {
	g.mu.Lock()
	now := time.Now()
	at := now
	if g.next.After(at) {
		at = g.next
	}
	if rpm > 0 {
		g.next = at.Add(time.Minute / time.Duration(rpm))
	}
	g.mu.Unlock()
	return sleep(ctx, time.Until(at))
}

// hold keeps every request to the endpoint from starting before until.
func (g *gate) hold(until time.Time) {
	g.mu.Lock()
	if until.After(g.next) {
		g.next = until
	}
	g.mu.Unlock()
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
