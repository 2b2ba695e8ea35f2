// Package report renders a cluster baseline (baseline.Result) for people and
// programs: report.md (Markdown, for a ticket or a pull request), report.html
// (one self-contained page for operators, with a host × feature matrix that
// shows who lacks what) and report.json (the Result itself, indented, keys
// in a stable order).
//
// Every name in a Result (hosts, features, models, sentences) is treated as
// untrusted: the HTML goes through html/template, the Markdown escapes
// everything outside code spans and fences, so a host named <script> shows
// as text.
package report
