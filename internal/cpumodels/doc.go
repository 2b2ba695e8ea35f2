// Package cpumodels is the catalog of libvirt's x86 CPU models and CPU
// features, read from libvirt's cpu_map XML (src/cpu_map, installed as
// /usr/share/libvirt/cpu_map).
//
// # Sources
//
// Builtin returns a catalog generated from libvirt 11.3.0's cpu_map (see
// zz_generated_catalog.go, produced by `go generate ./internal/cpumodels`,
// which runs ./gen). The generator parses the XML with ParseFS, the same
// parser LoadDir uses at run time on a hypervisor, so the embedded catalog and
// a hypervisor's own cpu_map are read by one code path.
//
// The newer models fetched from libvirt's GitHub tree (Turin, DiamondRapids,
// ClearwaterForest, SapphireRapids-v4..6, GraniteRapids-v3..5, …) are NOT in
// Builtin. Reasons: they are not a released, consistent set (no matching
// x86_features.xml was available); 16 of the 23 files use feature names that
// libvirt 11.3.0 does not define (cet-ss, its-no, fs-gs-base-ns, …), and the
// CPUID positions of those names could only be guessed from QEMU; and a model
// name unknown to the hypervisor's libvirt makes nova-compute refuse to start
// when it appears in cpu_models. A hypervisor running a newer libvirt brings
// these models itself: LoadDir reads its cpu_map.
//
// # cpu_map semantics
//
// index.xml includes x86_vendors.xml, x86_features.xml and one x86_<Model>.xml
// per model, optionally inside <group> elements, inside <arch name='x86'>
// (other arches are skipped). A monolithic cpu_map.xml (libvirt < 5.x) with
// the same elements in one file is accepted too.
//
// A model that names another model (<model name='Parent'/>) inherits the
// parent's features, vendor and signatures; its own <feature> elements are
// added and its own signatures replace the inherited ones. A model that
// consists of nothing but a parent reference (the versioned x86_X-vN.xml
// files) is an alias: Model.AliasOf names its target.
//
// <feature name='x' removed='yes'/> marks a feature libvirt dropped from the
// model (QEMU never exposed it, e.g. monitor in EPYC, mpx in Skylake): it is
// not part of Model.Features (libvirt's own test data confirms this: guest
// CPUs on EPYC hosts require monitor explicitly). It is kept in
// Model.Removed. <feature name='x' added='yes'/> marks a feature added to an
// existing model later (the vmx-* controls); it is part of Model.Features and
// also listed in Model.Added, because an older libvirt's definition of the
// same model lacks it. <check partial='…'/> is kept verbatim in
// Model.CheckPartial; <decode host guest> in DecodeHost/DecodeGuest (both true
// when absent, as in old cpu_maps).
//
// # Which features a host can be checked for
//
// Model.Features lists every feature of the model, including MSR-based ones:
// the vmx-* nested-virtualization controls (VMX capability MSRs) and the
// IA32_ARCH_CAPABILITIES / core-capability bits (rdctl-no, mds-no, ibrs-all,
// split-lock-detect, …). Linux never shows MSR features on the flags line of
// /proc/cpuinfo or in lscpu (vmx-* appear only on the separate "vmx flags"
// line, under other names), so a check built from those sources cannot see
// them. Rule: when the host view comes from /proc/cpuinfo or lscpu, check a
// model's requirements against Model.CPUIDFeatures (Features minus every MSR
// feature, which includes all vmx-* controls); when it comes from libvirt
// (virsh domcapabilities / capabilities, which report MSR features and vmx-*),
// check against Model.Features. Model.Required(src) applies this rule.
package cpumodels

//go:generate go run ./gen
