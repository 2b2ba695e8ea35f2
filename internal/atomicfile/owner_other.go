//go:build !unix

package atomicfile

import (
	"errors"
	"io/fs"
)

// owner is not available without Unix file ownership.
func owner(fs.FileInfo) (uid, gid int, err error) {
	return 0, 0, errors.New("file owner is not available on this platform")
}
