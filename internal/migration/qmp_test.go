package migration

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeQMPServer is a fake QEMU monitor for the client tests: it sends a
// greeting, then answers each command line with handler's lines.
func fakeQMPServer(t *testing.T, greeting string, handler func(req map[string]any) []string) string {
	t.Helper()
	sock := filepath.Join(shortTempDir(t), "fake.qmp")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.Write([]byte(greeting + "\n"))
		sc := bufio.NewScanner(conn)
		for sc.Scan() {
			var req map[string]any
			if json.Unmarshal(sc.Bytes(), &req) != nil {
				return
			}
			for _, line := range handler(req) {
				conn.Write([]byte(line + "\n"))
			}
		}
	}()
	return sock
}

func idOf(req map[string]any) string {
	b, _ := json.Marshal(req["id"])
	return string(b)
}

const fakeGreeting = `{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, "capabilities": ["oob"]}}`

func TestQMPClientAgainstFake(t *testing.T) {
	var seen []string
	sock := fakeQMPServer(t, fakeGreeting, func(req map[string]any) []string {
		cmd, _ := req["execute"].(string)
		seen = append(seen, cmd)
		id := idOf(req)
		switch cmd {
		case "qmp_capabilities":
			return []string{`{"return": {}, "id": ` + id + `}`}
		case "query-status":
			return []string{
				`{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RESUME"}`,
				`{"return": {"status": "stale"}, "id": 999}`,
				`{"return": {"status": "running", "running": true}, "id": ` + id + `}`,
			}
		case "migrate":
			return []string{`{"error": {"class": "GenericError", "desc": "There's a migration process in progress"}, "id": ` + id + `}`}
		}
		return []string{`{"error": {"class": "CommandNotFound", "desc": "The command ` + cmd + ` has not been found"}, "id": ` + id + `}`}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := dialQMP(ctx, sock)
	if err != nil {
		t.Fatalf("dialQMP: %v", err)
	}
	defer c.Close()

	var st struct{ Status string }
	if err := c.execute(ctx, "query-status", nil, &st); err != nil || st.Status != "running" {
		t.Errorf("query-status = %q, %v; want running (event and a reply to another id skipped)", st.Status, err)
	}
	err = c.execute(ctx, "migrate", map[string]any{"uri": "tcp:127.0.0.1:1"}, nil)
	var qe *QMPError
	if !errors.As(err, &qe) || qe.Class != "GenericError" || !strings.Contains(qe.Desc, "in progress") {
		t.Errorf("migrate error = %v; want the fake's GenericError", err)
	}
	if !isQMPError(err) {
		t.Errorf("isQMPError(%v) = false", err)
	}
	if got := strings.Join(seen, ","); got != "qmp_capabilities,query-status,migrate" {
		t.Errorf("commands seen by the fake = %s", got)
	}
}

func TestQMPClientErrors(t *testing.T) {
	tests := []struct {
		name     string
		greeting string
		handler  func(map[string]any) []string
		wantErr  string
		reason   string
	}{
		{"not-qmp", `{"return": {}}`, nil, "is this a QMP socket", "a reply before any greeting is not QMP"},
		{"garbage", `QEMU 7.2.0 monitor - type 'help' for more information`, nil, "parse QMP message", "an HMP monitor's banner is refused"},
		{"caps-refused", fakeGreeting, func(req map[string]any) []string {
			return []string{`{"error": {"class": "CommandNotFound", "desc": "no caps"}, "id": ` + idOf(req) + `}`}
		}, "capabilities negotiation", "a failed negotiation is an error"},
		{"hang", fakeGreeting, func(map[string]any) []string { return nil }, "deadline", "a silent server is bounded by ctx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.handler
			if h == nil {
				h = func(map[string]any) []string { return nil }
			}
			sock := fakeQMPServer(t, tt.greeting, h)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			c, err := dialQMP(ctx, sock)
			if err == nil {
				c.Close()
				t.Fatalf("dialQMP succeeded; want error containing %q (%s)", tt.wantErr, tt.reason)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("dialQMP error = %v; want %q (%s)", err, tt.wantErr, tt.reason)
			}
		})
	}
}

func TestParseQMPMessage(t *testing.T) {
	tests := []struct {
		name, line, kind, reason string
	}{
		{"greeting", fakeGreeting, "greeting", "QEMU's first line"},
		{"event", `{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 0}}`, "event", "asynchronous events"},
		{"return", `{"return": {"status": "completed"}, "id": 3}`, "return", "a command's reply"},
		{"empty-return", `{"return": {}}`, "return", "qmp_capabilities returns an empty object"},
		{"error", `{"error": {"class": "GenericError", "desc": "x"}, "id": 1}`, "error", "a failed command"},
		{"bad-json", `{"return": `, "", "truncated line"},
		{"two-objects", `{"return": {}} {"return": {}}`, "", "trailing data"},
		{"nothing", `{"id": 1}`, "", "neither of the four kinds"},
		{"empty-error", `{"error": {}}`, "", "an error without class or desc"},
		{"array", `[1,2]`, "", "not an object"},
	}
	for _, tt := range tests {
		m, err := parseQMPMessage([]byte(tt.line))
		switch {
		case tt.kind == "" && err == nil:
			t.Errorf("%s: parsed as %q; want an error (%s)", tt.name, m.kind(), tt.reason)
		case tt.kind != "" && err != nil:
			t.Errorf("%s: %v; want %s (%s)", tt.name, err, tt.kind, tt.reason)
		case tt.kind != "" && m.kind() != tt.kind:
			t.Errorf("%s: kind %q; want %q (%s)", tt.name, m.kind(), tt.kind, tt.reason)
		}
	}
}

func FuzzParseQMPMessage(f *testing.F) {
	for _, s := range []string{
		fakeGreeting,
		`{"return": {"status": "completed", "total-time": 12}, "id": 3}`,
		`{"error": {"class": "GenericError", "desc": "x"}, "id": 1}`,
		`{"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 2}}`,
		`{"return": [{"cpuid-register": "ECX", "cpuid-input-eax": 1, "features": 2191008259}]}`,
		`{"return": `, `null`, `{"error": null, "return": null}`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := parseQMPMessage(line)
		if err != nil {
			if m != nil {
				t.Fatalf("error %v with a message", err)
			}
			return
		}
		if m.kind() == "" {
			t.Fatalf("accepted %q without a kind", line)
		}
		if m.kind() == "error" && m.Error.Error() == "" {
			t.Fatalf("error reply %q with an empty message", line)
		}
	})
}

// shortTempDir returns a temporary directory with a path short enough for
// unix sockets (t.TempDir() paths can exceed the 108-byte limit).
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "mig-t-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
