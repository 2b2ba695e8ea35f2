// Package probe decides which CPU flags nova-compute accepts on this host for
// a base CPU model, and says for each rejected flag why, in Nova's or
// libvirt's own words.
//
// A Prober answers one Trial (a base model plus a set of flags; the type is
// the prober SDK's, package sdk/prober, which external probers build on): the
// LibvirtProber asks libvirt the question nova-compute asks at start-up
// (compareCPU up to Zed, compareHypervisorCPU from 2023.1) without touching
// anything; the NovaProber writes the trial into nova.conf, restarts
// nova-compute and watches whether it survives its CPU check; external
// probers (go-plugin executables) are reached through the plugin host with
// an ExecProber. Strategies (OneByOne, Bisect, Predict, Auto) decide which
// trials to ask.
//
// Run drives a whole probe safely: before the first edit it writes a backup
// and a journal next to nova.conf and holds a lock that a detached watchdog
// waits on; if the module process dies with the journal still present, the
// watchdog restores the backup and restarts nova-compute. A stale journal
// found at start (watchdog dead too) is recovered before anything else.
// Prepare resolves what the operator left to the host first (Nova's check,
// the libvirt URI, an external prober).
//
// Verify and Restore are the rollout role's other two steps: its handler
// verifies that nova-compute keeps running after a change, its rescue puts
// the previous nova.conf back and makes nova-compute run on it.
package probe
