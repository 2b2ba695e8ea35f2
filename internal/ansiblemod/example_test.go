package ansiblemod_test

import (
	"context"
	"fmt"
	"os"

	"github.com/kvm-migration/cpuflags/internal/ansiblemod"
)

var spec = ansiblemod.Spec{
	Name: "cpu_flags_hello",
	Params: map[string]ansiblemod.Param{
		"name":  {Required: true, Aliases: []string{"who"}},
		"state": {Default: "present", Choices: []string{"present", "absent"}},
		"flags": {Type: ansiblemod.TypeList},
	},
	SupportsCheckMode: true,
}

func run(_ context.Context, m *ansiblemod.Module, r *ansiblemod.Result) error {
	if len(m.List("flags")) == 0 {
		return fmt.Errorf("flags is empty; give at least one CPU flag, e.g. flags: [vmx]")
	}
	r.Changed = !m.CheckMode
	r.Msg = fmt.Sprintf("%s: %d flags", m.Str("name"), len(m.List("flags")))
	return nil
}

// Example shows a module's whole cmd/<module>/main.go.
func Example() {
	main := func() { os.Exit(ansiblemod.Run(spec, os.Args, run)) }
	_ = main // in cmd/<module>/main.go: func main() { os.Exit(ansiblemod.Run(spec, os.Args, run)) }
	fmt.Println(spec.Validate() == nil)
	// Output: true
}
