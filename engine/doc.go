// Package engine turns declared targets into cached, content-addressed actions and runs
// them, replaying what is unchanged and executing only what is stale. It knows no particular
// target kind and no vendor SDK: kinds plug in through small interfaces, and results are
// kept by package cache.
//
// # From HCL to results
//
// Load reads isobench.hcl and every BUILD.hcl below it, checks each block against its kind's
// Schema and evaluates the attributes that do not mention `commit`; those that do are kept as
// expressions, evaluated per commit. A kind that implements Decoder turns each of its targets
// into a typed config, once, kept in Target.Config. Every mistake is an hcl.Diagnostic with a
// source range; the command renders them.
//
// A Planner asks each target's Kind for the Action standing for it. Actions with the same ID
// are one action, so work that several targets share runs once. Run walks the actions with a
// ready queue, a fixed worker pool and resource pools (CPU slots, GPU devices, named
// semaphores), all shared state under one mutex. For each action it calls Prepare, which
// reads the Outcomes of the dependencies and returns Work: the key lines and how to run. The
// key is the SHA-256 of the description built from those lines (key.go). A stored entry under
// the key is replayed; otherwise Work.Run executes, here or through an Executor, and returns a
// Result, which is stored (unless transient) and becomes the Outcome dependents see. What the
// walk learned about each action is a Visit; Inspect makes the same walk without executing,
// for `status` and `why`.
//
// A build whose every key follows from what a record can check (Work.Recordable) is recorded
// (Record, record.go): the stamps of every file and directory loading read, the store's
// generation, each action's key and outcome. The next identical request answers from the
// record (Replay) while every stamp is unchanged and the generation is the same, loading,
// planning and preparing nothing; anything else takes the path above.
//
// # Invariants
//
//   - A key describes the work and nothing else: every input the result depends on, among
//     them the output digests of the actions it reads, and never a secret or a scheduling
//     hint. Because keys read output digests, an upstream action that runs again with the
//     same output leaves its dependents cached.
//   - Prepare is cheap: it computes key lines from local files and dependency outputs and
//     executes nothing heavy. It runs in status too, where Inputs.Building is false and it
//     must not fetch; while building, resolving a Git ref may fetch once per repository.
//   - A transient failure (Result.Transient, a Go error from Run, cancellation) is never
//     stored; a deterministic failure or a skip is stored with its class.
//   - One key, one execution per build: an action whose key is already running waits for it
//     and shares its Outcome.
//   - An action whose dependency failed is blocked by that root cause, named once, unless it
//     accepts failed dependencies (Action.AcceptFailedDeps). One that does and fails with a
//     dependency's failure says so (Result.BlockedBy): stored as a failure, reported blocked.
//   - A result is committed to the store as soon as it is made, so a build that is killed
//     keeps what it finished.
//
// # Vocabulary
//
// Kind means only a target kind. An action's sort of work is its Mnemonic ("measure" for a
// benchmark target), still written as "kind" in JSON. Result is what Run returns; Outcome is
// a finished result as dependents see it, outputs named by digest; Visit is what one walk
// learned about an action.
//
// # Extending
//
// A kind implements Kind and, where it needs them, the optional abilities Decoder, PerCommit,
// BuildObserver, StoreOwner and Reporter (abilities.go); the command asks for those instead of
// naming a kind. Classifier is asked by another kind (a commit search of a generator), and an
// action whose parts are known only when it runs keeps them in Exec.Memo (memo.go). An
// executor implements Executor; its remote half rebuilds the same action with FindAction,
// NewInputs and CheckDescription and runs it with RunHere (remote_exec.go).
// docs/ARCHITECTURE.md has the steps for both.
package engine
