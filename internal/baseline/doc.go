// Package baseline computes what a cluster of hypervisors can share: the
// exact intersection of their CPU features, the libvirt base CPU model, the
// extra flags for nova.conf, and a reason for every decision. It is pure: it
// reads no files.
//
// # Intersection
//
// An Accumulator takes any number of hosts (source, target, a third and
// more generations; Host.Group names the inventory group) and keeps, for
// every feature, the set of hosts that have it. Common is the exact
// intersection in libvirt feature names, taken from each host's trusted view
// (hostfacts: libvirt's host-model when libvirt was asked, else the
// translated /proc/cpuinfo or lscpu flags). It does not depend on the order
// hosts are added; adding a host costs time proportional to that host's
// features and never recomputes the others. Missing names, for every
// feature that did not survive, the hosts lacking it. The same is kept for
// the Linux flags, which make the brief's files (group = exact intersection
// of its hosts' flags; source-to-target = exact intersection of all hosts;
// final = that minus the test instance's flags). The manual pipeline
// `diff | egrep -v '\-|\+'` keeps only diff context lines; nothing here uses
// diff.
//
// # vmx-* controls and MSR features
//
// The vmx-* nested-virtualization controls are VMX capability MSR bits;
// /proc/cpuinfo never shows them (only a separate "vmx flags" line, under
// other names). Rule: they never count. They are ignored when checking a
// model against a host (libvirt's own per-host usability report, when
// available, still blocks a model for them), and a vmx-* feature in the
// common set is excluded from the extra flags with ReasonNestedControl.
// Other MSR features (arch-capabilities bits such as mds-no) are checked
// only against hosts whose view is libvirt (cpumodels.Model.Required); a
// cpuinfo-view host cannot show them, so they are not in the common set
// when any host has that view, and a warning says so.
//
// # Base model
//
// A named model (Request.Model, case-insensitive as in Nova) must be in the
// catalog, else Compute fails with the closest names. It is checked against
// every host: ModelBlockers maps each host to the features it lacks (plus
// what its libvirt reported: usable='no', its blockers, or a model its
// libvirt does not define), and a warning says nova-compute would refuse to
// start there. A blocked model is still a Result, so the report can show it.
//
// Otherwise the recommended model is the best x86-64 model (one with lm) of
// the catalog that fits every host, ranked by: usable on every host per
// libvirt; then not a versioned model (x86_X-vN.xml with decode
// guest='off', unknown to libvirt before 10.x) that some host's libvirt did
// not vouch for, because a model name its libvirt lacks stops nova-compute
// while extra flags cost nothing; then fewest extra flags; then fewer hosts
// of unknown usability; then not deprecated; then non-versioned; then a
// canonical name over an alias (-vN that only points at another model);
// then the name.
// Result.Candidates lists the best fitting and the closest non-fitting
// models with their reasons and blockers.
//
// # Mixed vendors
//
// libvirt's cpu-baseline refuses to combine AMD and Intel hosts. Here the
// same rule applies to every cluster: a model fits when every host offers
// its features, whatever the model's vendor. Under KVM, QEMU gives guests
// the host's own CPUID vendor string, so a guest migrated across vendors
// runs vendor-specific code chosen at boot on the other vendor's CPU; the
// warning says so. When no model fits, Model is "" with
// ModelSource ModelNone and a warning naming the closest model and its
// blockers. The speculation-control features whose names or sources differ
// per vendor (spec-ctrl, stibp, ssbd vs ibpb, ibrs, amd-ssbd, amd-stibp,
// virt-ssbd) get a warning each when they are extra flags of a mixed
// cluster.
//
// # Extra flags
//
// ExtraFlags = Common − the model's features − the test instance's features
// (when given; the brief's step 6) − every feature that must not be given to
// a migrating guest: vmx-* controls, features featnames.Table.Guestable
// rejects (host-only, OS state, invtsc, unknown to libvirt) and features the
// catalog does not define. Each exclusion is in Excluded with its reason;
// the common Linux flags that have no libvirt feature at all (constant_tsc,
// nopl...) are in ExcludedLinux. NovaConf, LibvirtXML and QEMUCPU render
// the model and flags for Nova, libvirt and QEMU (QEMU's names where they
// differ from libvirt's, e.g. pclmuldq = pclmulqdq).
package baseline
