package novaservice

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// LogMark is a position in a log file, taken just before a restart with MarkLog.
// Besides the byte offset it remembers which file it was (to notice rotation) and the
// bytes just before the offset (to notice a truncated file that grew past the offset again).
type LogMark struct {
	// Path is the log file.
	Path string
	// Offset is the file size when the mark was taken.
	Offset int64

	info   os.FileInfo // nil when the file did not exist
	anchor []byte
}

const anchorLen = 64

// MarkLog records the current end of the log at path. A missing file is a valid mark at offset 0.
func MarkLog(path string) (LogMark, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return LogMark{Path: path}, nil
	}
	if err != nil {
		return LogMark{}, fmt.Errorf("mark log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return LogMark{}, fmt.Errorf("mark log %s: %w", path, err)
	}
	m := LogMark{Path: path, Offset: fi.Size(), info: fi}
	m.anchor = readAnchor(f, m.Offset)
	return m, nil
}

func readAnchor(f *os.File, off int64) []byte {
	start := off - anchorLen
	if start < 0 {
		start = 0
	}
	buf := make([]byte, off-start)
	n, _ := f.ReadAt(buf, start)
	return buf[:n]
}

// logFollower reads complete lines appended to a log after a mark. It survives
// rotation (rename + new file: the old file is drained first) and truncation
// (copytruncate: reading restarts at 0).
type logFollower struct {
	path    string
	f       *os.File
	pos     int64
	anchor  []byte // last bytes before pos in f, to detect truncate-and-regrow
	partial []byte
	resets  int // how many times rotation/truncation was noticed (for tests and reasons)
}

func newLogFollower(m LogMark) *logFollower {
	return &logFollower{path: m.Path, pos: m.Offset, anchor: m.anchor}
}

// open attaches to the file at l.path. first says whether this is the file the mark was taken on.
func (l *logFollower) openInitial(m LogMark) error {
	f, err := os.Open(l.path)
	if errors.Is(err, os.ErrNotExist) {
		l.pos, l.anchor = 0, nil
		return nil // not created yet
	}
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat log %s: %w", l.path, err)
	}
	if m.info != nil && !os.SameFile(m.info, fi) {
		// Rotated between the mark and now: the lines after the mark are in the old file,
		// which logrotate names path.1. Read those first when it is the same file.
		if old, err := os.Open(l.path + ".1"); err == nil {
			if ofi, err := old.Stat(); err == nil && os.SameFile(m.info, ofi) {
				l.f = old
				l.resets++
				f.Close()
				return nil
			}
			old.Close()
		}
		l.pos, l.anchor = 0, nil
		l.resets++
	}
	l.f = f
	return nil
}

// poll returns the complete lines appended since the last call. When final is true
// a trailing line without newline is returned as well.
func (l *logFollower) poll(final bool) ([]string, error) {
	var lines []string
	for {
		if l.f == nil {
			f, err := os.Open(l.path)
			if errors.Is(err, os.ErrNotExist) {
				break
			}
			if err != nil {
				return lines, fmt.Errorf("open log: %w", err)
			}
			l.f, l.pos, l.anchor = f, 0, nil
		}
		if l.truncated() {
			l.pos, l.anchor, l.partial = 0, nil, nil
			l.resets++
		}
		if err := l.readTo(&lines); err != nil {
			return lines, err
		}
		// Rotated away? Switch to the new file once the old one is drained.
		cur, err := os.Stat(l.path)
		if err != nil {
			break // file removed and not recreated yet: keep the old handle
		}
		old, err := l.f.Stat()
		if err == nil && os.SameFile(old, cur) {
			break
		}
		l.flushPartial(&lines)
		l.f.Close()
		l.f = nil
		l.resets++
	}
	if final {
		l.flushPartial(&lines)
	}
	return lines, nil
}

// truncated reports whether the file shrank below pos or its bytes before pos changed.
func (l *logFollower) truncated() bool {
	fi, err := l.f.Stat()
	if err != nil {
		return false
	}
	if fi.Size() < l.pos {
		return true
	}
	if len(l.anchor) == 0 {
		return false
	}
	got := readAnchor(l.f, l.pos)
	return !bytes.Equal(got, l.anchor)
}

func (l *logFollower) readTo(lines *[]string) error {
	buf := make([]byte, 64*1024)
	for {
		n, err := l.f.ReadAt(buf, l.pos)
		if n > 0 {
			chunk := buf[:n]
			l.pos += int64(n)
			l.anchor = append(l.anchor, chunk...)
			if len(l.anchor) > anchorLen {
				l.anchor = append([]byte(nil), l.anchor[len(l.anchor)-anchorLen:]...)
			}
			data := append(l.partial, chunk...)
			for {
				i := bytes.IndexByte(data, '\n')
				if i < 0 {
					break
				}
				*lines = append(*lines, string(data[:i]))
				data = data[i+1:]
			}
			l.partial = append([]byte(nil), data...)
		}
		if errors.Is(err, io.EOF) || n == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read log %s: %w", l.path, err)
		}
	}
}

func (l *logFollower) flushPartial(lines *[]string) {
	if len(l.partial) > 0 {
		*lines = append(*lines, string(l.partial))
		l.partial = nil
	}
}

func (l *logFollower) close() {
	if l.f != nil {
		l.f.Close()
	}
}
