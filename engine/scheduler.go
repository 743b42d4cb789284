package engine

import (
	"context"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/isobench/isobench/cache"
)

// The scheduler walks the action graph in dependency order: a ready queue served by a fixed
// pool of workers, with all shared state under one mutex. Two walks use it, one per purpose:
// a build (build.go) executes and stores, an inspection (inspect.go, for status and why)
// only says what a build would do. Both decide each action the same way first (decide.go).

// Options configure a build (or, with Inspect, a dry walk for status and why).
type Options struct {
	Store     *cache.Store
	Workspace *Workspace
	UserCache string
	Jobs      int   // worker pool size; default the number of cores
	CPUSlots  int   // CPU slots for actions that ask for them; default Jobs
	GPUs      []int // GPU device indices this build may use
	Pools     map[string]int
	KeepGoing bool
	// Rerun executes actions whose label matches again; the previous result stays in history.
	Rerun []Pattern
	// RetryFailed executes actions whose cached result is a deterministic failure again.
	RetryFailed bool
	// Inspect prepares actions and looks them up without executing anything (inspect.go).
	Inspect bool
	Handler Handler
	// DebugKeys, when set, receives every key description (ISOBENCH_DEBUG=keys).
	DebugKeys io.Writer
	// Remote, when set, is a cache shared with other machines (remote.go): asked on a local
	// miss, and given every result stored.
	Remote Remote
	// Executor, when set, runs the actions it accepts elsewhere (executor.go); nil runs
	// everything here.
	Executor Executor
}

// A Visit is what one walk of the graph learned about an action: its key and description,
// its Outcome when it finished, or why it has none (stale when only inspecting, blocked).
type Visit struct {
	Action  *Action
	Key     cache.Digest
	Desc    string
	Outcome *Outcome // nil when the action did not finish (stale in Inspect mode, blocked, not run)
	Stale   bool     // Inspect: no usable cached result
	Reason  string   // why it is stale or blocked
	Err     error    // Prepare failed

	refresh *refresh // replayed, but must be made again before a dependent executes
	// recordable: the action's Work was Recordable, so a record may vouch for its key; with
	// Watch, only once watched holds the stamps that vouch for StillValid's answer.
	recordable bool
	watch      bool
	watched    []Stamp
	machine    map[string]string
}

// vouched reports whether a record may stand for the visit: its work was recordable and, if
// it watches files, they were stamped while its result stood.
func (v *Visit) vouched() bool {
	return v != nil && v.recordable && (!v.watch || v.watched != nil)
}

// Run walks the actions reachable from roots: it builds them, or with opt.Inspect only
// inspects them. It returns the summary and every visit. The only error it returns is a
// cache failure; action failures are in the summary.
func Run(ctx context.Context, roots []*Action, opt Options) (*Summary, map[*Action]*Visit, error) {
	if opt.Jobs <= 0 {
		opt.Jobs = runtime.NumCPU()
	}
	if opt.CPUSlots <= 0 {
		opt.CPUSlots = opt.Jobs
	}
	if opt.Handler == nil {
		opt.Handler = Handlers{}
	}
	if opt.DebugKeys != nil {
		// Workers print descriptions concurrently; each must come out whole.
		opt.DebugKeys = &syncWriter{w: opt.DebugKeys}
	}
	if opt.Inspect {
		return inspect(ctx, roots, opt)
	}
	SweepScratch() // what a killed build left behind
	return build(ctx, roots, opt)
}

// scheduler is the state both walks share: the ready queue, the visits so far and the keys
// in flight, under one mutex.
type scheduler struct {
	opt   Options
	start time.Time

	mu        sync.Mutex
	cond      *sync.Cond
	ready     []*Action
	waiting   map[*Action]int // unfinished dependencies
	users     map[*Action][]*Action
	visits    map[*Action]*Visit
	remaining int
	stopped   bool
	flights   map[cache.Digest]*flight
	summary   Summary
}

func newScheduler(all []*Action, opt Options) *scheduler {
	s := &scheduler{
		opt:       opt,
		start:     time.Now(),
		waiting:   map[*Action]int{},
		users:     map[*Action][]*Action{},
		visits:    map[*Action]*Visit{},
		flights:   map[cache.Digest]*flight{},
		remaining: len(all),
	}
	s.cond = sync.NewCond(&s.mu)
	for _, a := range all {
		s.waiting[a] = len(a.Deps)
		for _, d := range a.Deps {
			s.users[d] = append(s.users[d], a)
		}
		if len(a.Deps) == 0 {
			s.ready = append(s.ready, a)
		}
	}
	return s
}

// walk serves the ready queue with opt.Jobs workers until every action is visited, the walk
// is stopped, or ctx is done. Each action is decided first; process takes it from its
// decision to its final Visit (the decision's own), unless decide failed; finished is called
// with it under the mutex and says whether to stop. walk returns the first error decide or
// process returned, and leaves in the summary what the walk as a whole came to.
func (s *scheduler) walk(ctx context.Context, process func(context.Context, *Action, *decision) error, finished func(*Action, *Visit) (stop bool)) error {
	stopWake := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.stopped = true
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stopWake()

	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for i := 0; i < s.opt.Jobs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			entries := s.opt.Store.Reader() // one read transaction for this worker's lookups
			defer entries.Close()
			for a := s.next(); a != nil; a = s.next() {
				d, err := s.decide(ctx, a, entries)
				if err == nil {
					err = process(ctx, a, d)
				}
				if d.flight != nil {
					d.flight.land() // the Visit is final: the actions with the same key may share it
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
				}
				s.finish(a, d.visit, finished)
			}
		}()
	}
	wg.Wait()

	s.summary.NotRun = s.remaining
	s.summary.Interrupted = ctx.Err() != nil || s.remaining > 0
	s.summary.Seconds = time.Since(s.start).Seconds()
	return firstErr
}

// next returns the next ready action, or nil when there is nothing left to do.
func (s *scheduler) next() *Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.ready) == 0 && !s.stopped && s.remaining > 0 {
		s.cond.Wait()
	}
	if s.stopped || len(s.ready) == 0 {
		return nil
	}
	a := s.ready[0]
	s.ready = s.ready[1:]
	return a
}

// finish records a visit and releases the actions waiting on it.
func (s *scheduler) finish(a *Action, v *Visit, finished func(*Action, *Visit) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.visits[a] = v
	s.remaining--
	if finished(a, v) {
		s.stopped = true
	}
	for _, u := range s.users[a] {
		s.waiting[u]--
		if s.waiting[u] == 0 {
			s.ready = append(s.ready, u)
		}
	}
	s.cond.Broadcast()
}

// visit returns what the walk learned about a finished action.
func (s *scheduler) visit(a *Action) *Visit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.visits[a]
}

// hasUsers reports whether something in this walk depends on a. The users are fixed before
// the workers start, so no lock is needed.
func (s *scheduler) hasUsers(a *Action) bool { return len(s.users[a]) > 0 }

// syncWriter lets a rule write its log from several goroutines (stdout and stderr copiers).
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
