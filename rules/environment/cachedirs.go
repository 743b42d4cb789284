package environment

import (
	"path"
	"strings"
)

// Caches that runs share. A test that loads a model or compiles kernels (Triton,
// torch.compile, vLLM) would fetch and build them again in every run, since each run has a
// fresh directory of its own and the sandbox shows it nothing else. cache_dirs names
// variables (HF_HOME, TRITON_CACHE_DIR, VLLM_CACHE_ROOT) that every run in the environment
// gets, each pointing at a directory of the environment target's in the user's cache, which
// the runs' sandboxes may write. One set per target, shared by base and head and by every
// commit: model weights are the same for both sides, and compiler caches key their entries
// by what they compiled.
//
// What a cache holds is not in any key: a run with a warm cache may be faster than one
// with a cold cache (the warmup runs absorb most of it), and a cache a test corrupts stays
// corrupt until it is removed. The directories are not collected by `isobench gc`.

// cacheDirs maps each declared variable to its directory, relative to the user's cache:
// env-caches/<package>/<name>/<variable>, where "//envs:vllm" gives envs/vllm.
func (c *Config) cacheDirs() map[string]string {
	if len(c.CacheDirs) == 0 {
		return nil
	}
	target := strings.ReplaceAll(strings.TrimPrefix(c.Label.String(), "//"), ":", "/")
	dirs := map[string]string{}
	for _, v := range c.CacheDirs {
		dirs[v] = path.Join("env-caches", target, v)
	}
	return dirs
}
