# git-history.sh is sourced by the examples' make-bundle.sh scripts, after they set
# repo_name: it makes a fresh repository "$work/$repo_name" on the branch main, makes it the
# working directory, and defines commit, which commits everything with a fixed author,
# committer and date.
#
# The history is deterministic: fixed authors, committers and dates, no user or system git
# configuration, a fixed umask. Running a script again gives the same commit SHAs with any
# git; a bundle's bytes (its pack) may differ between git versions, its commits do not.

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

umask 022
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_COMMON_DIR
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TEMPLATE_DIR="$work/no-templates" LC_ALL=C TZ=UTC
mkdir "$work/no-templates"

repo="$work/$repo_name"
git init --quiet "$repo"
cd "$repo"
git symbolic-ref HEAD refs/heads/main

# commit "Name <email>" DATE: commits everything with the message read from stdin.
commit() {
	name=${1% <*}
	email=${1##*<}
	email=${email%>}
	git add --all
	GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email GIT_AUTHOR_DATE=$2 \
		GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email GIT_COMMITTER_DATE=$2 \
		git commit --quiet --file=-
}
