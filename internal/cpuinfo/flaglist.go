package cpuinfo

import (
	"fmt"
	"strings"
)

// parseFlagList parses a plain flag list, one flag per line (the manual
// procedure's *.flags-lscpu.sorted files). Leading and trailing blanks, blank
// lines and '#' comments are accepted; any other line must be one flag name.
func parseFlagList(data []byte) (*CPU, error) {
	c := &CPU{Format: FormatFlagList}
	text := string(data)
	lineNo := 0
	for len(text) > 0 {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		lineNo++
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			continue
		}
		if strings.ContainsAny(s, " \t\v\f") {
			return nil, fmt.Errorf("line %d: %w: %q holds more than one token; give one flag per line", lineNo, ErrInvalidFlag, truncate(s))
		}
		if !validFlag(s) {
			return nil, fmt.Errorf("line %d: %w %q: Linux flag names are lower-case letters, digits and '_'; give one flag per line", lineNo, ErrInvalidFlag, truncate(s))
		}
		c.Flags = append(c.Flags, s)
	}
	if len(c.Flags) == 0 {
		if strings.TrimSpace(string(data)) == "" {
			return nil, fmt.Errorf("%w: give a flag list, one flag per line", ErrEmpty)
		}
		return nil, fmt.Errorf("%w: the flag list has only comments; give one flag per line", ErrNoFlags)
	}
	return c.finish()
}
