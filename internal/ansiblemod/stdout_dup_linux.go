//go:build linux

package ansiblemod

import "syscall"

// dupOnto makes newfd a copy of oldfd (linux/arm64 has no dup2, only dup3).
func dupOnto(oldfd, newfd int) error { return syscall.Dup3(oldfd, newfd, 0) }
