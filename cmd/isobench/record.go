package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
)

// A build records what it saw (engine.Record) under a name that fingerprints its request,
// so that the next identical request that only has to prove nothing changed answers from
// the record. The request is everything that can change what loading and planning make of
// the workspace besides the files the record stamps: the command and its arguments (flags,
// patterns, --var), the directory it runs in and the workspace root found from it, the
// environment variables isobench reads (ISOBENCH_*, which holds ISOBENCH_VAR_<name>, and
// those that place the per-user cache), and the binary itself (its path, size, times and
// version, so that a rebuilt isobench never trusts an older one's record).

// requestEnv are the variables outside ISOBENCH_* that change where isobench looks.
var requestEnv = []string{"HOME", "XDG_CACHE_HOME"}

// request is one invocation's record: its fingerprint and where its record is kept.
type request struct {
	id   string
	path string
}

// newRequest fingerprints command with its arguments; without a workspace to record (the
// full path then says why) it is the zero request, which has no record.
func (a *app) newRequest(command string, args []string) (req request) {
	dir := a.chdir
	if dir == "" {
		dir = "."
	}
	cwd, err := filepath.Abs(dir)
	if err != nil {
		return req
	}
	root, err := engine.FindRoot(cwd)
	if err != nil {
		return req
	}
	exe, err := os.Executable()
	if err != nil {
		return req
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return req
	}
	h := sha256.New()
	fmt.Fprintf(h, "binary %s %d %d %s\n", exe, fi.Size(), fi.ModTime().UnixNano(), Version())
	fmt.Fprintf(h, "root %q\ncwd %q\ncommand %s\n", root, cwd, command)
	for _, arg := range args {
		fmt.Fprintf(h, "arg %q\n", arg)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		// ISOBENCH_DEBUG only says what to print; with keys, no record is used at all.
		if strings.HasPrefix(name, "ISOBENCH_") && name != "ISOBENCH_DEBUG" || slices.Contains(requestEnv, name) {
			env = append(env, kv)
		}
	}
	slices.Sort(env)
	for _, kv := range env {
		fmt.Fprintf(h, "env %q\n", kv)
	}
	id := hex.EncodeToString(h.Sum(nil))
	return request{id: id, path: filepath.Join(engine.UserCacheDir(), "records", id)}
}

// readRecord returns the request's record of what when there is one and every input it
// stamped is unchanged; nil otherwise.
func (r request) readRecord(of string) *engine.Record {
	if r.id == "" {
		return nil
	}
	rec, err := engine.ReadRecord(r.path)
	if err != nil || rec.Request != r.id || rec.Of != of || !rec.Unchanged() || !rec.MachineUnchanged(machineFact) {
		return nil
	}
	return rec
}

// machineFact asks the kinds for a fact of the machine a recorded key holds (the hardware
// class): the probe runs again on every answer from a record, so another GPU, driver or
// interpreter sends the command down the full path.
func machineFact(name string) (string, bool) {
	for _, k := range kindsWith[engine.MachineProber]() {
		if v, ok := k.MachineFact(name); ok {
			return v, true
		}
	}
	return "", false
}

// write keeps rec as the request's record; with rec nil it removes the request's record, as
// a build that cannot be recorded leaves none behind.
func (r request) write(rec *engine.Record) {
	if r.id == "" {
		return
	}
	if rec == nil {
		os.Remove(r.path)
		return
	}
	rec.Request = r.id
	// A record is only an optimisation: failing to write one costs the next build its speed.
	if rec.Write(r.path) == nil {
		pruneRecords(filepath.Dir(r.path), r.path)
	}
}

// recordMaxAge is how long a record may go unused before a new record's write removes it.
// A build record's time is refreshed at most hourly when it is used (engine.touchInterval),
// a status or validate record's never: at worst such a request takes the full path once a
// month. Requests come and go (patterns, flags, variables), and a record of 100,000 targets
// is about 12 MB.
const recordMaxAge = 30 * 24 * time.Hour

// pruneRecords removes the records in dir older than recordMaxAge, but keep.
func pruneRecords(dir, keep string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if info, err := e.Info(); err == nil && p != keep && time.Since(info.ModTime()) > recordMaxAge {
			os.Remove(p)
		}
	}
}

// openRecorded opens the store a record names, as the full path would find it: the
// workspace's cache directory from the recorded settings must still be the recorded one and
// hold a store (a store that is gone is for the full path to make again).
func (a *app) openRecorded(rec *engine.Record, owner string) bool {
	ws := rec.Workspace()
	if ws.CacheDir(a.cacheDir) != rec.Store {
		return false
	}
	if !cache.Exists(rec.Store) {
		return false
	}
	// Without marks of use to write, reading is all: a shared lock, beside status and other
	// such builds.
	store, err := cache.Open(rec.Store, cache.Options{Owner: owner, ReadOnly: !rec.TouchDue()})
	if err != nil {
		return false // the full path opens it again and says why
	}
	a.store = store
	gen, err := a.store.Generation()
	if err != nil || gen != rec.Generation {
		a.close()
		return false
	}
	a.ws = ws
	return true
}

// answered says, under ISOBENCH_DEBUG=record, that a command was answered from its record.
func (a *app) answered() {
	if debugging("record") {
		fmt.Fprintln(a.stderr, "isobench: answered from the record of the last identical request")
	}
}

// unrecorded says, under ISOBENCH_DEBUG=record, why a command left no record.
func (a *app) unrecorded(why error) {
	if debugging("record") {
		fmt.Fprintf(a.stderr, "isobench: not recorded: %s\n", why)
	}
}

// inspectRecorded is status's inspect, answered from the record of the last identical
// status when nothing it read changed, and recorded when its states may be. Answered from
// the record, it plans nothing: what the command shows under a target beyond its state (a
// serving benchmark's server logs) is in its Notes, which the record keeps.
func (a *app) inspectRecorded(args, patterns []string) ([]engine.TargetState, error) {
	req := a.newRequest("status", args)
	if debugKeys() == nil {
		if rec := req.readRecord(engine.RecordStatus); rec != nil && a.openRecorded(rec, "isobench status") {
			if states, err := rec.States(); err == nil {
				a.answered()
				return states, nil
			}
			a.close()
		}
	}
	states, err := a.inspect(patterns) // status.go
	if err != nil {
		return states, err
	}
	var rec *engine.Record
	if a.remoteURL() == "" { // a remote cache may answer what the store lacks
		if rec, err = engine.NewStatusRecord(a.ws, states, a.store); err != nil {
			a.unrecorded(err)
		}
	}
	req.write(rec)
	return states, nil
}

// validateFromRecord answers validate from the record of the last identical validation when
// nothing it read changed.
func (a *app) validateFromRecord(req request) bool {
	rec := req.readRecord(engine.RecordValidate)
	if rec == nil {
		return false
	}
	a.answered()
	printValid(a.stdout, rec.Root, rec.Targets, rec.Planned)
	return true
}

// validated prints what validate found in the loaded workspace and records it as req's.
func (a *app) validated(req request, targets, planned int) {
	printValid(a.stdout, a.ws.Root, targets, planned)
	rec, _ := engine.NewValidateRecord(a.ws, targets, planned) // nil when it cannot be made
	req.write(rec)
}

func printValid(w io.Writer, root string, targets, planned int) {
	fmt.Fprintf(w, "%s: %d targets, %d actions: ok\n", root, targets, planned)
}
