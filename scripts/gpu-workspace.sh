# gpu-workspace.sh is sourced by the GPU scripts (gpu-check.sh, gpu-sampling.sh,
# gpu-serving/run.sh): a scratch directory $work with an isobench home of its own, a Git
# repository $repo to commit the code under test into, and a workspace $ws over it.
work=$(mktemp -d)
export ISOBENCH_HOME=$work/home
repo=$work/repo
ws=$work/ws

# new_repo: an empty repository $repo on main, made the working directory, with an identity
# to commit with.
new_repo() {
  git init -q -b main "$repo"
  cd "$repo"
  git config user.name isobench; git config user.email isobench@example.com
}

# new_workspace NAME: the workspace $ws named NAME, in which //repos:m is $repo and
# //dataset:gpu holds every benchmark; the caller writes commits/ and benchmarks/.
new_workspace() {
  mkdir -p "$ws"/{repos,commits,benchmarks,dataset}
  echo "workspace { name = \"$1\" }" > "$ws/isobench.hcl"
  printf 'repo "m" {\n  url = "%s"\n}\n' "$repo" > "$ws/repos/BUILD.hcl"
  printf 'dataset "gpu" {\n  benchmarks = ["//benchmarks:all"]\n}\n' > "$ws/dataset/BUILD.hcl"
}
