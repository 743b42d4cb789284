package commit

import (
	"fmt"
	"runtime"
	"sync"
	"weak"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo"
)

// repoUse is one build's use of one repository. Every commit of the build that names the same
// repo target shares it, so a build fetches each repository at most once and resolves all of
// its refs against the same fetch.
//
// "One build" is told apart by the repo target's action: the planner of a build (or of a
// status walk) plans each target once, so a new build has new repo actions. The Kind holds the
// uses under weak pointers to those actions, and drops a use when its action is collected.
type repoUse struct {
	mu       sync.Mutex
	spec     *gitrepo.Spec
	wanted   []string
	sessions map[bool]*gitrepo.Session // by building
}

// use returns the use of the repository whose action is ra, making it on first call.
func (k *Kind) use(ra *engine.Action) *repoUse {
	key := weak.Make(ra)
	k.mu.Lock()
	defer k.mu.Unlock()
	if u, ok := k.uses[key]; ok {
		return u
	}
	u := &repoUse{sessions: map[bool]*gitrepo.Session{}}
	k.uses[key] = u
	runtime.AddCleanup(ra, k.forget, key)
	return u
}

func (k *Kind) forget(key weak.Pointer[engine.Action]) {
	k.mu.Lock()
	u := k.uses[key]
	delete(k.uses, key)
	k.mu.Unlock()
	if u != nil {
		u.close()
	}
}

// want queues revisions to resolve (full SHAs are never resolved and are left out).
func (u *repoUse) want(revs ...string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, r := range revs {
		if r != "" && !gitrepo.IsFullSHA(r) {
			u.wanted = append(u.wanted, r)
		}
	}
}

// repoSpec reads the repo action's output once per build.
func (u *repoUse) repoSpec(in *engine.Inputs, ra *engine.Action) (gitrepo.Spec, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.spec != nil {
		return *u.spec, nil
	}
	var spec gitrepo.Spec
	if err := in.DecodeOutput(ra, gitrepo.RepoOutput, &spec); err != nil {
		return spec, fmt.Errorf("cannot read the repository of %s: %w", ra.Label, err)
	}
	u.spec = &spec
	return spec, nil
}

// session returns the build's session over the repository's mirror. A session that may fetch
// (building) and one that may not (status) are kept apart.
func (u *repoUse) session(spec gitrepo.Spec, userCache, root string, building bool) (*gitrepo.Session, error) {
	if userCache == "" {
		return nil, fmt.Errorf("no per-user cache directory is set, so there is nowhere to keep the mirror of %s", spec.URL)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if s, ok := u.sessions[building]; ok {
		return s, nil
	}
	m := gitrepo.NewMirror(userCache, spec.Location(root))
	m.Display = spec.URL
	s := m.Session(building)
	s.Want(u.wanted...)
	u.sessions[building] = s
	return s, nil
}

func (u *repoUse) close() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, s := range u.sessions {
		s.Close()
	}
}
