package environment

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/isobench/isobench/engine"
)

// TestInstallEnvPassesOnlyDeclaredSecrets: a package's build script sees the variables an
// installer needs and the declared secrets, not the user's other keys.
func TestInstallEnvPassesOnlyDeclaredSecrets(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-not-for-installers")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws-not-for-installers")
	t.Setenv("PRIVATE_INDEX_TOKEN", "tok-declared")
	t.Setenv("UV_INDEX_PRIVATE_PASSWORD", "pw-declared")
	t.Setenv("HTTPS_PROXY", "http://proxy.example:3128")
	secrets, mask, unset := engine.SecretVars([]string{"PRIVATE_INDEX_TOKEN", "UV_INDEX_PRIVATE_PASSWORD", "NOT_SET_ANYWHERE"})
	env := strings.Join(installEnv(map[string]string{"MY_FLAG": "1"}, secrets), "\n")
	for _, leak := range []string{"sk-not-for-installers", "aws-not-for-installers"} {
		if strings.Contains(env, leak) {
			t.Errorf("the installers' environment holds %s", leak)
		}
	}
	for _, want := range []string{"PRIVATE_INDEX_TOKEN=tok-declared", "UV_INDEX_PRIVATE_PASSWORD=pw-declared",
		"HTTPS_PROXY=http://proxy.example:3128", "MY_FLAG=1", "PATH="} {
		if !strings.Contains(env, want) {
			t.Errorf("the installers' environment lacks %s", want)
		}
	}
	if len(mask) != 2 || len(unset) != 1 || unset[0] != "NOT_SET_ANYWHERE" {
		t.Errorf("mask %v, unset %v", mask, unset)
	}
}

// TestInstallerStepIsSandboxed: an installer command (here a shell standing for a build
// script) sees its own processes only, and its declared secret is masked in the log.
func TestInstallerStepIsSandboxed(t *testing.T) {
	if iso, why := engine.SandboxIsolation(); iso != engine.IsolationNamespaces {
		t.Skip(why)
	}
	var log strings.Builder
	st := &step{ctx: context.Background(), log: &log, env: []string{"PATH=/usr/bin:/bin", "TOKEN=tok-0123456789"},
		mask: []string{"tok-0123456789"}, dir: t.TempDir(), timeout: time.Minute}
	out, err := st.exec("build script", "/bin/sh", "-c", `echo "token $TOKEN"; ls /proc | grep -c '^[0-9]'`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "tok-0123456789") || !strings.Contains(log.String(), "token ***") {
		t.Errorf("log:\n%s", log.String())
	}
	// The helper, the shell, and ls or grep: nothing of the machine's.
	if n := strings.TrimSpace(string(out[strings.LastIndexByte(strings.TrimSpace(string(out)), '\n')+1:])); n > "4" || len(n) > 1 {
		t.Errorf("the build script sees %s processes:\n%s", n, out)
	}
}

// TestCacheDirs: each declared variable gets a directory of the target's, the same for every
// commit and side.
func TestCacheDirs(t *testing.T) {
	c := &Config{Label: engine.Label{Pkg: "envs", Name: "vllm"}, CacheDirs: []string{"HF_HOME", "TRITON_CACHE_DIR"}}
	got := c.cacheDirs()
	if got["HF_HOME"] != "env-caches/envs/vllm/HF_HOME" || got["TRITON_CACHE_DIR"] != "env-caches/envs/vllm/TRITON_CACHE_DIR" || len(got) != 2 {
		t.Errorf("cache dirs %v", got)
	}
	if (&Config{}).cacheDirs() != nil {
		t.Error("no cache_dirs, yet directories")
	}
}
