package editdist

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b   string
		want   int
		reason string
	}{
		{"", "", 0, "empty strings are equal"},
		{"format", "format", 0, "equal strings"},
		{"fromat", "format", 2, "a transposition costs two edits"},
		{"Broadwel-noTSX", "Broadwell-noTSX", 1, "one missing letter"},
		{"kitten", "sitting", 3, "the textbook example"},
		{"", "abc", 3, "insertions only"},
		{strings.Repeat("a", MaxLen+1), strings.Repeat("a", MaxLen+1), 0, "long equal strings are equal"},
		{strings.Repeat("a", MaxLen+1), "a", Far, "long inputs are not compared letter by letter"},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%.20q, %.20q) = %d, want %d (%s)", tt.a, tt.b, got, tt.want, tt.reason)
		}
	}
}

func FuzzDistance(f *testing.F) {
	f.Add("fromat", "format")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := Distance(a, b)
		if d != Distance(b, a) {
			t.Fatalf("not symmetric for %q, %q", a, b)
		}
		if (d == 0) != (a == b) {
			t.Fatalf("Distance(%q, %q) = %d", a, b, d)
		}
		if len(a) <= MaxLen && len(b) <= MaxLen && d > max(len(a), len(b)) {
			t.Fatalf("Distance(%q, %q) = %d exceeds the longer length", a, b, d)
		}
	})
}
