# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds only the documentation. The module is a Go program
# (cmd/cpu_flags_common) run by the action plugin of the same name, which picks
# the binary built for the target's platform.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cpu_flags_common
short_description: Compute the CPU model and extra flags every hypervisor of a cluster can share
version_added: 0.1.0
description:
  - Takes the C(cpu_flags) facts of every hypervisor (from M(kvm_migration.cpu_flags.cpu_flags_facts))
    and computes the exact intersection of their trusted libvirt features, and for every feature
    that did not survive, which hosts lack it.
  - Checks the base model the operator names against every host and names the features that block
    it per host (nova-compute refuses to start on such a host), or recommends the model whose features
    are all common and which leaves the fewest extra flags, preferring models libvirt reports usable
    everywhere and names every libvirt version knows.
  - Extra flags are the common features minus the model's, minus the test instance's when given,
    minus anything that must not be given to a migrating guest (not migratable, host-only, vmx-*
    controls), each exclusion with its reason.
  - Mixed AMD and Intel clusters get a model that works on both vendors, or a clear statement that
    none does, with the vendor-specific caveats.
  - Writes the manual procedure's files (computed exactly), C(report.json), C(report.md), a
    self-contained C(report.html) with a host by feature matrix, and the plan C(plan.json) when
    O(output_dir) is given. Only files whose content changes are written, so a second run changes
    nothing (a plan that records the same decision keeps its file, creation time and digest).
  - The plan (docs/PLAN.md, schema docs/plan.schema.json) is what the rollout applies. It holds the
    model, the flags in the form the target Nova release accepts (O(nova_release)), the blockers, the
    warnings, and each host with a fingerprint of its CPU, microcode and guest view.
  - Given O(plan), the module computes nothing new. With O(plan_check=verify) it checks the plan
    against the hosts' current O(facts) and fails, naming each host and reason, when the plan has no
    model or has blockers, when a host is not in the plan, or when a host's fingerprint no longer
    matches. With O(plan_check=drift) it reports what changed since the plan and whether its model
    and flags still fit, and does not fail.
  - "Runs on the controller; use C(delegate_to: localhost) and C(run_once: true)."
author:
  - cpu_flags maintainers (@kvm-migration)
options:
  facts:
    description:
      - Host name to its C(cpu_flags) facts, for every hypervisor of the cluster.
    type: dict
    required: true
  groups:
    description:
      - Inventory group names in order. The first is the source, the others together the target of
        the manual procedure's files. Each host belongs to the first listed group that contains it.
    type: list
    elements: str
  inventory_groups:
    description:
      - Group name to its host names (usually C(groups) restricted to O(groups)).
    type: dict
  model:
    description:
      - Base CPU model to check (libvirt name, case-insensitive). Empty recommends one.
    type: str
    default: ""
  instance:
    description:
      - C(cpu_flags) facts of a test instance running the base model (the manual procedure's step 3).
        Its features are subtracted from the extra flags.
    type: dict
  output_dir:
    description:
      - Controller directory for the artifacts. Created when missing.
    type: path
  candidates:
    description:
      - How many candidate models the result lists with their reasons.
    type: int
    default: 5
  missing_hosts:
    description:
      - Hypervisors of the cluster whose facts could not be had (unreachable, gather failed), mapped to
        why, that the operator chose to compute the baseline without. They are named in the summary
        (C(msg)), in C(missing_hosts) and the first warning of the result and the reports, and in a
        comment atop C(nova_conf) and C(nova.conf.snippet). A host in O(facts) with empty facts and not
        named here fails the module.
    type: dict
  libvirt_version:
    description:
      - The libvirt version to assume for hypervisors whose facts carry neither libvirt's model list nor
        its version (captured files). Versioned model names (V(EPYC-Rome-v4)) are chosen only for hosts
        whose libvirt is known to define them (11.3.0 and later). Empty assumes 9.0.0 and says so in the
        result and the plan (C(assumed_libvirt)).
    type: str
    default: ""
  nova_release:
    description:
      - Target Nova release for the plan's nova.conf form, as a series name (V(zed), V(2023.1)) or the
        Nova version (V(26.2.0)). Before Train C(cpu_model) is written instead of C(cpu_models);
        C(+)/C(-) flag prefixes are used only from Wallaby. Empty assumes 2023.1 or later and says so in
        the plan.
      - It also decides the model choice. From Wallaby on, in a cluster of one vendor, the model of that
        vendor libvirt's own baseline would pick may run with the features some host lacks disabled
        (C(-svm)), and is preferred over another vendor's model; before Wallaby only models that run
        whole are chosen, and the result names the model that was not taken.
    type: str
    default: ""
  plan:
    description:
      - A reviewed plan to check instead of computing a baseline. Either the absolute path of a
        C(plan.json) on the controller (a relative path is taken from the directory ansible-playbook
        runs in), or the plan document itself (the RV(plan) of an earlier run, or an AWX artifact).
      - A plan whose digest does not match its content (edited after it was written), of an unknown
        kind, or of a newer schema version is refused.
    type: raw
  plan_check:
    description:
      - What to do with O(plan). V(verify) fails unless the plan may be rolled out to every host of
        O(facts). V(drift) reports the changes since the plan and never fails because of them.
    type: str
    choices: [verify, drift]
    default: verify
notes:
  - Supports check mode (reports which files would change) but not diff mode. The baseline role runs it
    with C(check_mode=false) so that check mode writes the plan, a controller-side file.
  - O(plan) is mutually exclusive with O(model), O(instance), O(output_dir), O(nova_release), O(libvirt_version) and
    O(missing_hosts).
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
    details: Runs on the controller (C(delegate_to=localhost)); built for linux/amd64, linux/arm64 and darwin/arm64.
seealso:
  - module: kvm_migration.cpu_flags.cpu_flags_facts
"""

EXAMPLES = r"""
- name: Compute the cluster baseline
  kvm_migration.cpu_flags.cpu_flags_common:
    facts: "{{ dict(hosts | zip(hosts | map('extract', hostvars, ['ansible_facts', 'cpu_flags']))) }}"
    groups: [source, target]
    inventory_groups: "{{ {'source': groups['source'], 'target': groups['target']} }}"
    output_dir: /var/tmp/cpu_flags_report
  vars:
    hosts: "{{ groups['source'] + groups['target'] }}"
  delegate_to: localhost
  run_once: true

- name: Refuse a reviewed plan that no longer fits the hosts, before touching any
  kvm_migration.cpu_flags.cpu_flags_common:
    plan: /var/tmp/cpu_flags_report/plan.json
    facts: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, ['ansible_facts', 'cpu_flags']))) }}"
  delegate_to: localhost
  run_once: true

- name: Report what changed since the plan
  kvm_migration.cpu_flags.cpu_flags_common:
    plan: /var/tmp/cpu_flags_report/plan.json
    plan_check: drift
    facts: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, ['ansible_facts', 'cpu_flags']))) }}"
  delegate_to: localhost
  run_once: true
  register: drift
"""

RETURN = r"""
ansible_facts:
  description: The baseline.
  returned: always
  type: dict
  contains:
    cpu_flags_baseline:
      description: The cluster's common features, base model, blockers, extra flags and reasons.
      type: dict
      contains:
        common:
          description: libvirt features every host has.
          type: list
          elements: str
        classes:
          description:
            - The host classes. Hosts whose CPU description is identical (view, vendor, CPU model name,
              features, Linux flags, libvirt's answers) form one class, computed once.
            - Each has C(id) (C(c1), C(c2)...), C(count), C(members), C(groups), C(vendor), C(model_name),
              C(view), C(features), C(lacks) and, when the base model cannot run on it, C(blocked).
          type: list
          elements: dict
        missing_classes:
          description: Each feature some host lacks, mapped to the IDs of the classes lacking it.
          type: dict
        model:
          description: The base model, empty when none fits.
          type: str
          sample: Broadwell-IBRS
        model_source:
          description: C(requested), C(recommended) or C(none).
          type: str
        model_blockers:
          description: Host to the model features it lacks. Non-empty means nova-compute would refuse to start there.
          type: dict
        rejected:
          description: The models that would leave fewer extra flags but that some class cannot run, with C(blocked_classes).
          type: list
          elements: dict
        extra_flags:
          description: The value of C(cpu_model_extra_flags).
          type: list
          elements: str
        excluded:
          description: Common features left out of the extra flags, with reasons.
          type: dict
        warnings:
          description: Things to know before rolling out.
          type: list
          elements: str
        missing_hosts:
          description: The hosts the baseline was computed without (O(missing_hosts)), with why.
          type: dict
          returned: when O(missing_hosts) is given
        nova_conf:
          description: The C([libvirt]) snippet for nova.conf.
          type: str
        libvirt_xml:
          description: A libvirt domain C(<cpu>) element.
          type: str
        qemu_cpu:
          description: The argument of QEMU's C(-cpu).
          type: str
changed_files:
  description: Artifacts written (or that would be, in check mode).
  returned: when output_dir is given
  type: list
  elements: str
report:
  description: Path of report.html.
  returned: when output_dir is given
  type: str
plan:
  description:
    - The plan (docs/PLAN.md), with the keys kind, schema_version, created, product, request, model,
      model_source, flags, disabled_flags, nova (release, cpu_mode, model_option, cpu_models,
      cpu_model_extra_flags, snippet), blockers, warnings, hosts (fingerprint, cpu, view, features)
      and digest.
  returned: success
  type: dict
plan_digest:
  description: The plan's digest, C(sha256:) and 64 hex digits.
  returned: always
  type: str
  sample: sha256:51929f88aaf9e4a4cfd87602210787f597b99830272ee6398395dbe00d95c64c
plan_file:
  description: Path of plan.json.
  returned: when output_dir is given
  type: str
written:
  description: Whether the files were written (false in check mode, where only RV(changed_files) is predicted).
  returned: when output_dir is given
  type: bool
verdict:
  description: The plan check, with every refusal (host and reason).
  returned: when plan is given and plan_check is verify
  type: dict
  contains:
    ok:
      description: Whether the plan may be rolled out to every host of O(facts).
      type: bool
    refusals:
      description: Each reason, with the host it concerns (none for plan-wide reasons).
      type: list
      elements: dict
    hosts:
      description: The hosts checked.
      type: list
      elements: str
drift:
  description: What changed since the plan, per host, and whether the plan still holds.
  returned: when plan is given and plan_check is drift
  type: dict
  contains:
    unchanged:
      description: No host given changed and none is outside the plan.
      type: bool
    holds:
      description: The plan's model and flags fit every host given (and the plan has a model and no blockers).
      type: bool
    hosts:
      description: Per host, status (unchanged, changed, new, missing), cause, changes, fits and lacking.
      type: list
      elements: dict
    summary:
      description: The report in sentences.
      type: list
      elements: str
"""
