# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The attributes every module of the collection documents, described once.
# A module extends this fragment (and .facts where it returns facts, .controller
# where it only runs on the controller, listed first: a fragment does not
# override what an earlier one set) and
# states in its own attributes only what differs: each attribute's support,
# details, and the platforms its binaries are built for.

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details: The module name is an action plugin. For a Go module it picks the binary built for the target's
      operating system and architecture (C(uname -s -m)) and runs it as an ordinary binary module.
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
"""

    FACTS = r"""
attributes:
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
"""

    CONTROLLER = r"""
attributes:
  action:
    details: The module is its action plugin, run on the controller.
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
    details: Runs on the controller only; nothing reaches a host.
"""
