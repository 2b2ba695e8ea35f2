// Package hostpath re-roots host paths, like node-feature-discovery's
// pkg/utils/hostpath: HostDir("/") is the live host, a test directory or a
// container's view of the host (/host) stands in for it elsewhere.
package hostpath

import "path/filepath"

// HostDir is the root that host paths are joined under.
type HostDir string

// Path joins elem under the host root ("" counts as "/").
func (h HostDir) Path(elem ...string) string {
	root := string(h)
	if root == "" {
		root = "/"
	}
	return filepath.Join(append([]string{root}, elem...)...)
}
