// Package migration validates a CPU definition by a real live migration on
// one machine: two QEMU processes, the destination waiting with
// -incoming tcp:127.0.0.1:PORT, the source migrating its running (guest-less)
// machine to it over loopback. Both start with -cpu DEFINITION,enforce, so a
// side whose accelerator (TCG, or KVM on this host) cannot give a requested
// feature refuses to start, and the refusal is reported in QEMU's own words.
//
// What QEMU checks and what it does not (QEMU 7.2, measured): the migration
// stream carries RAM and device/register state, not CPUID. Two QEMUs whose
// definitions differ (the target lacks aes, or runs another model) both
// start and migrate to "completed" with the destination "running": nothing
// in QEMU refuses. A guest that already used the missing instruction would
// fault after the move. So LiveMigrate runs a pre-flight before migrating:
// it asks each running QEMU over QMP for the full expansion of its own
// definition (query-cpu-model-expansion) and for the CPUID words its vCPU
// really has (qom-get feature-words), and refuses with status
// "target-lacks-flags", naming the flags, when the target lacks any flag the
// source has. Options.SkipPreflight turns that off to show QEMU's own
// behaviour.
//
// The realistic refusal, though, is the one enforce gives: the target host
// cannot provide a flag, so a destination started with the same definition
// exits (status "target-refused"); under TCG in QEMU 7.2 that happens for
// pcid, x2apic, tsc-deadline, invpcid, hle and others, while avx, avx2 and
// fma are emulated.
//
// The QMP client is minimal (capabilities negotiation, commands, replies
// matched by id, events skipped); no HMP text is scraped. Only loopback
// addresses are used, every wait is bounded, and both processes are killed
// and their sockets removed on every return path.
package migration
