package ansiblemod

import "os"

// guardFallback points only os.Stdout at stderr and keeps the original
// *os.File for the result.
func guardFallback() (*os.File, func()) {
	orig := os.Stdout
	os.Stdout = os.Stderr
	return orig, func() { os.Stdout = orig }
}
