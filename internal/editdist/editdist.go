// Package editdist measures how far apart two names are, for "did you mean"
// suggestions on misspelt parameters, CPU models and features.
package editdist

// MaxLen bounds the inputs: longer strings are not names, and comparing
// them would cost quadratic time on hostile input.
const MaxLen = 128

// Far is the distance reported for inputs longer than MaxLen that differ.
const Far = 1 << 20

// Distance is the Levenshtein distance between a and b, counted in bytes.
func Distance(a, b string) int {
	if len(a) > MaxLen || len(b) > MaxLen {
		if a == b {
			return 0
		}
		return Far
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
