package engine

import "github.com/isobench/isobench/cache"

// Manifest is what a build remembers about each action it reached: the key it had and the
// description behind it. `status` and `why` compare a fresh description with it to say which
// input changed, without executing anything.
type Manifest struct {
	Key      cache.Digest `json:"key"`
	Label    string       `json:"label"`
	Mnemonic string       `json:"kind"`
	Desc     string       `json:"desc"`
}

// ManifestName is the store name of an action's manifest.
func ManifestName(actionID string) string { return "action/" + actionID }
