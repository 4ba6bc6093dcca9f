//go:build unix

package config

import (
	"io/fs"
	"syscall"
)

// unixModes says whether files have Unix owners and modes to check.
const unixModes = true

// fileOwner returns the user and group that own fi.
func fileOwner(fi fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}
