package environment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// memBlobs is a content-addressed map, enough for BuildDone to read environment outputs.
type memBlobs map[cache.Digest][]byte

func (m memBlobs) Put(data []byte) (cache.Digest, error) {
	sum := sha256.Sum256(data)
	d := cache.Digest(hex.EncodeToString(sum[:]))
	m[d] = data
	return d, nil
}

func (m memBlobs) Get(d cache.Digest) ([]byte, error) {
	if data, ok := m[d]; ok {
		return data, nil
	}
	return nil, fmt.Errorf("%s: %w", d, cache.ErrNotFound)
}

// TestBuildDoneKeepsWhatOtherActionsLastUsed: a build of one benchmark replaces only the
// environments of the actions it walked; gc still keeps those the others last used, as the
// cache keeps each action's latest result.
func TestBuildDoneKeepsWhatOtherActionsLastUsed(t *testing.T) {
	userCache := t.TempDir()
	ws := &engine.Workspace{Root: t.TempDir()}
	blobs := memBlobs{}
	visit := func(id, key string) (*engine.Action, *engine.Visit) {
		data, _ := json.Marshal(artifact.Environment{StoreKey: key})
		d, _ := blobs.Put(data)
		return &engine.Action{ID: id, Mnemonic: "environment"},
			&engine.Visit{Outcome: &engine.Outcome{Status: engine.StatusOK, Outputs: map[string]cache.Digest{artifact.EnvironmentOutput: d}}}
	}
	build := func(envs map[string]string) []string {
		t.Helper()
		visits := map[*engine.Action]*engine.Visit{}
		for id, key := range envs {
			a, v := visit(id, key)
			visits[a] = v
		}
		if err := (Kind{}).BuildDone(&engine.FinishedBuild{Workspace: ws, UserCache: userCache, Visits: visits, Store: blobs}); err != nil {
			t.Fatal(err)
		}
		keep, err := protectedKeys(userCache)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Sorted(maps.Keys(keep))
	}
	if got := build(map[string]string{"env a base": "py3-a", "env a head": "py3-b", "env b base": "py3-c"}); !slices.Equal(got, []string{"py3-a", "py3-b", "py3-c"}) {
		t.Fatalf("after a full build gc keeps %v", got)
	}
	// One benchmark again, whose head environment changed: only its actions are replaced.
	if got := build(map[string]string{"env a base": "py3-a", "env a head": "py3-d"}); !slices.Equal(got, []string{"py3-a", "py3-c", "py3-d"}) {
		t.Errorf("after a partial build gc keeps %v, want py3-a, py3-c (env b's last) and py3-d", got)
	}
}
