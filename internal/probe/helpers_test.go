package probe

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Small assertion helpers (testify's go.sum entries are incomplete in this module).

func msg(args []any) string {
	if len(args) == 0 {
		return ""
	}
	if f, ok := args[0].(string); ok {
		return ": " + fmt.Sprintf(f, args[1:]...)
	}
	return ": " + fmt.Sprint(args...)
}

func noErr(t *testing.T, err error, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error %v%s", err, msg(args))
	}
}

func eq(t *testing.T, want, got any, args ...any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Errorf("want %#v, got %#v%s", want, got, msg(args))
	}
}

func has(t *testing.T, container, elem any, args ...any) {
	t.Helper()
	if s, ok := container.(string); ok {
		if !strings.Contains(s, fmt.Sprint(elem)) {
			t.Errorf("%q does not contain %q%s", s, elem, msg(args))
		}
		return
	}
	v := reflect.ValueOf(container)
	for i := 0; i < v.Len(); i++ {
		if reflect.DeepEqual(v.Index(i).Interface(), elem) {
			return
		}
	}
	t.Errorf("%v does not contain %v%s", container, elem, msg(args))
}

func length(t *testing.T, x any, n int, args ...any) {
	t.Helper()
	if l := reflect.ValueOf(x).Len(); l != n {
		t.Errorf("length %d, want %d (%v)%s", l, n, x, msg(args))
	}
}
