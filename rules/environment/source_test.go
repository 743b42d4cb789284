package environment

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
)

// toyBackend is a PEP 517 build backend kept in the repository itself (backend-path), so a
// source install needs nothing from an index to build: it zips the toy package into a wheel.
const toyBackend = `import base64, hashlib, os, zipfile

NAME, VERSION = "toy", "0.0.0+src"

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = NAME + "-" + VERSION + ".dist-info"
    files = {}
    for root, _, names in os.walk(NAME):
        for n in sorted(names):
            if n.endswith(".py"):
                p = os.path.join(root, n)
                with open(p, "rb") as f:
                    files[p.replace(os.sep, "/")] = f.read()
    files[info + "/METADATA"] = ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (NAME, VERSION)).encode()
    files[info + "/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: toy-backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    name = NAME + "-" + VERSION + "-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for p, data in sorted(files.items()):
            z.writestr(p, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (p, digest, len(data)))
        record.append(info + "/RECORD,,")
        z.writestr(info + "/RECORD", "\n".join(record) + "\n")
    return name
`

// toyRepo makes a real Git repository of a pure-Python project with two commits, each of
// whose toy package says which side it is, and a requirements file naming tinydep.
func toyRepo(t *testing.T) (dir, base, head string) {
	r := gittest.New(t)
	base = r.Commit("base", map[string]string{
		"pyproject.toml":   "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n",
		"backend.py":       toyBackend,
		"requirements.txt": "tinydep\n",
		"toy/__init__.py":  "FROM_SOURCE = 'base'\n",
	})
	head = r.Commit("head", map[string]string{"toy/__init__.py": "FROM_SOURCE = 'head'\n"})
	return r.Dir, base, head
}

func TestSourceFallbackAndPythonPath(t *testing.T) {
	t.Parallel()
	repo, base, head := toyRepo(t)
	ix := toyIndex(t) // tinydep and a release of toy; nothing for these commits
	w := newWorkspace(t, "", map[string]string{
		"envs/BUILD.hcl": fmt.Sprintf(`
environment "fallback" {
  installer       = "pip"
  packages        = ["toy"]
  index_url       = "%[1]s/simple"
  extra_index_url = "%[1]s/${commit.sha}"
  fallback        = "source"
  check           = "import tinydep, toy; assert toy.FROM_SOURCE == '${commit.side}', toy.FROM_SOURCE"
}

environment "inplace" {
  installer    = "pip"
  install      = "pythonpath"
  requirements = "deps.txt"
  index_url    = "%[1]s/simple"
  env          = { TOY_MODE = "in place" }
  check        = "import os, tinydep, toy; assert toy.FROM_SOURCE == '${commit.side}' and os.environ['TOY_MODE'] == 'in place'"
}
`, ix.URL),
		"envs/deps.txt":     "tinydep==1.0\n",
		"commits/BUILD.hcl": commitBlock("c", head, base, fmt.Sprintf("repo = %q", repo)),
	})

	// The head only: its check tells its source from the base's.
	r := w.build("//envs:fallback", "//commits:c", "head")
	fb := w.env(r, 0)
	if !fb.Source || len(fb.Resolved) != 0 {
		t.Errorf("source %v, resolved %v; want a source install with nothing resolved", fb.Source, fb.Resolved)
	}
	if !strings.Contains(fb.Lock, "toy @ source:"+head) || !strings.Contains(fb.Lock, "tinydep==1.0") {
		t.Errorf("the lock does not show the source install and the commit's requirements:\n%s", fb.Lock)
	}
	rec, err := readRecord(artifact.EnvDir(w.UserCache, fb.StoreKey))
	if err != nil || rec.Installed["toy"] != "0.0.0+src" {
		t.Errorf("the record does not list the verified source install: %+v %v", rec, err)
	}
	if n := ix.count("/files/toy-2.0-py3-none-any.whl"); n != 0 {
		t.Errorf("the fallback installed the release of toy instead of the commit's source")
	}

	r2 := w.build("//envs:inplace", "//commits:c", "head")
	env := w.env(r2, 0)
	dir := artifact.EnvDir(w.UserCache, env.StoreKey)
	if len(env.PythonPath) != 1 || env.PythonPath[0] != "src" || env.Vars(dir)["PYTHONPATH"] != filepath.Join(dir, "src") {
		t.Fatalf("pythonpath environment: PythonPath %v, vars %v", env.PythonPath, env.Vars(dir))
	}
	data, err := os.ReadFile(filepath.Join(dir, "src", "toy", "__init__.py"))
	if err != nil || !strings.Contains(string(data), "'head'") {
		t.Fatalf("the head's source is not in the environment: %q %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "src", ".git")); err == nil {
		t.Errorf("the source copy in the environment carries a .git")
	}
	if strings.Contains(env.Lock, "toy") || !strings.Contains(env.Lock, "tinydep==1.0") {
		t.Errorf("install = \"pythonpath\" installed the project, or not the requirements file:\n%s", env.Lock)
	}
	if env.Env["TOY_MODE"] != "in place" {
		t.Errorf("the environment's variables were not recorded: %v", env.Env)
	}
}
