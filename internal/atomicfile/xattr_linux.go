package atomicfile

import "syscall"

// readXattrs reads the KeptXattrs that path has.
func readXattrs(path string) map[string][]byte {
	out := map[string][]byte{}
	for _, name := range KeptXattrs {
		buf := make([]byte, 4096)
		n, err := syscall.Getxattr(path, name, buf)
		if err == nil && n > 0 {
			out[name] = buf[:n]
		}
	}
	return out
}

func setXattr(path, name string, val []byte) error {
	return syscall.Setxattr(path, name, val, 0)
}
