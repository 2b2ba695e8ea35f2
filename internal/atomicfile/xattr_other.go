//go:build !linux

package atomicfile

import "errors"

// readXattrs reads none: SELinux labels and POSIX ACLs in KeptXattrs are
// Linux's (macOS controllers write only artifacts).
func readXattrs(string) map[string][]byte { return map[string][]byte{} }

func setXattr(string, string, []byte) error {
	return errors.New("extended attributes are not supported on this platform")
}
