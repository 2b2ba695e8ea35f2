// Package ansiblemod is the small runtime shared by the collection's Go binary
// modules; only cmd/<module>/main.go imports it, never a domain package.
//
// Protocol: ansible-core copies the binary to the target and runs it as
// "<tmp>/AnsiballZ_<name> <tmp>/args". The args file is one flat JSON object
// holding the task's parameters plus control keys named "_ansible_*"
// (check mode, diff, no_log, verbosity, module name, ...). The module must
// print exactly one JSON object on stdout and nothing else; ansible-core
// ignores the exit code when that JSON parses, so failures carry an explicit
// "failed": true and a "msg". Check mode, diff and no_log censoring are the
// module's own job, as is argument validation: ansible-core does not enforce
// the argument spec of a binary module. Run does all of that around a
// module function.
package ansiblemod
