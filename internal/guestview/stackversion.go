package guestview

import (
	"strconv"
	"strings"
)

// atLeast reports whether version have (e.g. "6.1.0-18-amd64") is at least
// want ("6.1"). An unknown or unparsable have is never at least anything.
func atLeast(have, want string) bool {
	h, ok1 := parseVersion(have)
	w, ok2 := parseVersion(want)
	if !ok1 || !ok2 {
		return false
	}
	if h[0] != w[0] {
		return h[0] > w[0]
	}
	return h[1] >= w[1]
}

// olderThan reports whether version have is known to be older than want;
// an unknown or unparsable have is not.
func olderThan(have, want string) bool {
	if _, ok := parseVersion(have); !ok {
		return false
	}
	return !atLeast(have, want)
}

func parseVersion(s string) ([2]int, bool) {
	s = strings.TrimSpace(s)
	var out [2]int
	if s == "" {
		return out, false
	}
	parts := strings.SplitN(s, ".", 3)
	for i := 0; i < 2; i++ {
		if i >= len(parts) {
			if i == 0 {
				return out, false
			}
			break
		}
		digits := parts[i]
		for j, c := range digits {
			if c < '0' || c > '9' {
				digits = digits[:j]
				break
			}
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// ValidVersion reports whether s parses as a stack version ("6.1", "7.2.0",
// "6.1.0-18-amd64").
func ValidVersion(s string) bool {
	_, ok := parseVersion(s)
	return ok
}
