package libvirt

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// update re-records testdata/virsh/*.txtar from the live libvirt (qemu:///system
// or $CPUFLAGS_LIBVIRT_URI): go test ./internal/libvirt -run TestFixture -update
// Read the recorded files afterwards: the expectations in the tests are
// written by hand from them.
var update = flag.Bool("update", false, "re-record testdata/virsh fixtures from the live libvirt")

// call is one recorded virsh invocation.
type call struct {
	args   []string
	stdin  []byte // nil: no stdin
	stdout []byte
	stderr []byte
	exit   int
}

// recordingRunner wraps a real Virsh and remembers every call.
type recordingRunner struct {
	r     Runner
	mu    sync.Mutex
	calls []call
}

func (r *recordingRunner) Run(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	out, err := r.r.Run(ctx, stdin, args...)
	c := call{args: args, stdin: stdin, stdout: out}
	var ee *ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		c.stderr, c.exit = ee.Stderr, ee.ExitCode
	default:
		return out, err // not recordable: virsh did not run
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	return out, err
}

// fakeReplayRunner is a fake Runner that replays recorded calls in order and
// fails the test when the client asks something else than was recorded.
type fakeReplayRunner struct {
	t     *testing.T
	name  string
	mu    sync.Mutex
	calls []call
}

func (f *fakeReplayRunner) Run(_ context.Context, stdin []byte, args ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		f.t.Errorf("fixture %s: unexpected extra virsh call %q", f.name, args)
		return nil, errors.New("fake: no more recorded calls")
	}
	c := f.calls[0]
	f.calls = f.calls[1:]
	if strings.Join(args, "\x00") != strings.Join(c.args, "\x00") {
		f.t.Errorf("fixture %s: virsh args = %q, recorded %q", f.name, args, c.args)
	}
	if !bytes.Equal(stdin, c.stdin) {
		f.t.Errorf("fixture %s: stdin differs from the recording (re-record with -update if intended)\ngot:\n%s\nrecorded:\n%s", f.name, stdin, c.stdin)
	}
	if c.exit != 0 {
		return c.stdout, &ExitError{Args: args, ExitCode: c.exit, Stderr: c.stderr}
	}
	return c.stdout, nil
}

func fixturePath(name string) string {
	return filepath.Join("testdata", "virsh", name+".txtar")
}

func writeFixture(t *testing.T, name, comment string, calls []call) {
	t.Helper()
	ar := &archive{Comment: []byte(comment + "\n")}
	for i, c := range calls {
		p := strconv.Itoa(i+1) + "."
		ar.Files = append(ar.Files, archiveFile{Name: p + "args", Data: []byte(strings.Join(c.args, "\n") + "\n")})
		if c.stdin != nil {
			ar.Files = append(ar.Files, archiveFile{Name: p + "stdin", Data: c.stdin})
		}
		ar.Files = append(ar.Files,
			archiveFile{Name: p + "stdout", Data: c.stdout},
			archiveFile{Name: p + "stderr", Data: c.stderr},
			archiveFile{Name: p + "exit", Data: []byte(strconv.Itoa(c.exit) + "\n")},
		)
	}
	if err := os.MkdirAll(filepath.Dir(fixturePath(name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fixturePath(name), ar.format(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFixture(t *testing.T, name string) []call {
	t.Helper()
	ar, err := parseArchiveFile(fixturePath(name))
	if err != nil {
		t.Fatalf("read fixture: %v (record it with -update)", err)
	}
	var calls []call
	for _, f := range ar.Files {
		idx, kind, ok := strings.Cut(f.Name, ".")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || n < 1 {
			t.Fatalf("fixture %s: bad section %q", name, f.Name)
		}
		for len(calls) < n {
			calls = append(calls, call{})
		}
		c := &calls[n-1]
		switch kind {
		case "args":
			c.args = strings.Split(strings.TrimSuffix(string(f.Data), "\n"), "\n")
		case "stdin":
			c.stdin = f.Data
		case "stdout":
			c.stdout = f.Data
		case "stderr":
			c.stderr = f.Data
		case "exit":
			if c.exit, err = strconv.Atoi(strings.TrimSpace(string(f.Data))); err != nil {
				t.Fatalf("fixture %s: bad exit section: %v", name, err)
			}
		default:
			t.Fatalf("fixture %s: unknown section %q", name, f.Name)
		}
	}
	return calls
}

// archive is a txtar archive (golang.org/x/tools/txtar format: a comment,
// then files introduced by "-- name --" lines). It is re-implemented here
// because the module cannot take the txtar dependency.
type archive struct {
	Comment []byte
	Files   []archiveFile
}

type archiveFile struct {
	Name string
	Data []byte
}

func (a *archive) format() []byte {
	var b bytes.Buffer
	b.Write(a.Comment)
	for _, f := range a.Files {
		fmt.Fprintf(&b, "-- %s --\n", f.Name)
		b.Write(f.Data)
		if len(f.Data) > 0 && f.Data[len(f.Data)-1] != '\n' {
			// txtar cannot keep a missing final newline; none of virsh's outputs lack one.
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func parseArchiveFile(path string) (*archive, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	a := &archive{}
	cur := &a.Comment
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		l := strings.TrimSuffix(string(line), "\n")
		if strings.HasPrefix(l, "-- ") && strings.HasSuffix(l, " --") && len(l) > 6 {
			a.Files = append(a.Files, archiveFile{Name: strings.TrimSpace(l[3 : len(l)-3])})
			f := &a.Files[len(a.Files)-1]
			f.Data = []byte{}
			cur = &f.Data
			continue
		}
		*cur = append(*cur, line...)
	}
	return a, nil
}

// fixtureStdout returns the stdout of the first call of a fixture.
func fixtureStdout(t *testing.T, name string) []byte {
	t.Helper()
	calls := readFixture(t, name)
	if len(calls) == 0 {
		t.Fatalf("fixture %s has no calls", name)
	}
	return calls[0].stdout
}

// scenario is one thing the tests ask libvirt; fixtures record its virsh calls.
type scenario struct {
	name    string
	comment string
	uri     string // "" = liveURI()
	do      func(ctx context.Context, c Client) (any, error)
}

func westmere(flags ...string) []byte { return CustomCPUXML("Westmere", flags) }

var scenarios = []scenario{
	{name: "version", comment: "virsh version on the Debian 12 nested-KVM rig host",
		do: func(ctx context.Context, c Client) (any, error) { return c.Versions(ctx) }},
	{name: "version-daemon-down", comment: "virsh version with a URI whose socket does not exist (daemon down)",
		uri: "qemu:///system?socket=/nonexistent/libvirt-sock",
		do:  func(ctx context.Context, c Client) (any, error) { return c.Versions(ctx) }},
	{name: "domcaps-kvm", comment: "virsh domcapabilities --virttype kvm (nested KVM: almost no model usable)",
		do: func(ctx context.Context, c Client) (any, error) { dc, _, err := c.DomCaps(ctx, "kvm"); return dc, err }},
	{name: "domcaps-qemu", comment: "virsh domcapabilities --virttype qemu (TCG)",
		do: func(ctx context.Context, c Client) (any, error) { dc, _, err := c.DomCaps(ctx, "qemu"); return dc, err }},
	{name: "hostmodel-features-kvm", comment: "domcapabilities --virttype kvm piped to hypervisor-cpu-baseline --features",
		do: func(ctx context.Context, c Client) (any, error) {
			dc, raw, err := c.DomCaps(ctx, "kvm")
			if err != nil {
				return nil, err
			}
			return c.HostModelFeatures(ctx, dc, raw)
		}},
}

func init() {
	compares := []struct {
		flag string
	}{{"pcid"}, {"avx512f"}, {"sse4.1"}, {"fma4"}, {"sse4_1"}, {"constant_tsc"}, {"tsc_deadline_timer"}}
	for _, cmp := range compares {
		xml := westmere(cmp.flag)
		scenarios = append(scenarios,
			scenario{name: "cpu-compare-westmere+" + cmp.flag,
				comment: "virsh cpu-compare (compareCPU, Nova <= Zed) of Westmere + " + cmp.flag,
				do:      func(ctx context.Context, c Client) (any, error) { return c.CompareCPU(ctx, xml) }},
			scenario{name: "hypervisor-cpu-compare-kvm-westmere+" + cmp.flag,
				comment: "virsh hypervisor-cpu-compare --virttype kvm (compareHypervisorCPU, Nova >= 2023.1) of Westmere + " + cmp.flag,
				do:      func(ctx context.Context, c Client) (any, error) { return c.CompareHypervisorCPU(ctx, xml, "kvm") }},
		)
	}
	scenarios = append(scenarios,
		scenario{name: "hypervisor-cpu-compare-default-westmere",
			comment: "hypervisor-cpu-compare without --virttype (what Nova passes: None) of plain Westmere",
			do:      func(ctx context.Context, c Client) (any, error) { return c.CompareHypervisorCPU(ctx, westmere(), "") }},
		scenario{name: "hypervisor-cpu-compare-qemu-westmere+sse4.1",
			comment: "hypervisor-cpu-compare --virttype qemu (TCG) of Westmere + sse4.1",
			do: func(ctx context.Context, c Client) (any, error) {
				return c.CompareHypervisorCPU(ctx, westmere("sse4.1"), "qemu")
			}},
	)
}

var (
	recordedMu sync.Mutex
	recorded   = map[string]bool{}
)

// runScenario records (with -update) or replays the scenario's virsh calls.
func runScenario(t *testing.T, name string) (any, error) {
	t.Helper()
	var sc *scenario
	for i := range scenarios {
		if scenarios[i].name == name {
			sc = &scenarios[i]
		}
	}
	if sc == nil {
		t.Fatalf("no scenario %q", name)
	}
	ctx := context.Background()
	recordedMu.Lock()
	record := *update && !recorded[name]
	recorded[name] = true
	recordedMu.Unlock()
	if record {
		liveClient(t) // fails or skips when libvirt is unreachable, instead of recording nothing
		uri := sc.uri
		if uri == "" {
			uri = liveURI()
		}
		rec := &recordingRunner{r: Virsh{URI: uri}}
		if _, err := sc.do(ctx, Client{R: rec}); err != nil && !errors.As(err, new(*ExitError)) {
			t.Logf("scenario %s: live error (recorded as is): %v", name, err)
		}
		writeFixture(t, name, sc.comment, rec.calls)
	}
	fake := &fakeReplayRunner{t: t, name: name, calls: readFixture(t, name)}
	v, err := sc.do(ctx, Client{R: fake})
	if len(fake.calls) != 0 {
		t.Errorf("fixture %s: %d recorded calls not made", name, len(fake.calls))
	}
	return v, err
}

func TestFixtureScenariosAllRecorded(t *testing.T) {
	for _, sc := range scenarios {
		runScenario(t, sc.name) // records with -update; replays and checks args/stdin otherwise
		if _, err := os.Stat(fixturePath(sc.name)); err != nil {
			t.Errorf("scenario %s: %v (record with -update)", sc.name, err)
		}
	}
}
