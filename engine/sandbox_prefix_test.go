package engine

import "testing"

// TestInstallPrefix: a program's installation is shared with the sandbox that runs it,
// wherever it lies, and never the root, the home directory or a directory the sandbox has
// its own of.
func TestInstallPrefix(t *testing.T) {
	const home = "/home/ada"
	for _, c := range []struct{ program, want string }{
		{"/opt/python/3.12/bin/python3.12", "/opt/python/3.12"},
		{"/home/ada/.local/share/uv/python/cpython-3.12/bin/python3.12", "/home/ada/.local/share/uv/python/cpython-3.12"},
		{"/work/main/bin/isobench", "/work/main"},
		{"/src/cpython/python", "/src/cpython"}, // a build tree: Lib beside it
		{"/venv/bin/python", "/venv"},
		{"/work/isobench", "/work"},
		{"/isobench", "/isobench"},
		{"/bin/isobench", "/bin"},
		{"/tmp/isobench", "/tmp/isobench"},
		{"/tmp/tools/isobench", "/tmp/tools"},
		{"/tmp/bin/isobench", "/tmp/bin"},
		{"/dev/shm/isobench", "/dev/shm/isobench"},
		{"/home/ada/isobench", "/home/ada/isobench"},
		{"/home/ada/bin/isobench", "/home/ada/bin"},
		{"/home/isobench", "/home/isobench"},
		{"/home/bob/bin/isobench", "/home/bob"},
	} {
		if got := installPrefix(c.program, home); got != c.want {
			t.Errorf("installPrefix(%q) = %q, want %q", c.program, got, c.want)
		}
	}
}
