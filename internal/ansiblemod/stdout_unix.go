//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package ansiblemod

import (
	"os"
	"syscall"
)

// guardStdout makes a private copy of fd 1 for the result, then points fd 1
// and os.Stdout at stderr, so that anything else written to stdout (fmt.Print,
// child processes inheriting fd 1) lands on stderr. restore undoes it.
func guardStdout() (out *os.File, restore func()) {
	syscall.ForkLock.RLock()
	fd, err := syscall.Dup(1)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return guardFallback()
	}
	orig := os.NewFile(uintptr(fd), "stdout")
	if err := dupOnto(2, 1); err != nil {
		_ = orig.Close()
		return guardFallback()
	}
	saved := os.Stdout
	os.Stdout = os.Stderr
	return orig, func() {
		os.Stdout = saved
		_ = dupOnto(int(orig.Fd()), 1)
		_ = orig.Close()
	}
}
