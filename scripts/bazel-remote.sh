#!/usr/bin/env bash
# Prints the path of a bazel-remote binary for the remote cache tests (cache/remotetest),
# building it the first time: about 2 minutes, then cached under
# $HOME/.cache/isobench-ci/bazel-remote. Build output goes to stderr, so that
#   export BAZEL_REMOTE="$(scripts/bazel-remote.sh)"
# works.
#
# bazel-remote is a Go module, but `go install ...@latest` fails: the module proxy refuses to
# list its versions. So the tagged module is downloaded into the module cache and built
# there.
set -euo pipefail

version=v2.6.1 # keep in step with cache/remotetest.Version
dir="$HOME/.cache/isobench-ci/bazel-remote"
bin="$dir/bazel-remote-$version"

if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  work=$(mktemp -d)
  tmp="$bin.tmp.$$"
  trap 'rm -rf "$work" "$tmp"' EXIT
  module="github.com/buchgr/bazel-remote/v2@$version"
  echo "bazel-remote.sh: building $module (once; about 2 minutes)" >&2
  # From an empty directory, so that no go.mod (isobench's included) is read or changed.
  (cd "$work" && GOWORK=off GOFLAGS=-mod=mod go mod download "$module") >&2
  src="$(go env GOMODCACHE)/$module"
  (cd "$src" && GOWORK=off CGO_ENABLED=0 go build -o "$tmp" .) >&2
  mv "$tmp" "$bin" # same directory: a concurrent reader never sees half a binary
fi
echo "$bin"
