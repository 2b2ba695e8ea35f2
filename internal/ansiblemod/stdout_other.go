//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package ansiblemod

import "os"

// guardStdout cannot move fd 1 on this platform; it only points os.Stdout
// at stderr, which catches fmt.Print and friends but not child processes.
func guardStdout() (out *os.File, restore func()) { return guardFallback() }
