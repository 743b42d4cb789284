package main

import (
	"flag"
	"fmt"
	"os"
	"sync"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
)

// defaultTokenEnv holds the remote cache's bearer token when isobench.hcl names no variable
// of its own (remote_cache_token_env).
const defaultTokenEnv = "ISOBENCH_REMOTE_CACHE_TOKEN"

// remoteFlags adds the remote cache's flags to a workspace command.
func (a *app) remoteFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.remoteCache, "remote-cache", "",
		"share results through a Bazel HTTP cache at `URL` (http(s)://host:port[/path]), overriding remote_cache in isobench.hcl; \"off\" uses none")
	fs.BoolVar(&a.remoteUpload, "remote-cache-upload", true,
		"upload results to the remote cache; false only reads from it (CI jobs that must not publish)")
}

// remoteURL is the remote cache's URL that the flags or isobench.hcl name; "" when there is
// none or it is "off".
func (a *app) remoteURL() string {
	url := a.ws.Settings.RemoteCache
	if a.remoteCache != "" {
		url = a.remoteCache
	}
	if url == "off" {
		return ""
	}
	return url
}

// remote returns the client of the remote cache that the flags or isobench.hcl name, or nil
// (a nil interface, not a nil *cache.Remote) when there is none. Its warnings go to stderr.
func (a *app) remote() (engine.Remote, error) {
	url := a.remoteURL()
	if url == "" {
		return nil, nil
	}
	var mu sync.Mutex
	warn := func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(a.stderr, "isobench: warning: %s\n", msg)
	}
	tokenEnv := a.ws.Settings.RemoteCacheTokenEnv
	if tokenEnv == "" {
		tokenEnv = defaultTokenEnv
	}
	token := os.Getenv(tokenEnv)
	if token == "" && a.ws.Settings.RemoteCacheTokenEnv != "" {
		// A fork's CI job has no secrets; it may still read a cache that allows it.
		warn(fmt.Sprintf("$%s, named by remote_cache_token_env, is not set; using the remote cache without a token", tokenEnv))
	}
	r, err := cache.NewRemote(cache.RemoteOptions{URL: url, Token: token, ReadOnly: !a.remoteUpload, Warn: warn})
	if err != nil {
		// isobench.hcl was checked when it was loaded, so the flag is the culprit.
		return nil, usageError{"--remote-cache: " + err.Error()}
	}
	return r, nil
}
