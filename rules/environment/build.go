package environment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// The environment action builds one side's environment in the per-user env store, or finds it
// there. Its directory is named by a store key: the hash of everything the environment's
// contents depend on (interpreter, installer, resolved files, indexes, files, env, source
// tree, rule version), and nothing else. The action key adds what the directory does not
// hold: the commit and side it serves and the check. So a changed check reruns the check in
// the existing directory, and two specs, two sides or two workspaces that come to the same
// environment share one directory, built once.

// build is a prepared environment action.
type build struct {
	*spec
	py       *pythonInfo
	inst     *installer
	res      resolution
	mode     InstallMode // the fallback turns InstallWheel into InstallSource
	tree     string      // the side's tree hash, for source and pythonpath
	facts    *artifact.CommitFacts
	root     string // workspace root, to find a local repository
	storeKey string
	desc     string   // the store lines as text, kept in the directory's record
	secrets  []string // names of the variables passed from isobench's environment
	// cacheDirs maps variables to the shared cache directories of the target (cachedirs.go).
	cacheDirs map[string]string
}

func (c *Config) prepareBuild(ctx context.Context, in *engine.Inputs, commit, resolve *engine.Action, side artifact.Side) (*engine.Work, error) {
	facts, sp, py, err := c.side(ctx, in, commit, side)
	if err != nil {
		return nil, err
	}
	inst, err := chooseInstaller(ctx, c.Installer, py)
	if err != nil {
		return nil, err
	}
	if !sp.asOf.IsZero() && inst.Name == InstallerPip && !atLeast(inst.Version, pipUploadedPriorToMajor, pipUploadedPriorToMinor) {
		return nil, engine.Fail("installer_missing", "resolve_as_of needs an installer that can leave out newer files when it resolves dependencies: "+
			"uv (--exclude-newer) or pip %d.%d or later (--uploaded-prior-to); pip %s has neither, and would install today's dependencies. Install uv, or upgrade pip.",
			pipUploadedPriorToMajor, pipUploadedPriorToMinor, inst.Version)
	}
	b := &build{spec: sp, py: py, inst: inst, mode: c.Install, facts: facts, root: in.Workspace.Root, secrets: c.Secrets,
		cacheDirs: c.cacheDirs()}
	if resolve != nil {
		if err := in.DecodeOutput(resolve, resolveOutput, &b.res); err != nil {
			return nil, fmt.Errorf("reading the preflight of %s: %w", resolve.ID, err)
		}
	}
	if b.mode == InstallWheel && len(b.res.Missing) > 0 {
		b.mode = InstallSource
	}
	if b.mode != InstallWheel {
		b.tree = facts.HeadTree
		if side == artifact.Base {
			b.tree = facts.BaseTree
		}
		if b.tree == "" {
			return nil, fmt.Errorf("the facts of %s give no tree for its %s side, which a source install needs", commit.ID, side)
		}
	}
	lines := b.storeLines()
	var text strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&text, "%s %s\n", l.Name, l.Value)
	}
	b.desc = text.String()
	sum := sha256.Sum256([]byte(b.desc))
	// The interpreter's version leads the name so that a person listing the store can tell
	// environments apart; 128 bits of the hash make the name unique.
	b.storeKey = "py" + py.Version + "-" + hex.EncodeToString(sum[:16])
	lines = append(lines,
		engine.L("store-key", b.storeKey),
		engine.L("commit", sp.sha),
		engine.L("side", string(side)),
		engine.L("check", sp.check))
	lines = append(lines, engine.MapLines("cache_dirs", b.cacheDirs)...)
	userCache, building, blobs := in.UserCache, in.Building, in.Store
	dir := artifact.EnvDir(userCache, b.storeKey)
	return &engine.Work{
		RuleVersion: ruleVersion,
		Lines:       lines,
		Needs:       engine.Needs{CPU: 1},
		Run:         b.run,
		StillValid: func(d *engine.Outcome) bool {
			return stillValid(d, userCache, b.storeKey, blobs, building)
		},
		// The key holds the config (its files stamped as they are read), the commit's facts,
		// the preflight's output and the interpreter and installer found (machine facts,
		// machine.go). StillValid reads the result's blob and what is watched: the directory
		// (its names: the complete marker is there; not the marker's own times, which each
		// replay touches), the interpreter through the environment's link to it, and the
		// directory's record.
		Recordable: true,
		Watch:      []string{dir, artifact.PythonIn(dir), filepath.Join(dir, recordName)},
		Machine:    machineFacts(sp.python, py, c.Installer, inst),
	}, nil
}

// storeLines are what the environment's contents depend on.
func (b *build) storeLines() []engine.Line {
	lines := []engine.Line{
		engine.L("rule-version", ruleVersion),
		engine.L("python", b.py.Version),
		engine.L("implementation", b.py.Implementation),
		engine.L("platform", platformTags(b.py)[0]),
		engine.L("installer", b.inst.String()),
		engine.L("install", string(b.mode)),
	}
	resolved := map[string]bool{}
	for i, f := range b.res.Files {
		resolved[f.Package] = true
		lines = append(lines, engine.L(fmt.Sprintf("resolved.%d", i), fmt.Sprintf("%s %s %s sha256:%s", f.Package, f.Version, f.URL, f.SHA256)))
	}
	for i, r := range b.packages {
		switch {
		case resolved[r.Name] && len(r.Extras) > 0:
			lines = append(lines, engine.L(fmt.Sprintf("extras.%s", r.Name), strings.Join(r.Extras, ",")))
		case !resolved[r.Name]:
			lines = append(lines, engine.L(fmt.Sprintf("package.%d", i), r.Raw))
		}
	}
	if b.indexURL != "" {
		lines = append(lines, engine.L("index_url", b.indexURL))
	}
	for i, u := range b.extraURLs {
		lines = append(lines, engine.L(fmt.Sprintf("extra_index_url.%d", i), u))
	}
	if b.TorchBackend != "" && b.inst.Name == InstallerUV {
		lines = append(lines, engine.L("torch_backend", b.TorchBackend))
	}
	if !b.asOf.IsZero() {
		lines = append(lines, engine.L("as_of", asOfText(b.asOf)))
	}
	for _, f := range b.reqs {
		lines = append(lines, engine.L("requirements."+f.Decl, "sha256:"+f.Digest))
	}
	for _, f := range b.cons {
		lines = append(lines, engine.L("constraints."+f.Decl, "sha256:"+f.Digest))
	}
	lines = append(lines, engine.MapLines("env", b.env)...)
	for i, o := range b.overrides {
		lines = append(lines, engine.L(fmt.Sprintf("override.%d", i), o))
	}
	if b.mode != InstallWheel {
		lines = append(lines, engine.L("tree", b.tree), engine.L("source_requirements", strings.Join(b.SourceRequirements, " ")))
		if b.mode == InstallPythonpath {
			lines = append(lines, engine.L("pythonpath", strings.Join(b.PythonPath, " ")))
		}
	}
	return lines
}

// envRecord is written into every environment directory before it is marked complete: what
// it holds and how it was made. A build that finds the directory complete takes the lock from
// it without running the installer, and a person can read what a directory is.
type envRecord struct {
	StoreKey      string                  `json:"store_key"`
	PythonVersion string                  `json:"python_version"`
	Interpreter   string                  `json:"interpreter"` // the base interpreter, on this machine
	Installer     string                  `json:"installer"`
	Platform      string                  `json:"platform"`
	Install       string                  `json:"install"`
	Resolved      []artifact.ResolvedFile `json:"resolved,omitempty"`
	Installed     map[string]string       `json:"installed,omitempty"` // verified distributions and versions
	PythonPath    []string                `json:"python_path,omitempty"`
	Lock          string                  `json:"lock"`
	LockDigest    string                  `json:"lock_digest"`
	Built         time.Time               `json:"built"`
	Seconds       float64                 `json:"seconds"`
	Description   string                  `json:"description"` // the store key's lines
}

const recordName = "isobench-env.json"

// run builds the environment, or reuses it when another action, build or workspace already
// has, then runs the check.
func (b *build) run(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
	store := envStore(x.UserCache)
	for attempt := 0; ; attempt++ {
		dir, building, done, err := store.Acquire(ctx, b.storeKey)
		if err != nil {
			if ctx.Err() != nil {
				return engine.Transient("cancelled", "Cancelled while waiting for the environment %s.", b.storeKey), nil
			}
			return nil, err
		}
		if building {
			return b.buildAndCheck(ctx, x, dir, done)
		}
		rec, err := readRecord(dir)
		if err == nil {
			// Stat follows the environment's link to its base interpreter, which an upgrade
			// or an uninstall may have taken away.
			if _, statErr := os.Stat(artifact.PythonIn(dir)); statErr != nil {
				err = fmt.Errorf("its interpreter is gone: %w", statErr)
			}
		}
		if err != nil {
			// A complete directory without a readable record or a working interpreter was not
			// made by this rule, or was damaged since. Remove it (unless someone is using it)
			// and build it again, once.
			done(false)
			if attempt > 0 {
				return nil, err
			}
			fmt.Fprintf(x.Log, "removing %s: %s\n", dir, err)
			if rmErr := store.Remove(b.storeKey); rmErr != nil {
				return nil, fmt.Errorf("the environment %s is damaged (%v) and cannot be removed: %w", dir, err, rmErr)
			}
			continue
		}
		fmt.Fprintf(x.Log, "reusing %s (built %s by %s)\n", dir, rec.Built.Format(time.RFC3339), rec.Installer)
		res := b.runCheck(ctx, x, dir, rec)
		done(true)
		_ = store.Touch(b.storeKey)
		if res != nil {
			return res, nil
		}
		return b.result(rec, map[string]int64{"envs_reused": 1})
	}
}

func (b *build) buildAndCheck(ctx context.Context, x *engine.Exec, dir string, done func(bool) error) (*engine.Result, error) {
	start := time.Now()
	fmt.Fprintf(x.Log, "building %s with %s and Python %s (%s)\n", dir, b.inst, b.py.Version, b.py.Exe)
	secrets, mask, unset := engine.SecretVars(b.secrets)
	if len(unset) > 0 {
		fmt.Fprintf(x.Log, "warning: secrets not set in isobench's environment, so not passed: %v\n", unset)
	}
	st := &step{ctx: ctx, log: x.Log, env: installEnv(b.installerVars(), secrets), mask: mask, dir: x.TempDir, timeout: b.Timeout}
	rec, err := b.buildInto(st, x, dir)
	counters := map[string]int64{"envs_built": 1, "installer_runs": int64(st.runs)}
	if err == nil {
		rec.Seconds = time.Since(start).Seconds()
		res := b.runCheck(ctx, x, dir, rec)
		if res != nil && !res.Transient {
			// A failed check is cached; the directory, which may be gigabytes, is not kept
			// for it. `--retry-failed` builds it again.
			done(false)
			res.Counters = counters
			return res, nil
		}
		err = writeRecord(dir, rec)
		if err == nil && res != nil {
			// The check was interrupted, not failed: keep the environment for the next build.
			if err := done(true); err != nil {
				return nil, err
			}
			res.Counters = counters
			return res, nil
		}
	}
	if err != nil {
		done(false)
		res := b.failure(err)
		if res == nil {
			return nil, err
		}
		res.Counters = counters
		return res, nil
	}
	if err := done(true); err != nil {
		return nil, fmt.Errorf("marking %s complete: %w", dir, err)
	}
	return b.result(rec, counters)
}

// installerVars are the target's env plus what the resolved files need of the installer: a
// wheel found at a direct URL may be named for another version than it holds (direct.go).
func (b *build) installerVars() map[string]string {
	vars := maps.Clone(b.env)
	if vars == nil {
		vars = map[string]string{}
	}
	for _, f := range b.res.Files {
		if f.Direct && b.inst.Name == InstallerUV {
			vars["UV_SKIP_WHEEL_FILENAME_CHECK"] = "1"
		}
	}
	return vars
}

// failure turns a build error into a result: an installer that failed on its own is
// install_failed and cached; one that could not reach an index, or was cancelled, is
// transient. Other errors (a disk error) are returned as errors, also transient.
func (b *build) failure(err error) *engine.Result {
	var se *stepError
	var sf *sourceError
	switch {
	case errors.As(err, &se) && se.Canceled:
		return engine.Transient("cancelled", "%s.", capitalize(se.What))
	case errors.As(err, &se) && se.Transient:
		return engine.Transient("index_unreachable", "%s: %s.", capitalize(se.What), lastLine([]byte(se.Output)))
	case errors.As(err, &se):
		msg := capitalize(se.What)
		if se.Output != "" {
			msg += ": " + lastLine([]byte(se.Output))
		}
		return engine.Failed("install_failed", "%s.", strings.TrimSuffix(msg, "."))
	case errors.As(err, &sf):
		return engine.Transient("source_unavailable", "%s", sf.Error())
	case errors.Is(err, errMismatch):
		return engine.Failed("install_failed", "%s", err)
	}
	return nil
}

// buildInto creates the environment in dir (empty, locked) and installs everything into it.
func (b *build) buildInto(st *step, x *engine.Exec, dir string) (*envRecord, error) {
	if err := b.inst.createVenv(st, b.py, dir); err != nil {
		return nil, err
	}
	rec := &envRecord{StoreKey: b.storeKey, PythonVersion: b.py.Version, Interpreter: b.py.Exe, Installer: b.inst.String(),
		Platform: platformTags(b.py)[0], Install: string(b.mode), Resolved: b.res.Files, Built: time.Now().UTC(), Description: b.desc}
	args := b.installArgs(b.inst, x.Log)
	wanted := 0 // requirements and requirement files on the command line
	for _, f := range b.reqs {
		args = append(args, "-r", f.Path)
		wanted++
	}

	// The commit's own tree: copied into the environment for pythonpath, checked out
	// privately for a source install (the build writes next to the sources).
	var src string
	switch b.mode {
	case InstallPythonpath:
		src = filepath.Join(dir, "src")
		if err := archiveSource(st.ctx, x.UserCache, b.root, b.facts, b.sha, src); err != nil {
			return nil, err
		}
		for _, p := range b.PythonPath {
			rec.PythonPath = append(rec.PythonPath, path.Join("src", p))
		}
	case InstallSource:
		src = filepath.Join(x.TempDir, "src")
		if err := checkoutSource(st.ctx, x.UserCache, b.root, b.facts, b.sha, src); err != nil {
			return nil, err
		}
	}
	if src != "" {
		for _, r := range b.SourceRequirements {
			p := filepath.Join(src, filepath.FromSlash(r))
			if _, err := os.Stat(p); err == nil {
				args = append(args, "-r", p)
				wanted++
			} else {
				fmt.Fprintf(x.Log, "the commit has no %s; skipped\n", r)
			}
		}
	}
	pins := map[string]artifact.ResolvedFile{}
	for _, f := range b.res.Files {
		pins[f.Package] = f
	}
	for _, r := range b.packages {
		if f, ok := pins[r.Name]; ok {
			args = append(args, r.pinned(f.URL, f.SHA256))
			wanted++
		} else if b.mode == InstallSource && r.Name == b.project && slices.Contains(b.res.Missing, r.Name) {
			continue // the source install below stands in for the missing wheel
		} else {
			args = append(args, r.Raw)
			wanted++
		}
	}
	if wanted > 0 {
		if err := b.inst.install(st, dir, args); err != nil {
			return nil, err
		}
	}
	// The project goes last, on top of its requirements: what a source checkout's README
	// says to do, and what a build without isolation needs.
	if b.mode == InstallSource {
		if err := b.inst.install(st, dir, append(b.installArgs(b.inst, x.Log), src)); err != nil {
			return nil, err
		}
	}
	lock, err := b.inst.freeze(st, dir)
	if err != nil {
		return nil, err
	}
	if src != "" && b.mode == InstallSource {
		// A source install is listed as "name @ file:///tmp/..."; name the commit instead, so
		// that the lock says the same on every machine.
		lock = strings.ReplaceAll(lock, "file://"+src, "source:"+b.sha)
	}
	rec.Lock = lock
	sum := sha256.Sum256([]byte(lock))
	rec.LockDigest = "sha256:" + hex.EncodeToString(sum[:])
	installed, err := b.verify(st, x, dir)
	if err != nil {
		return nil, err
	}
	rec.Installed = installed
	return rec, nil
}

// result is the action's output.
func (b *build) result(rec *envRecord, counters map[string]int64) (*engine.Result, error) {
	env := artifact.Environment{
		StoreKey:      b.storeKey,
		Side:          b.side,
		Commit:        b.sha,
		PythonVersion: rec.PythonVersion,
		Installer:     rec.Installer,
		PythonPath:    rec.PythonPath,
		Lock:          rec.Lock,
		LockDigest:    rec.LockDigest,
		Resolved:      rec.Resolved,
		Source:        rec.Install != string(InstallWheel),
		Platform:      rec.Platform,
		Installed:     rec.Installed,
		Spec:          b.record(InstallMode(rec.Install)),
	}
	if len(b.env) > 0 {
		env.Env = b.env
	}
	if len(b.cacheDirs) > 0 {
		env.CacheDirs = b.cacheDirs
	}
	out, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	res := engine.OK(map[string][]byte{artifact.EnvironmentOutput: out},
		map[string]any{"store_key": b.storeKey, "install": rec.Install, "built": rec.Built, "build_seconds": rec.Seconds, "installed": rec.Installed})
	res.Counters = counters
	return res, nil
}

func writeRecord(dir string, rec *envRecord) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, recordName), append(data, '\n'), 0o644)
}

func readRecord(dir string) (*envRecord, error) {
	data, err := os.ReadFile(filepath.Join(dir, recordName))
	if err != nil {
		return nil, fmt.Errorf("the environment has no record: %w", err)
	}
	var rec envRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("the environment's record %s cannot be read: %w", filepath.Join(dir, recordName), err)
	}
	return &rec, nil
}
