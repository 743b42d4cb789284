package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/isobench/isobench/cache"
)

// A Record is what a build saw and how it ended, kept so that the next build of the same
// request that only has to prove nothing changed can answer without loading HCL, planning,
// preparing or decoding a single entry: ninja's .ninja_log and the Go command's action cache
// do the same. It holds
//
//   - the stamps of every input loading and evaluation read (stamp.go): isobench.hcl, each
//     BUILD.hcl, each directory searched for them, each file read through file() or
//     templatefile(), late ones included, and of the files the actions watch (Work.Watch);
//   - the machine facts the keys hold (Work.Machine);
//   - where the store is and its generation (cache/generation.go) when the build ended;
//   - each action the build walked, in order, with its key and how it ended.
//
// The request itself (the command line, the working directory, the environment variables
// isobench reads, the binary) is the caller's to fingerprint: it names the record's file.
//
// A build may be recorded only when every action's Work was Recordable (its key follows from
// the HCL, its dependencies' outputs and the watched files and machine facts alone), every
// action ended ok or skipped, nothing was transient, blocked or left not run. A later build
// answers from the record (Replay) only when every stamp is unchanged, every machine fact is
// as it was and the store's generation is the recorded one, which proves that every recorded
// entry is still there, as it was: then loading would give the same targets, planning the
// same actions, preparing the same keys, and the walk would replay the same entries.
// Anything else, and the caller takes the full path, which writes a new record. A record
// that does not parse or whose checksum fails is not trusted.
type Record struct {
	// Of says what was recorded: RecordBuild, RecordStatus (record_inspect.go) or
	// RecordValidate.
	Of         string   `json:"of"`
	Request    string   `json:"request"`
	Root       string   `json:"root"`
	Settings   Settings `json:"settings"`
	Store      string   `json:"store"`
	Generation string   `json:"generation"`
	Inputs     []Stamp  `json:"inputs"`
	// Machine holds the facts of the machine the recorded keys hold (Work.Machine), by name.
	Machine map[string]string `json:"machine,omitempty"`
	// Rows are the result table the build ended with (engine.ResultTabler), as a build that
	// replays every action would print it; an empty table stays empty, not null, in --json.
	Rows []ResultRow `json:"rows"`
	// Targets and Planned count what the request selected and planned.
	Targets int `json:"targets"`
	Planned int `json:"planned"`
	// Actions are a build's actions; a status record keeps each target's state in the same
	// form. Count is how many there are, known before they are parsed.
	Actions []RecordedAction `json:"-"`
	Count   int              `json:"count"`

	path    string    // where ReadRecord found it
	touched time.Time // when its keys were last marked used: the file's modification time
	// lines are the action lines ReadRecord has not parsed yet: a record whose inputs
	// changed is dropped before they are.
	lines string
}

// touchInterval is how old the last mark of a recorded build's keys as used must be before a
// build answered from the record marks them again, as the Go command's cache refreshes an
// entry's time only when it is an hour old (cmd/go/internal/cache, mtimeInterval). Marking
// 10,000 keys is a synced write that Badger then flushes to a table of its own when the store
// closes, which would be most of a null build's time. gc counts ages in days (30 by default)
// and always keeps what the latest build of each action used (the manifests), so an hour's
// imprecision changes nothing it keeps.
const touchInterval = time.Hour

// TouchDue reports whether answering from the record would mark its keys used, a write:
// without one, the store may be opened read-only.
func (r *Record) TouchDue() bool {
	return r.Of == RecordBuild && time.Since(r.touched) >= touchInterval
}

// What a record is of.
const (
	RecordBuild    = "build"
	RecordStatus   = "status"
	RecordValidate = "validate"
)

// RecordedAction is one action of a recorded build: what its finish event said.
type RecordedAction struct {
	ID, Label, Mnemonic string
	Key                 cache.Digest
	Status              Status
	Class, Message      string
	Notes               []string // a status record's TargetState.Notes
}

// recordFormat names the layout below; a record of another is not read.
const recordFormat = "isobench-record 2"

// ErrRecordStale is returned by Replay when the store no longer holds what the record names.
var ErrRecordStale = errors.New("the store changed since the build was recorded")

// NewRecord makes the record of a finished build of the actions all (the closure of its
// roots, in order) from its visits, or says why it cannot be recorded. It reads the store's
// generation, so call it after the build has written everything it writes.
func NewRecord(ws *Workspace, targets int, all []*Action, visits map[*Action]*Visit, store *cache.Store) (*Record, error) {
	if ws == nil || store == nil {
		return nil, errors.New("no workspace or store")
	}
	inputs, ok := ws.inputs.list()
	if !ok {
		return nil, errors.New("some input could not be stamped")
	}
	r := &Record{Of: RecordBuild, Root: ws.Root, Settings: ws.Settings, Inputs: inputs, Targets: targets, Planned: len(all),
		Actions: make([]RecordedAction, 0, len(all))}
	for _, a := range all {
		v := visits[a]
		switch {
		case v == nil || v.Outcome == nil || v.Err != nil || v.Key == "":
			return nil, fmt.Errorf("%s did not finish", a.ID)
		case !v.vouched():
			return nil, fmt.Errorf("the key of %s depends on more than a record can check", a.ID)
		case v.Outcome.transient || v.Outcome.BlockedBy != "" || v.Outcome.Status != StatusOK && v.Outcome.Status != StatusSkipped:
			return nil, fmt.Errorf("%s ended %s", a.ID, v.Outcome.Status)
		}
		if err := r.vouchFor(v); err != nil {
			return nil, err
		}
		r.Actions = append(r.Actions, RecordedAction{ID: a.ID, Label: a.Label.String(), Mnemonic: a.Mnemonic, Key: v.Key,
			Status: v.Outcome.Status, Class: v.Outcome.Class, Message: v.Outcome.Message})
	}
	if err := r.stampStore(store); err != nil {
		return nil, err
	}
	return r, nil
}

// vouchFor adds what a recorded visit stands on beyond the loaded files: the stamps of what
// its StillValid read and the machine facts its key holds. Two actions that saw one fact
// differently (a probe that changed during the build) cannot be recorded.
func (r *Record) vouchFor(v *Visit) error {
	r.Inputs = append(r.Inputs, v.watched...)
	for name, value := range v.machine {
		if r.Machine == nil {
			r.Machine = map[string]string{}
		}
		if old, ok := r.Machine[name]; ok && old != value {
			return fmt.Errorf("the machine fact %s changed during the build", name)
		}
		r.Machine[name] = value
	}
	return nil
}

// MachineUnchanged reports whether every machine fact the record holds is as it was; fact
// asks for a fact now (ok false when no kind knows it).
func (r *Record) MachineUnchanged(fact func(name string) (value string, ok bool)) bool {
	for name, want := range r.Machine {
		if got, ok := fact(name); !ok || got != want {
			return false
		}
	}
	return true
}

// stampStore notes the store and its generation.
func (r *Record) stampStore(store *cache.Store) error {
	gen, err := store.Generation()
	if err != nil {
		return err
	}
	if gen == "" {
		return errors.New("the store has no generation")
	}
	r.Store, r.Generation = store.Dir(), gen
	return nil
}

// Unchanged reports whether every input still looks as it did when the build read it.
func (r *Record) Unchanged() bool {
	var changed atomic.Bool
	onEveryCPU(len(r.Inputs), func(i int) { // load.go
		if !changed.Load() && !r.Inputs[i].Unchanged() {
			changed.Store(true)
		}
	})
	return !changed.Load()
}

// Workspace is the little of the recorded workspace a build answered from its record needs:
// its root and settings (for its ID and cache directory).
func (r *Record) Workspace() *Workspace {
	return &Workspace{Root: r.Root, Settings: r.Settings, Targets: map[Label]*Target{}, Kinds: map[string]Kind{}, Files: map[string][]byte{}}
}

// Replay answers a build from the record: it checks that the store in opt.Store is at the
// recorded generation (ErrRecordStale when not, before anything is emitted), then emits the
// finish event of each recorded action as a walk that replays it would, and marks the keys
// used as that walk would, when the last mark is older than touchInterval. Nothing is
// loaded, prepared or decoded.
func Replay(_ context.Context, r *Record, opt Options) (*Summary, error) {
	start := time.Now()
	if opt.Handler == nil {
		opt.Handler = Handlers{}
	}
	if r.Of != RecordBuild {
		return nil, fmt.Errorf("a record of %s answers no build", r.Of)
	}
	gen, err := opt.Store.Generation()
	if err != nil {
		return nil, err
	}
	if gen != r.Generation {
		return nil, ErrRecordStale
	}
	if err := r.parseActions(); err != nil {
		return nil, err
	}
	SweepScratch() // what a killed build left behind, as Run does
	var s Summary
	for _, a := range r.Actions {
		ev := Event{Time: time.Now(), Type: "finish", ID: a.ID, Label: a.Label, Mnemonic: a.Mnemonic, Key: a.Key,
			Status: a.Status, Class: a.Class, Message: a.Message, Cached: true}
		s.record(ev)
		opt.Handler.Event(ev)
	}
	if r.TouchDue() { // at most hourly: the keys are gathered only then
		keys := make([]cache.Digest, len(r.Actions))
		for i, a := range r.Actions {
			keys[i] = a.Key
		}
		now := time.Now()
		if err := opt.Store.Touch(keys, now); err != nil {
			return nil, err
		}
		if r.path != "" {
			os.Chtimes(r.path, now, now) // best effort: at worst the next build marks them again
		}
	}
	s.Seconds = time.Since(start).Seconds()
	return &s, nil
}

// Write writes the record to path atomically: a reader finds the old record or the new one,
// and one torn by a crash fails its checksum.
func (r *Record) Write(path string) error {
	var b bytes.Buffer
	b.WriteString(recordFormat + "\n")
	r.Count = len(r.Actions)
	head, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b.Write(head)
	b.WriteByte('\n')
	for _, a := range r.Actions {
		for i, f := range []string{string(a.Key), a.Mnemonic, string(a.Status), a.ID, a.Label, a.Class, a.Message, strings.Join(a.Notes, "\n")} {
			if i > 0 {
				b.WriteByte('\t')
			}
			writeField(&b, f)
		}
		b.WriteByte('\n')
	}
	sum := sha256.Sum256(b.Bytes())
	b.WriteString("end " + hex.EncodeToString(sum[:]) + "\n")
	return WriteFileAtomic(path, b.Bytes())
}

// writeField writes a field as it is, or quoted when it holds a tab, a newline or starts
// with a quote.
func writeField(b *bytes.Buffer, f string) {
	if strings.ContainsAny(f, "\t\n\r") || strings.HasPrefix(f, `"`) {
		b.WriteString(strconv.Quote(f))
		return
	}
	b.WriteString(f)
}

func readField(f string) (string, error) {
	if strings.HasPrefix(f, `"`) {
		return strconv.Unquote(f)
	}
	return f, nil
}

// ReadRecord reads a record written by Write; any damage is an error.
func ReadRecord(path string) (*Record, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := string(data)
	body, trailer, ok := cutLastLine(text)
	if !ok || !strings.HasPrefix(trailer, "end ") {
		return nil, errors.New("the record is incomplete")
	}
	sum := sha256.Sum256(data[:len(body)])
	if trailer[len("end "):] != hex.EncodeToString(sum[:]) {
		return nil, errors.New("the record's checksum does not match")
	}
	format, rest, _ := strings.Cut(body, "\n")
	if format != recordFormat {
		return nil, fmt.Errorf("the record is %q, not %q", format, recordFormat)
	}
	head, rest, _ := strings.Cut(rest, "\n")
	r := &Record{path: path, touched: fi.ModTime(), lines: rest}
	if err := json.Unmarshal([]byte(head), r); err != nil {
		return nil, err
	}
	return r, nil
}

// parseActions parses the action lines ReadRecord left.
func (r *Record) parseActions() error {
	rest := r.lines
	if rest == "" {
		return nil
	}
	r.lines = ""
	r.Actions = make([]RecordedAction, 0, strings.Count(rest, "\n"))
	var fields [8]string
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		for i := range fields {
			var f string
			var ok bool
			var err error
			f, line, ok = strings.Cut(line, "\t")
			if ok != (i < len(fields)-1) {
				return errors.New("the record has a malformed action")
			}
			if fields[i], err = readField(f); err != nil {
				return err
			}
		}
		r.Actions = append(r.Actions, RecordedAction{Key: cache.Digest(fields[0]), Mnemonic: fields[1], Status: Status(fields[2]),
			ID: fields[3], Label: fields[4], Class: fields[5], Message: fields[6], Notes: splitNotes(fields[7])})
	}
	if len(r.Actions) != r.Count {
		return fmt.Errorf("the record holds %d actions of %d", len(r.Actions), r.Count)
	}
	return nil
}

// splitNotes is the inverse of joining notes with newlines.
func splitNotes(f string) []string {
	if f == "" {
		return nil
	}
	return strings.Split(f, "\n")
}

// cutLastLine splits text ending in a newline into what comes before its last line, and that
// line without its newline.
func cutLastLine(text string) (body, last string, ok bool) {
	if !strings.HasSuffix(text, "\n") {
		return "", "", false
	}
	i := strings.LastIndexByte(text[:len(text)-1], '\n')
	if i < 0 {
		return "", "", false
	}
	return text[:i+1], text[i+1 : len(text)-1], true
}
