// Package plan is the contract between the baseline and the rollout: the
// document an operator reviews, and the only thing the rollout applies.
//
// # The document
//
// A Plan (plan.json, schema version SchemaVersion, JSON Schema in
// docs/plan.schema.json, prose in docs/PLAN.md) records when and by which
// product version it was made, what the operator asked for, the base model
// and the extra flags in libvirt names and in the form the target Nova
// release accepts, the hosts the model is blocked on, the baseline's
// warnings, and every host it covers with a fingerprint of that host's
// guest view. A digest over the whole document (sha256 of its canonical JSON
// with the digest field empty) makes a plan edited after it was written fail
// to load; the digest is also the short name operators compare between the
// review and the rollout.
//
// # Fingerprint
//
// A host's fingerprint is the sha256 of its CPU identity (vendor, family,
// model, stepping, model name), its microcode revision and its guest view
// (which view the facts trust and its sorted features): exactly what decides
// which CPU model and flags the host can run. A BIOS toggle (TSX, AVX-512,
// SVM/VT-x), a microcode update that adds or removes features, or a replaced
// board changes it; the logical CPU count, the libvirt and QEMU versions and
// the capture's file name are recorded for drift reports but are not part of
// it (the features already carry what they change for guests).
//
// # Verify and Drift
//
// Verify decides, before any host is touched, whether a plan may be rolled
// out to a set of hosts with their current facts: it refuses, naming host and
// reason, a plan without a model, a plan with blockers, a host the plan does
// not cover and a host whose fingerprint no longer matches. Drift explains
// what changed since the plan (new microcode, features lost or gained, a
// replaced host, hosts not in the plan) and whether the plan's model and
// flags still fit every host, judged by the baseline engine itself.
package plan
