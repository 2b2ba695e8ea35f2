# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds only the documentation. The module is a Go program
# (cmd/cpu_flags_facts) run by the action plugin of the same name, which picks
# the binary built for the target's platform.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cpu_flags_facts
short_description: Gather a hypervisor's CPU identity and flags in Linux and libvirt terms
version_added: 0.1.0
description:
  - Reads the host's CPUs (C(/proc/cpuinfo)) or a captured file (C(/proc/cpuinfo), C(lscpu) text,
    C(lscpu -J) JSON, a plain list of flags one per line, or a libvirt document, see O(format)) and
    returns vendor, family, model,
    stepping, model name, microcode, the number of logical CPUs and the flags common to B(all)
    logical CPUs.
  - Translates the Linux flag names into libvirt feature names (C(sse4_1) becomes C(sse4.1),
    C(pclmulqdq) becomes C(pclmuldq)), and lists every Linux flag that has no libvirt feature with
    the reason (kernel-synthetic, kernel-derived, not migratable, host-only, OS state, unknown).
  - Reports the x86-64 microarchitecture level (v1 to v4) the features satisfy.
  - Where libvirt runs on the host, also records what libvirt itself says the hypervisor can give
    (C(virsh domcapabilities) host-model features, each named model's usability and blockers, the
    libvirt and QEMU versions) and trusts that view over C(/proc/cpuinfo), which can over-promise
    (nested KVM). The facts say which view later steps trust.
  - For a host known only from its flags (a captured file, or no libvirt), predicts what QEMU/KVM can
    give a guest there (the C(predicted) view). It drops what KVM does not virtualize (host-only bits,
    C(vmx)/C(svm) without nested KVM, C(intel-pt), C(pdcm)), adds what it emulates (C(x2apic),
    C(hypervisor), C(tsc-deadline), ...), each with its reason, by rules read from Linux, QEMU and
    libvirt; see O(nested), O(pmu), O(pt), O(stack_linux) and O(stack_qemu).
  - The module is a Go binary; it needs no Python on the target.
author:
  - cpu_flags maintainers (@kvm-migration)
options:
  src:
    description:
      - "Path of a captured CPU description on the host where the module runs. Use
        C(delegate_to: localhost) for files on the controller."
      - When omitted, the live host is read (C(<root>/proc/cpuinfo)) and libvirt is asked.
    type: path
  format:
    description:
      - Format of O(src). V(auto) detects it.
      - V(domcapabilities) is C(virsh domcapabilities --virttype kvm), libvirt's own guest view
        (the host-model CPU expanded with the CPU map, each model's usability and blockers); the
        facts then trust view C(libvirt), exactly as when libvirt is asked live.
      - V(capabilities) is C(virsh capabilities) and V(libvirt-cpu) a lone C(<cpu>) element (libvirt's
        test C(-host.xml) files, or C(virsh hypervisor-cpu-baseline --features) output). A host CPU
        (model plus the features beyond it) is expanded with the CPU map and predicted; a guest CPU
        with feature policies is libvirt's view.
    type: str
    choices: [auto, cpuinfo, lscpu, lscpu-json, flags, domcapabilities, capabilities, libvirt-cpu]
    default: auto
  libvirt:
    description:
      - Whether to ask the host's libvirt with C(virsh). V(auto) asks when O(src) is not given and
        C(virsh) is installed, and records why not otherwise. V(always) fails when libvirt cannot be
        asked. V(never) skips it.
    type: str
    choices: [auto, always, never]
    default: auto
  libvirt_uri:
    description:
      - libvirt connection URI passed to C(virsh -c).
    type: str
    default: qemu:///system
  virt_type:
    description:
      - Virtualization type whose capabilities are read (C(virsh domcapabilities --virttype)). Nova
        checks CPUs only for V(kvm).
    type: str
    choices: [kvm, qemu]
    default: kvm
  cpu_map_dir:
    description:
      - The host's libvirt CPU map. When it exists, the host's own libvirt feature names win over
        the table built into the module (libvirt versions differ).
    type: path
    default: /usr/share/libvirt/cpu_map
  root:
    description:
      - Directory the host's C(/proc) is read under. Only for tests and containers.
    type: path
    default: /
  guest_view:
    description:
      - How a host without libvirt's answer is turned into what its guests get. V(predicted) applies
        the guest-view rules; V(cpuinfo) trusts the translated flags as they are.
    type: str
    choices: [predicted, cpuinfo]
    default: predicted
  nested:
    description:
      - The hypervisors run KVM with C(nested=1), so C(vmx)/C(svm) and the sub-features KVM then
        advertises are part of the predicted view (listed in RV(ansible_facts.cpu_flags.nested_only)).
    type: bool
    default: false
  pmu:
    description:
      - Guests get a virtual PMU (libvirt C(<pmu state='on'/>)), so C(pdcm) and the AMD performance
        counters are part of the predicted view.
    type: bool
    default: false
  pt:
    description:
      - C(kvm_intel) runs with C(pt_mode=1), so C(intel-pt) is part of the predicted view.
    type: bool
    default: false
  stack_linux:
    description:
      - Kernel version of the hypervisors (for example V(6.1)); features only newer KVM gives stay out
        of the predicted view below it. V(unknown) assumes nothing. Empty uses the running kernel's
        release on a live host; for a captured file, what the capture's flag names prove (a kernel
        at least as new as the newest name, older than a name later kernels dropped), else 5.10.
    type: str
    default: ""
  stack_qemu:
    description:
      - QEMU version of the hypervisors (for example V(7.2)). V(unknown) assumes nothing. Empty uses
        the live host's QEMU (libvirt's running hypervisor, else the QEMU binary's version), else 5.2.
    type: str
    default: ""
notes:
  - Supports check mode (it changes nothing) and returns facts in check mode too.
  - "Runs on linux/amd64 hypervisors; captured files can also be read on a linux/arm64 or
    darwin/arm64 controller with C(delegate_to: localhost)."
seealso:
  - module: kvm_migration.cpu_flags.cpu_flags_common
extends_documentation_fragment:
  - kvm_migration.cpu_flags.attributes
  - kvm_migration.cpu_flags.attributes.facts
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: [linux, darwin]
    details: Built for linux/amd64 (hypervisors, live), linux/arm64 and darwin/arm64 (a controller reading
      captured files with O(src)).
"""

EXAMPLES = r"""
- name: Gather the CPU flags of every hypervisor
  kvm_migration.cpu_flags.cpu_flags_facts:

- name: Read a captured lscpu -J file on the controller
  kvm_migration.cpu_flags.cpu_flags_facts:
    src: "{{ playbook_dir }}/captures/{{ inventory_hostname }}.lscpu.json"
  delegate_to: localhost

- name: Read a captured virsh domcapabilities (libvirt's exact view) on the controller
  kvm_migration.cpu_flags.cpu_flags_facts:
    src: "{{ playbook_dir }}/captures/{{ inventory_hostname }}.domcaps.xml"
  delegate_to: localhost

- name: Predict the guest view of captured hosts that run nested KVM on Linux 6.1 and QEMU 7.2
  kvm_migration.cpu_flags.cpu_flags_facts:
    src: "{{ playbook_dir }}/captures/{{ inventory_hostname }}.cpuinfo"
    nested: true
    stack_linux: "6.1"
    stack_qemu: "7.2"
  delegate_to: localhost

- name: Show the libvirt features the later steps trust
  ansible.builtin.debug:
    var: ansible_facts.cpu_flags.trusted_features
"""

RETURN = r"""
ansible_facts:
  description: Facts about the host's CPUs.
  returned: always
  type: dict
  contains:
    cpu_flags:
      description: CPU identity, flags in Linux and libvirt terms, exclusions and libvirt's view.
      returned: always
      type: dict
      contains:
        source:
          description: C(live) or the path of the captured file.
          type: str
          sample: live
        format:
          description: Input format read.
          type: str
          sample: cpuinfo
        vendor:
          description: Vendor in libvirt's spelling (Intel, AMD, Hygon); empty for a plain flag list.
          type: str
          sample: AMD
        model_name:
          description: The CPU's model name.
          type: str
          sample: AMD EPYC 7742 64-Core Processor
        family:
          description: CPU family, when the input says.
          type: int
          sample: 23
        model:
          description: CPU model number, when the input says.
          type: int
          sample: 49
        stepping:
          description: CPU stepping, when the input says.
          type: int
          sample: 0
        microcode:
          description: Microcode revision, when the input says.
          type: str
          sample: "0x830104d"
        logical_cpus:
          description: Number of logical CPUs.
          type: int
          sample: 128
        linux_flags:
          description: Linux flags present on every logical CPU, sorted.
          type: list
          elements: str
        flags_differ:
          description: True when logical CPUs report different flags (hybrid CPUs, odd firmware).
          type: bool
        flag_differences:
          description: Flags present on some logical CPUs only, with the CPUs that have and lack them.
          type: list
          elements: dict
        features:
          description: The Linux flags in libvirt's feature names, sorted.
          type: list
          elements: str
          sample: [aes, avx2, pclmuldq, sse4.1, sse4.2, tsc-deadline]
        excluded:
          description:
            - Every Linux flag with no libvirt feature, mapped to its reason code.
            - The sentence for a (flag, reason) pair is the same on every host and comes from the
              shared name table; C(cpuflags facts --explain) prints it, and the reports show it.
          type: dict
          sample: {constant_tsc: {reason: kernel-synthetic}}
        derived:
          description: libvirt features implied by kernel-derived Linux flags where the vendor makes the source certain.
          type: list
          elements: dict
        x86_64_level:
          description: The x86-64 microarchitecture level the features satisfy (x86-64-v1 to x86-64-v4).
          type: str
          sample: x86-64-v3
        libvirt:
          description: What the host's libvirt says, or why it was not asked.
          type: dict
        trusted_view:
          description: >-
            Which view later steps trust: C(libvirt) (domcapabilities), C(predicted) (the flags with
            the guest-view rules applied) or C(cpuinfo) (the flags as they are, O(guest_view=cpuinfo)).
          type: str
          sample: libvirt
        guest_view:
          description: >-
            The predicted guest view: its features, the features added (emulated) and dropped, each
            with rule, kind, reason and what would let it through, the options and the effective stack,
            and C(stack_basis): where each stack version came from (C(given), C(measured), C(inferred),
            C(default), C(unknown)) and why, with the kernel bounds the capture's flag names prove.
          type: dict
        stack:
          description: >-
            The live host's hypervisor software, read for the prediction: C(kernel_release) (uname -r)
            and C(qemu) with C(qemu_source); absent for a captured file.
          type: dict
        nested_only:
          description: Trusted features a guest gets only where every host runs KVM with nested=1.
          type: list
          elements: str
        trusted_features:
          description: libvirt feature names from the trusted view.
          type: list
          elements: str
        overpromised:
          description: Features /proc/cpuinfo lists that libvirt says the hypervisor cannot give guests.
          type: list
          elements: str
        warnings:
          description: Things an operator should know about this host's data.
          type: list
          elements: str
"""
