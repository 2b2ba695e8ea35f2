package migration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"
)

// maxQMPLine bounds one QMP message; QEMU's largest reply used here (a full
// CPU model expansion) is about 20 KB.
const maxQMPLine = 4 << 20

// QMPError is an error reply from QEMU: {"error": {"class": ..., "desc": ...}}.
type QMPError struct {
	Class string `json:"class"`
	Desc  string `json:"desc"`
}

// Error returns QEMU's description with its error class.
func (e *QMPError) Error() string { return fmt.Sprintf("%s: %s", e.Class, e.Desc) }

// qmpMessage is one line QEMU sends: a greeting, an event, or a reply.
type qmpMessage struct {
	Greeting json.RawMessage `json:"QMP,omitempty"`
	Event    string          `json:"event,omitempty"`
	Return   json.RawMessage `json:"return,omitempty"`
	Error    *QMPError       `json:"error,omitempty"`
	ID       json.RawMessage `json:"id,omitempty"`
}

// kind names what a parsed message is.
func (m *qmpMessage) kind() string {
	switch {
	case m.Greeting != nil:
		return "greeting"
	case m.Event != "":
		return "event"
	case m.Error != nil:
		return "error"
	case m.Return != nil:
		return "return"
	}
	return ""
}

// parseQMPMessage parses one line from a QMP socket. It accepts exactly one
// JSON object that is a greeting, an event, a return or an error reply.
func parseQMPMessage(line []byte) (*qmpMessage, error) {
	var m qmpMessage
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("parse QMP message %.80q: %w", line, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("parse QMP message %.80q: trailing data after the JSON object", line)
	}
	if m.Error != nil && m.Error.Desc == "" && m.Error.Class == "" {
		return nil, fmt.Errorf("parse QMP message %.80q: error reply without class or desc", line)
	}
	if m.kind() == "" {
		return nil, fmt.Errorf("parse QMP message %.80q: neither greeting, event, return nor error", line)
	}
	return &m, nil
}

// qmpClient talks QMP over one connection, one command at a time.
type qmpClient struct {
	conn   net.Conn
	r      *bufio.Reader
	nextID int
}

// dialQMP connects to the unix socket at path, reads the greeting and
// negotiates capabilities. The connection's deadline follows ctx.
func dialQMP(ctx context.Context, path string) (*qmpClient, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("connect to QMP socket %s: %w", path, err)
	}
	c := &qmpClient{conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}
	msg, err := c.read(ctx)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("QMP greeting on %s: %w", path, err)
	}
	if msg.kind() != "greeting" {
		conn.Close()
		return nil, fmt.Errorf("QMP greeting on %s: got a %s first; is this a QMP socket (-qmp, not -monitor)?", path, msg.kind())
	}
	if err := c.execute(ctx, "qmp_capabilities", nil, nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("QMP capabilities negotiation on %s: %w", path, err)
	}
	return c, nil
}

// Close closes the connection.
func (c *qmpClient) Close() error { return c.conn.Close() }

func (c *qmpClient) setDeadline(ctx context.Context) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Time{}
	}
	_ = c.conn.SetDeadline(dl)
}

// read returns the next message, waiting no longer than ctx allows.
func (c *qmpClient) read(ctx context.Context) (*qmpMessage, error) {
	c.setDeadline(ctx)
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Now()) })
	defer stop()
	var line []byte
	for {
		chunk, isPrefix, err := c.r.ReadLine()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ne net.Error
			if dl, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(dl) {
				return nil, context.DeadlineExceeded
			}
			return nil, err
		}
		line = append(line, chunk...)
		if len(line) > maxQMPLine {
			return nil, fmt.Errorf("QMP message longer than %d bytes", maxQMPLine)
		}
		if !isPrefix {
			break
		}
	}
	return parseQMPMessage(line)
}

// execute sends one command and decodes its return value into out (when
// out is not nil). Events arriving meanwhile are skipped; an error reply is
// returned as a *QMPError.
func (c *qmpClient) execute(ctx context.Context, cmd string, args any, out any) error {
	c.nextID++
	id := c.nextID
	req := map[string]any{"execute": cmd, "id": id}
	if args != nil {
		req["arguments"] = args
	}
	b, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("QMP %s: encode arguments: %w", cmd, err)
	}
	c.setDeadline(ctx)
	if _, err := c.conn.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("QMP %s: send: %w", cmd, err)
	}
	for {
		msg, err := c.read(ctx)
		if err != nil {
			return fmt.Errorf("QMP %s: %w", cmd, err)
		}
		switch msg.kind() {
		case "event", "greeting":
			continue
		}
		var got int
		if json.Unmarshal(msg.ID, &got) != nil || got != id {
			continue // a reply to an earlier, abandoned command
		}
		if msg.Error != nil {
			return fmt.Errorf("QMP %s: %w", cmd, msg.Error)
		}
		if out != nil {
			if err := json.Unmarshal(msg.Return, out); err != nil {
				return fmt.Errorf("QMP %s: decode reply %.200s: %w", cmd, msg.Return, err)
			}
		}
		return nil
	}
}

// isQMPError reports whether err carries an error reply from QEMU.
func isQMPError(err error) bool {
	var q *QMPError
	return errors.As(err, &q)
}
