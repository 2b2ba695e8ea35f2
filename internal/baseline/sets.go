package baseline

import (
	"sort"
)

func toSet(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, x := range s {
		m[x] = true
	}
	return m
}

func setList(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func minus(s []string, drop map[string]bool) []string {
	out := []string{}
	for _, x := range s {
		if !drop[x] {
			out = append(out, x)
		}
	}
	return out
}
