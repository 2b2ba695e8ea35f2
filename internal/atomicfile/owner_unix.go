//go:build unix

package atomicfile

import (
	"errors"
	"io/fs"
	"syscall"
)

// owner returns the file's owner and group.
func owner(fi fs.FileInfo) (uid, gid int, err error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, errors.New("file owner is not available on this platform")
	}
	return int(st.Uid), int(st.Gid), nil
}
