package ansiblemod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// Censoring markers, as in ansible.module_utils.common.parameters.
const (
	// NoLogMarker replaces a no_log value inside a longer string.
	NoLogMarker = "********"
	// NoLogValue replaces a string that is exactly a no_log value.
	NoLogValue = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
)

// reservedKeys are result keys that Result fields own.
var reservedKeys = map[string]bool{
	"changed": true, "failed": true, "msg": true, "skipped": true, "ansible_facts": true,
	"diff": true, "warnings": true, "deprecations": true, "invocation": true, "exception": true,
}

// Func is a module's body. It reads m, fills r, and returns an error to fail
// the task (wrap it with WithFields to add result keys). ctx is cancelled on
// SIGINT/SIGTERM.
type Func func(ctx context.Context, m *Module, r *Result) error

// Run is a module's whole main: it points stdout at stderr so that stray
// prints cannot corrupt the result, reads and validates the arguments file
// named by args[1], calls fn (recovering panics), and writes exactly one
// JSON object to the real stdout. It returns the process exit code: 0, or 1
// when the result is a failure.
//
//	func main() { os.Exit(ansiblemod.Run(spec, os.Args, run)) }
func Run(spec Spec, args []string, fn Func) int {
	out, restore := guardStdout()
	defer restore()
	return run(spec, args, out, fn)
}

// run is Run without the stdout redirection.
func run(spec Spec, args []string, out io.Writer, fn Func) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	obj, failed := execute(ctx, spec, args, fn)
	if _, err := out.Write(obj); err != nil || failed {
		return 1
	}
	return 0
}

// execute returns the encoded result (one JSON object and a newline) and
// whether it is a failure.
func execute(ctx context.Context, spec Spec, args []string, fn Func) ([]byte, bool) {
	name := spec.Name
	if name == "" {
		name = "unnamed"
	}
	if err := spec.Validate(); err != nil {
		return failure(fmt.Sprintf("the argument spec of module %s is invalid; this is a bug in the module, not in your task: %s", name, strings.ReplaceAll(err.Error(), "\n", "; ")))
	}
	if fn == nil {
		return failure(fmt.Sprintf("module %s has no module function; this is a bug in the module", name))
	}
	if len(args) != 2 {
		prog := name
		if len(args) > 0 {
			prog = args[0]
		}
		return failure(fmt.Sprintf("%s is an Ansible module: Ansible runs it with the path of a JSON arguments file as its only argument, but it got %d arguments. To run it by hand: %s ARGS.json", prog, max(len(args)-1, 0), prog))
	}
	data, err := readArgs(args[1], stdin)
	if err != nil {
		return failure(fmt.Sprintf("module %s cannot read its arguments file: %v. Ansible passes the path of a JSON file holding the task's parameters (or - to read them from standard input); when running by hand, give an existing readable file", name, err))
	}
	return handle(ctx, spec, name, args[1], data, fn)
}

// stdin is where the arguments come from when the path is "-" (the
// collection's action plugin sends them there: no arguments file to copy).
var stdin io.Reader = os.Stdin

// maxArgsSize bounds the arguments read from standard input.
const maxArgsSize = 64 << 20

func readArgs(path string, in io.Reader) ([]byte, error) {
	if path != "-" {
		return os.ReadFile(path)
	}
	data, err := io.ReadAll(io.LimitReader(in, maxArgsSize+1))
	if err != nil {
		return nil, fmt.Errorf("read standard input: %w", err)
	}
	if len(data) > maxArgsSize {
		return nil, fmt.Errorf("standard input holds more than %d bytes of arguments", maxArgsSize)
	}
	return data, nil
}

// control holds the _ansible_* keys the runtime understands.
type control struct {
	checkMode, diff, noLog, debug, ignoreUnknown bool
	verbosity                                    int
	moduleName, tmpdir                           string
}

// parseArgs decodes the arguments file: one JSON object, optionally wrapped
// in {"ANSIBLE_MODULE_ARGS": {...}}. It splits user parameters from the
// control keys; unknown _ansible_* keys are ignored.
func parseArgs(path string, data []byte) (map[string]any, control, error) {
	var c control
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, c, fmt.Errorf("arguments file %s is not valid JSON: %w; it must hold one JSON object of parameters", path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, c, fmt.Errorf("arguments file %s has data after the JSON object; it must hold exactly one JSON object", path)
	}
	obj, ok := top.(map[string]any)
	if !ok {
		return nil, c, fmt.Errorf("arguments file %s holds a JSON %s, not an object; it must hold one JSON object of parameters", path, typeName(top))
	}
	if w, ok := obj["ANSIBLE_MODULE_ARGS"]; ok {
		inner, isObj := w.(map[string]any)
		if !isObj {
			return nil, c, fmt.Errorf("arguments file %s: ANSIBLE_MODULE_ARGS holds a JSON %s, not an object", path, typeName(w))
		}
		obj = inner
	}
	user := map[string]any{}
	var errs []error
	boolKey := func(k string, v any, dst *bool) {
		b, err := toBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("control key %s: %w", k, err))
		}
		*dst = b
	}
	for k, v := range obj {
		if !strings.HasPrefix(k, "_ansible_") {
			user[k] = v
			continue
		}
		if v == nil {
			continue
		}
		switch k {
		case "_ansible_check_mode":
			boolKey(k, v, &c.checkMode)
		case "_ansible_diff":
			boolKey(k, v, &c.diff)
		case "_ansible_no_log":
			boolKey(k, v, &c.noLog)
		case "_ansible_debug":
			boolKey(k, v, &c.debug)
		case "_ansible_ignore_unknown_opts":
			boolKey(k, v, &c.ignoreUnknown)
		case "_ansible_verbosity":
			n, err := toInt(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("control key %s: %w", k, err))
			}
			c.verbosity = n
		case "_ansible_module_name":
			c.moduleName, _ = v.(string)
		case "_ansible_tmpdir":
			c.tmpdir, _ = v.(string)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, c, fmt.Errorf("arguments file %s: %w", path, err)
	}
	return user, c, nil
}

// handle runs everything after the arguments file has been read.
func handle(ctx context.Context, spec Spec, name, path string, data []byte, fn Func) ([]byte, bool) {
	user, c, err := parseArgs(path, data)
	if err != nil {
		return failure(fmt.Sprintf("module %s: %v", name, err))
	}
	if c.moduleName != "" {
		name = c.moduleName
	}
	v := validate(spec, name, user, c.ignoreUnknown)
	cz := censor{values: v.noLog}
	if len(v.errs) > 0 {
		out := map[string]any{"failed": true, "changed": false, "msg": strings.Join(v.errs, "; ")}
		if len(v.warnings) > 0 {
			out["warnings"] = v.warnings
		}
		return encode(out, cz, true)
	}
	m := &Module{
		Name: name, Params: v.params, CheckMode: c.checkMode, Diff: c.diff, NoLog: c.noLog,
		Debug: c.debug, Verbosity: c.verbosity, Tmpdir: c.tmpdir, spec: spec, given: v.given,
	}
	invocation := map[string]any{"module_args": invocationArgs(spec, v.params)}
	r := &Result{Warnings: v.warnings}
	if m.CheckMode && !spec.SupportsCheckMode {
		out := map[string]any{"changed": false, "skipped": true, "msg": fmt.Sprintf("remote module (%s) does not support check mode", name)}
		return encode(out, cz, false)
	}
	err = call(ctx, fn, m, r)
	out := resultMap(m, r)
	if !m.NoLog {
		out["invocation"] = invocation
	}
	if err == nil {
		return encode(out, cz, false)
	}
	fields := fieldsOf(err)
	for _, k := range sortedKeys(fields) {
		val := fields[k]
		if reservedKeys[k] || strings.HasPrefix(k, "_ansible_") {
			appendWarning(out, fmt.Sprintf("module %s set reserved result key %q on its failure; it was dropped", name, k))
			continue
		}
		out[k] = val
	}
	out["failed"] = true
	out["msg"] = err.Error()
	var pe *panicError
	if errors.As(err, &pe) && m.Verbosity >= 3 {
		out["exception"] = string(pe.stack)
	}
	return encode(out, cz, true)
}

// invocationArgs returns module_args for the invocation key, with no_log
// parameters replaced as AnsibleModule does.
func invocationArgs(spec Spec, params map[string]any) map[string]any {
	out := make(map[string]any, len(params))
	for k, val := range params {
		if spec.Params[k].NoLog && val != nil {
			val = NoLogValue
		}
		out[k] = val
	}
	return out
}

// panicError is a recovered panic of the module function.
type panicError struct {
	msg   string
	stack []byte
}

func (p *panicError) Error() string { return p.msg }

func call(ctx context.Context, fn Func, m *Module, r *Result) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{
				msg:   fmt.Sprintf("module %s crashed (panic: %v); this is a bug in the module, please report it with the task that triggered it (run with -vvv for the stack trace in 'exception')", m.Name, p),
				stack: debug.Stack(),
			}
		}
	}()
	if err := fn(ctx, m, r); err != nil {
		if strings.TrimSpace(err.Error()) == "" {
			return WithFields(fmt.Errorf("module %s failed without a message", m.Name), fieldsOf(err))
		}
		return err
	}
	return nil
}
