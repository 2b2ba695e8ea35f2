package novaservice

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCleanLine checks the line cleaner: no colour codes survive, it is idempotent, and a
// refusal marker in the raw line is still classified as a refusal after cleaning.
func FuzzCleanLine(f *testing.F) {
	for _, s := range []string{logAccept, logRefuse, logTrace, logOther, "\x1b[01;31mERROR\x1b[00m", "\x1b[", "a\r\n", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c := cleanLine(raw)
		if ansiRE.MatchString(c) && !ansiRE.MatchString(ansiRE.ReplaceAllString(raw, "")) {
			t.Fatalf("cleanLine(%q) = %q still has a colour code", raw, c)
		}
		if again := cleanLine(c); again != c && !strings.Contains(raw, "\x1b") {
			t.Fatalf("cleanLine not idempotent: %q -> %q -> %q", raw, c, again)
		}
		o := WaitOptions{}.withDefaults()
		if strings.Contains(ansiRE.ReplaceAllString(raw, ""), RefuseMarker) && classify(c, o) != lineRefuse {
			t.Fatalf("refusal lost: %q cleaned to %q", raw, c)
		}
	})
}

// FuzzLogFollower appends data in two chunks split at an arbitrary point and checks that the
// follower returns exactly the newline-separated lines after the mark.
func FuzzLogFollower(f *testing.F) {
	f.Add([]byte(logOther), []byte(logStarting+logAccept), uint16(10))
	f.Add([]byte(""), []byte("a\nb"), uint16(1))
	f.Add([]byte("x\n"), []byte("\n\n\n"), uint16(0))
	f.Fuzz(func(t *testing.T, before, after []byte, split uint16) {
		path := filepath.Join(t.TempDir(), "log")
		if err := os.WriteFile(path, before, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := MarkLog(path)
		if err != nil {
			t.Fatal(err)
		}
		lf := newLogFollower(m)
		defer lf.close()
		if err := lf.openInitial(m); err != nil {
			t.Fatal(err)
		}
		cut := int(split) % (len(after) + 1)
		var got []string
		for i, chunk := range [][]byte{after[:cut], after[cut:]} {
			fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			fh.Write(chunk)
			fh.Close()
			lines, err := lf.poll(i == 1)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, lines...)
		}
		var want []string
		if len(after) > 0 {
			want = strings.Split(string(bytes.TrimSuffix(after, []byte("\n"))), "\n")
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
			t.Fatalf("lines = %q, want %q", got, want)
		}
	})
}
