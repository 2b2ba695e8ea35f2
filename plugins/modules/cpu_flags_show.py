# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds only the documentation. The module is the action plugin of
# the same name; it runs on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cpu_flags_show
short_description: Print text for the person running the playbook, verbatim
version_added: 0.1.0
description:
  - Prints O(text) line for line, at column 0, through ansible-core's display, the way ansible-core
    prints its own banners. The collection's roles print their summaries with it, so that the
    C([libvirt]) snippet and the nova.conf change can be pasted as shown, under the default, minimal
    and YAML stdout callbacks and in AWX's job output alike.
  - M(ansible.builtin.debug) instead hands its message to the stdout callback, which prints a
    multi-line string JSON-escaped or indented.
  - Under a stdout callback whose name contains C(json) nothing is printed, since it would corrupt
    the JSON; the text is in the result's C(msg) either way.
  - Runs on the controller and changes nothing.
author:
  - cpu_flags maintainers (@kvm-migration)
options:
  text:
    description: The text, as one string or a list of lines.
    type: raw
    required: true
extends_documentation_fragment:
  - kvm_migration.cpu_flags.attributes.controller
  - kvm_migration.cpu_flags.attributes
seealso:
  - module: ansible.builtin.debug
"""

EXAMPLES = r"""
- name: Show the nova.conf snippet so that it can be pasted
  kvm_migration.cpu_flags.cpu_flags_show:
    text: "{{ ansible_facts.cpu_flags_baseline.nova_conf }}"
  run_once: true
"""

RETURN = r"""
msg:
  description: The text.
  returned: always
  type: str
"""
