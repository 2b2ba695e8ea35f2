# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds only the documentation. The module is the action plugin of
# the same name; it runs on the controller and reads only the inventory.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cpu_flags_inputs
short_description: Check that the hypervisor groups a playbook was given exist and have hosts
version_added: 0.1.0
description:
  - Resolves the hypervisor groups of the collection's playbooks from O(groups) (the variable
    C(cpu_flags_groups)), or from the deprecated variables C(cpu_flags_hosts) and
    C(cpu_flags_baseline_groups) with a deprecation warning.
  - Fails, before any play touches a hypervisor, when a group is missing from the inventory (offering
    the closest names), has no hosts, or is a host name; or when the test instance is not an
    inventory host. Without it a mistyped group makes every play match no host and the run succeed
    having done nothing.
  - Runs on the controller and reads only the inventory.
author:
  - cpu_flags maintainers (@kvm-migration)
options:
  groups:
    description:
      - The hypervisor groups, in order (the first is the manual procedure's source), as a list or
        one string separated by commas or colons. Omitted, the deprecated variables are read, else
        C([source, target]).
    type: raw
  cpu_flags_hosts:
    description: The deprecated host pattern of the gather, rollout and validate playbooks.
    type: raw
  cpu_flags_baseline_groups:
    description: The deprecated group list of the baseline playbook.
    type: raw
  instance:
    description: Inventory name of the test instance, checked to exist. Empty checks nothing.
    type: str
    default: ""
extends_documentation_fragment:
  - kvm_migration.cpu_flags.attributes.controller
  - kvm_migration.cpu_flags.attributes
seealso:
  - module: kvm_migration.cpu_flags.cpu_flags_common
"""

EXAMPLES = r"""
- name: Check the hypervisor groups before anything runs
  kvm_migration.cpu_flags.cpu_flags_inputs:
    groups: "{{ cpu_flags_groups | default(omit) }}"
"""

RETURN = r"""
groups:
  description: The hypervisor groups, in order.
  returned: success
  type: list
  elements: str
  sample: [source, target, gen3]
hosts:
  description: The hosts of those groups, each once, in group order.
  returned: success
  type: list
  elements: str
"""
