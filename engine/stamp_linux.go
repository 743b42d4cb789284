package engine

import (
	"io/fs"
	"syscall"
)

// sysStamp is a file's inode change time and inode number.
func sysStamp(fi fs.FileInfo) (change int64, inode uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return st.Ctim.Nano(), st.Ino
}
