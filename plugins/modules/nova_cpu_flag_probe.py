# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds only the documentation. The module is a Go program
# (cmd/nova_cpu_flag_probe) run by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nova_cpu_flag_probe
short_description: Decide which CPU flags nova-compute accepts on a hypervisor, and why the others are refused
version_added: 0.1.0
description:
  - For a base CPU model and a list of candidate flags, decides on this host which flags nova-compute's
    start-up CPU check accepts (C([libvirt] cpu_mode=custom), C(cpu_models), C(cpu_model_extra_flags)),
    and reports for each rejected flag the refusal in Nova's or libvirt's own words.
  - Candidates may use Linux or QEMU spellings (C(sse4_1), C(tsc_deadline_timer)); they are mapped to
    libvirt names (C(sse4.1), C(tsc-deadline)) and the original spelling is reported too. C(+flag) and
    C(-flag) keep their policy. Names with no libvirt feature (C(constant_tsc)) are tested as given so
    that libvirt or Nova says why they fail.
  - "Acceptance is never 'the restart command returned 0': nova-compute must log that its start-up checks
    passed and still be running a grace period later, with no C(InvalidCPUInfo) logged since the restart."
  - "Safety: before the first edit the module writes a backup and a journal
    (C(<nova_conf>.cpuflags-probe.json)) next to nova.conf and starts a detached watchdog. If the module
    dies (even C(kill -9)), the watchdog restores the original nova.conf, restarts nova-compute and checks
    it runs. A journal found at start (watchdog gone too) is recovered first and reported in RV(recovered).
    Concurrent probes of the same directory are serialised with flock(2) on the directory of O(nova_conf)."
  - If nova-compute stops during a trial without logging C(InvalidCPUInfo) (killed, crashed), that is not a
    rejection; the trial is restarted once, and a second such stop restores the original configuration and
    fails.
  - "Every input is checked before anything is written or restarted, and the module fails naming it:
    a NUL or other control byte in nova.conf; a C(compute_driver) other than C(libvirt.LibvirtDriver), or a
    C([libvirt] virt_type) other than kvm or qemu; a O(model) this host's libvirt does not define (its
    domain capabilities; the built-in catalog of libvirt's models when libvirt does not answer), with the
    closest names; candidates that are not feature names; C(+flag)/C(-flag) for Nova before Wallaby
    (23.0.0), which reads no prefixes; and any CPU option set in a file or directory nova-compute reads
    after nova.conf, including oslo.config's default C(nova.conf.d/) and C(nova-compute.conf.d/) (in
    C(~nova/.nova/), C(~nova/), C(/etc/nova/), C(/etc/)) when O(nova_conf) is in C(/etc/nova/)."
  - For Nova before Train (20.0.0) the model is written as C(cpu_model), the option's name there.
  - "Already applied: when nova-compute's effective configuration (O(nova_conf), then O(extra_config_files)
    and the default config directories, later files winning per option) is C(cpu_mode=custom) with exactly
    O(model) and exactly O(disabled_flags) (as C(-name)) and O(candidates) (as a set, case-insensitive, as
    Nova reads them), no probe journal is left, and nova-compute runs and started after the newest of those files was last written, the module
    tries, writes and restarts nothing and returns RV(already_applied=true) with every candidate accepted
    (also in check mode). A service without a PID to compare its start with (C(kind=command)) counts when it
    runs. A rerun of the rollout after an interruption skips the hosts it finished this way."
  - A host part-way is finished or repaired first, never skipped - a journal left by an interrupted probe
    is recovered (its backup, a configuration nova-compute accepted, restored and nova-compute restarted on
    it) before anything is decided, and a nova-compute found stopped is started (RV(started)).
author:
  - cpu_flags maintainers (@kvm-migration)
options:
  mode:
    description:
      - V(probe) decides on O(candidates) (and with O(apply) writes the result).
      - V(verify) checks that nova-compute runs and stays up for O(accept_grace) seconds, and that no
        probe journal was left behind (the rollout role's handler).
      - V(restore) recovers a journal a dead probe left, puts O(backup) back when nova.conf differs from
        it, restarts nova-compute and waits until it accepts the configuration (the rollout role's rescue).
    type: str
    choices: [probe, verify, restore]
    default: probe
  model:
    description: Base CPU model written to C(cpu_models), e.g. C(Westmere). Required with O(mode=probe).
    type: str
  candidates:
    description: Flags to decide on (libvirt, Linux or QEMU names; optional C(+)/C(-) prefix).
    type: list
    elements: str
    aliases: [flags]
  disabled_flags:
    description:
      - Features of O(model) the guest does not get (libvirt's C(policy='disable')), such as a plan's
        C(disabled_flags) when the cluster runs a model of its own vendor that some host cannot give whole
        (an AMD-only cluster on an EPYC model with C(svm) off).
      - They are part of the base of every trial, never decided on, and are written in
        C(cpu_model_extra_flags) as C(-name) after the accepted flags, as a plan's snippet lists them.
      - Given bare or with C(-); a feature may not be both here and in O(candidates).
      - Nova reads C(-name) from Wallaby (23.0.0) on; with an older Nova the module refuses them before
        touching anything.
    type: list
    elements: str
    default: []
  strategy:
    description:
      - V(libvirt) asks libvirt the question Nova asks at start-up, one flag at a time then all accepted ones
        together, and restarts nothing.
      - V(bisect) (alias V(nova)) restarts nova-compute with the whole group and splits only what is refused.
      - "V(one_by_one) is the reference procedure: add one flag, restart, keep it or drop it (one restart per flag)."
      - V(auto) asks libvirt first, then confirms the predicted set with one real restart, and bisects only if
        nova-compute still refuses. The confirming restart is skipped when nova.conf already holds exactly the
        predicted flags and the running nova-compute started after nova.conf was last written.
      - V(plugin:NAME) is V(auto) with the external prober C(cpuflags-plugin-NAME) from O(plugin_dir) in the
        place of libvirt.
      - In check mode every strategy only asks the non-restarting prober.
    type: str
    default: auto
  apply:
    description:
      - When true, write the accepted flags to nova.conf and leave nova-compute running on them.
      - When false, the original nova.conf is restored and nova-compute restarted on it if it was restarted.
    type: bool
    default: false
  require_all:
    description:
      - With O(apply), apply only when every candidate is accepted. Otherwise nova.conf stays as it was,
        nova-compute runs on it, and the task fails naming the refused flags. A rollout uses it, because
        every host must end with the same flags or live migration breaks between them.
    type: bool
    default: false
  backup:
    description: With O(mode=restore), the backup of nova.conf to put back (the C(backup) an applying run returned).
    type: path
  nova_conf:
    description: nova.conf to edit.
    type: path
    default: /etc/nova/nova.conf
  extra_config_files:
    description:
      - Other files and directories nova-compute reads after O(nova_conf) (C(--config-file), C(--config-dir)).
        If one of them sets a CPU option the probe edits, the module fails, as its edits would have no effect.
      - They are also read for C([libvirt] virt_type), C(connection_uri) and
        C([workarounds] skip_cpu_compare_at_startup).
    type: list
    elements: path
    default: [/etc/nova/nova-compute.conf]
  service:
    description: How nova-compute is managed.
    type: dict
    default: {}
    suboptions:
      kind:
        description:
          - V(auto) detects a systemd unit C(nova-compute) or C(openstack-nova-compute), else the SysV script
            C(/etc/init.d/nova-compute).
        type: str
        choices: [auto, systemd, sysv, docker, podman, command]
        default: auto
      unit:
        description: systemd unit, init script or container name (C(nova_compute) for kolla and TripleO).
        type: str
      restart_command:
        description: Command (list, or string split on spaces) that restarts nova-compute. Required for V(command).
        type: raw
      status_command:
        description: Command whose exit status 0 means nova-compute runs. Required for V(command).
        type: raw
      pid_command:
        description: Command printing nova-compute's main PID (optional; notices supervisor restarts).
        type: raw
      pid_file:
        description: PID file of a SysV service. Detected as C(/var/run/nova/nova-compute.pid) with V(auto).
        type: path
      log_path:
        description: nova-compute's log as seen from the host (kolla C(/var/log/kolla/nova/nova-compute.log)).
        type: path
        default: /var/log/nova/nova-compute.log
  nova_check:
    description:
      - The start-up comparison to mirror. V(auto) reads the installed Nova version (Python package metadata,
        else C(nova-compute --version), inside the container for docker/podman) - 27 (2023.1) and later call
        C(compareHypervisorCPU), older ones C(compareCPU) - and gives V(none) when C(virt_type) is not C(kvm)
        or C(skip_cpu_compare_at_startup) is set.
    type: str
    choices: [auto, compareHypervisorCPU, compareCPU, none]
    default: auto
  libvirt_uri:
    description: libvirt URI for the libvirt questions. Default C([libvirt] connection_uri), else C(qemu:///system).
    type: str
  plugin_dir:
    description: Directory of external probers C(cpuflags-plugin-NAME) (root-owned, not group/world-writable).
    type: path
  plugin_host:
    description: The go-plugin host program. Default C(<plugin_dir>/cpuflags-prober-host).
    type: path
  plugin_options:
    description: String options passed to the external prober with every trial.
    type: dict
  timeout:
    description: Seconds to wait for one nova-compute restart's verdict.
    type: int
    default: 180
  accept_grace:
    description: Seconds nova-compute must stay up after logging that its start-up checks passed.
    type: float
    default: 3.0
notes:
  - Supports check mode (restarts nothing, writes nothing) and diff mode (only the managed [libvirt] lines are
    shown, never other values of nova.conf).
  - C(changed) reports a change of nova.conf; restarts are counted in RV(restarts).
  - Runs on linux/amd64 hypervisors. The module does not contain go-plugin; the plugin host is a separate
    program (C(plugins/bin/cpuflags-prober-host_linux_amd64)) copied to the hypervisor only when a plugin is used.
  - An external prober is a Go program built against the public prober SDK of the collection's source
    repository (packages C(sdk/prober) and C(sdk/proberplugin)); C(examples/prober) there is a whole one.
extends_documentation_fragment:
  - kvm_migration.cpu_flags.attributes
attributes:
  check_mode:
    support: full
    details: Asks only the prober that restarts nothing (libvirt, or the external prober); writes nothing.
  diff_mode:
    support: full
    details: Shows the managed C([libvirt]) lines of nova.conf only, never its other values.
  platform:
    platforms: linux
    details: Built for linux/amd64 hypervisors, where nova-compute runs.
"""

EXAMPLES = r"""
- name: Find the flags nova-compute accepts on top of Westmere, and keep them
  kvm_migration.cpu_flags.nova_cpu_flag_probe:
    model: Westmere
    candidates: [pcid, sse4_1, tsc_deadline_timer, avx2, x2apic]
    apply: true
  register: probe

- name: Probe with a site prober
  kvm_migration.cpu_flags.nova_cpu_flag_probe:
    model: Westmere
    candidates: "{{ wanted_flags }}"
    strategy: plugin:sitepolicy
    plugin_dir: /usr/local/libexec/cpuflags
    plugin_options: {deny_list: /etc/cpuflags/deny.txt}
"""

RETURN = r"""
accepted:
  description: Accepted flags (libvirt names, in candidate order).
  returned: always
  type: list
  elements: str
disabled:
  description: O(disabled_flags) as written in C(cpu_model_extra_flags) (C(-) and the libvirt name).
  returned: always
  type: list
  elements: str
rejected:
  description: Each rejected flag (libvirt name, or the given name when libvirt has none) with C(reason) in
    Nova's or libvirt's words, C(by) (the prober), C(trial) (the refused flag set) and C(given) (original spelling).
  returned: always
  type: dict
candidates:
  description: Each candidate's C(given) spelling, tested C(name) and a C(note) on renaming.
  returned: always
  type: list
restarts:
  description: nova-compute restarts made, including the final one.
  returned: always
  type: int
strategy:
  description: The strategy used.
  returned: always
  type: str
nova_check:
  description: The comparison mirrored (compareCPU, compareHypervisorCPU, none), with nova_check_source and nova_version.
  returned: always
  type: str
steps:
  description: Every trial - prober, flags, accepted, reason, seconds.
  returned: always
  type: list
backup:
  description: Backup of the original nova.conf when apply changed it.
  returned: when changed
  type: str
nova_conf_diff:
  description:
    - The change to nova.conf as a unified diff of the managed C([libvirt]) keys only (never any other
      value), also without C(--diff); the rollout role prints each distinct change once.
  returned: when apply changes (or in check mode would change) nova.conf
  type: str
already_applied:
  description: nova-compute already ran on exactly O(model), O(disabled_flags) and O(candidates) (see the description), so
    nothing was tried, written or restarted; the message says what was compared.
  returned: always
  type: bool
started:
  description: nova-compute was not running and was started on the final nova.conf.
  returned: always
  type: bool
confirmed:
  description: Why the confirming restart of auto was not needed.
  returned: when skipped
  type: str
recovered:
  description: Recoveries of interrupted earlier probes (by the watchdog or at start).
  returned: when any
  type: list
"""
