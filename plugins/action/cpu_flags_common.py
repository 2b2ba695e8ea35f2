# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for cpu_flags_common: runs the module's Go binary for the target's platform.

The module reads and writes controller files (``plan``, ``output_dir``). It runs
in a temporary directory, so a relative path given by the operator is made
absolute here, against the directory ansible-playbook was started in, when the
module runs on the controller (a local connection, as with ``delegate_to:
localhost``).
"""

from __future__ import annotations

import os

from ansible_collections.kvm_migration.cpu_flags.plugins.plugin_utils.binary_module import (
    BinaryModuleAction,
)

_CONTROLLER_PATHS = ("plan", "output_dir")


class ActionModule(BinaryModuleAction):
    """cpu_flags_common, with controller paths resolved against the working directory."""

    def run(self, tmp=None, task_vars=None):
        if getattr(self._connection, "transport", "") == "local":
            args = dict(self._task.args)
            for key in _CONTROLLER_PATHS:
                value = args.get(key)
                if isinstance(value, str) and value.strip():
                    path = os.path.expanduser(value.strip())
                    if not os.path.isabs(path):
                        args[key] = os.path.abspath(path)
            self._task.args = args
        return super().run(tmp, task_vars)


__all__ = ["ActionModule"]
