// Package environment implements the `environment` target kind: a Python environment for one
// side of a commit, shared by every benchmark and every workspace that needs it.
//
//	environment "vllm_wheel" {
//	  python          = "3.11"                                  # or ["3.12", "3.11"], or a path
//	  packages        = ["vllm"]                                # the first is the commit's project
//	  extra_index_url = "https://wheels.vllm.ai/${commit.sha}"  # evaluated per side
//	  torch_backend   = "auto"                                  # uv only
//	  check           = "import vllm"
//	  fallback        = "source"                                # no wheel: install the commit's tree
//	  override {
//	    commits  = ["2f192835"]                                 # SHA prefixes
//	    packages = ["numpy<2"]
//	  }
//	}
//
// Attributes (those marked late may mention `commit`, evaluated per side):
//
//	python               version ("3.11", "3.11.7"), interpreter path, or a list tried in order;
//	                     found on PATH, in pyenv, or through `uv python find`; default "3"
//	installer            "uv" or "pip"; default uv when it is on PATH
//	packages (late)      requirements; the first names the commit's project unless `project` does
//	project              the distribution built from the commit (source fallback, verification)
//	index_url (late)     the main index; default PyPI
//	extra_index_url (late) one URL or a list, searched before index_url
//	torch_backend        uv's --torch-backend ("auto", "cu126", ...); refused with installer = "pip",
//	                     ignored (with a note in the log) when pip stands in for a missing uv
//	requirements (late)  files relative to the package, content in the key
//	constraints (late)   files relative to the package, content in the key
//	env (late)           variables for installing and for running in the environment; they
//	                     enter the key and the output, so never put a secret there
//	check (late)         Python source that must run without error in the environment
//	install              "wheel" (default), "source" (install the commit's tree), or
//	                     "pythonpath" (the commit's tree on PYTHONPATH, not installed)
//	fallback             "none" (default) or "source": no wheel for the project -> source install
//	source_requirements  files in the commit's tree installed first; default ["requirements.txt"]
//	pythonpath           directories of the tree put on PYTHONPATH; default ["."]
//	timeout              of each installer command; default 2h
//	wheel_url (late)     direct URL(s) of the project's wheel, asked with HEAD when no index
//	                     has a page for it (direct.go: vLLM's wheels of late 2024)
//	resolve_as_of (late) a date or RFC 3339 time (commit.date): files uploaded later are left
//	                     out, by the preflight and by the installer (asof.go)
//	python_install       true: uv installs a missing Python while building
//	secrets              names of variables of isobench's environment the installers get (a
//	                     private index's credentials), masked in the log, never in the key
//	cache_dirs           variables set in every run to a directory of the target's that its
//	                     runs share and may write: model weights, compiled kernels (cachedirs.go)
//	override { commits = [SHA prefixes], packages, env, python }   per-commit additions
//
// When an index URL mentions `commit`, the project is looked up on such indexes only: a
// commit without its own wheel is no_wheel (or a source install), never a release from PyPI.
//
// A benchmark reaches the target per commit and side (Planner.PlanFor), which plans two
// actions:
//
//   - resolve, the wheel preflight: each package is looked up on the indexes through the
//     simple repository API (PEP 503 HTML or PEP 691 JSON), extra indexes first, the first
//     index that has the package deciding, and resolved to the exact wheel file pip would
//     take on this interpreter and platform, with its sha256. It takes about a second and
//     runs before any GPU or LLM time is spent. No fitting wheel is the cached failure
//     no_wheel (unless fallback = "source" covers it); an index that cannot be reached is
//     transient.
//
//   - environment: creates the environment with uv (`uv venv`, `uv pip install --python`)
//     when uv is on PATH or installer = "uv", else with `python -m venv` and pip; installs the
//     resolved files by URL and digest, the requirements files, the other packages, and for a
//     source install the commit's requirements file and then its tree; runs `check`; records
//     `pip freeze`; and verifies that each resolved distribution is installed from the
//     resolved file (version, direct_url.json, digest).
//
// # Keys and the store
//
// The environment's directory lives in the per-user env store (<userCache>/envs, a
// cache.DirStore) under a store key: the hash of the exact Python version, the installer and
// its version, the platform tag, the resolved URLs and digests, the indexes, the contents of
// the requirements and constraints files, env, the overrides applied, for a source install
// the side's tree hash, and the rule version. Never a scheduling hint. The action key adds
// the commit, the side and the check. An unchanged environment is therefore never built
// again: a second build replays the action from the cache and runs no installer, and another
// action, build or workspace wanting the same directory finds it complete (or waits on its
// lock while it is built) and only runs its check. A directory is built in place under an
// exclusive lock and marked complete last, so a build killed half-way leaves a directory the
// next one removes and builds again. A cached result is replayed only while its directory
// still holds the same environment (Work.StillValid), so one removed by gc is rebuilt.
//
// # Failure classes
//
// no_wheel, install_failed (the installer failed, or installed something other than what
// was resolved) and check_failed are cached, with the installer's output in the log.
// python_missing and installer_missing are facts about this machine, found in Prepare and
// never cached. index_unreachable (an index or download that cannot be reached),
// source_unavailable (the repository cannot be read) and cancelled are transient.
package environment
