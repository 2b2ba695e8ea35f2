# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the Go binary that implements a module on the target's platform.

Each module of this collection is a Go program compiled per platform into
``plugins/modules/bin/<module>_<os>_<arch>``. The documented module name
(``kvm_migration.cpu_flags.<module>``) is an action plugin built on this class:
it asks the target (the delegated host when ``delegate_to`` is used) for its
operating system and CPU architecture with ``uname -s -m``, picks the matching
binary and runs it through ansible-core's ordinary binary-module path, so
become, check mode, diff mode and ``no_log`` behave as for any module.
"""

from __future__ import annotations

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.action import ActionBase

COLLECTION = "kvm_migration.cpu_flags"

# uname -s / uname -m spellings -> Go's GOOS / GOARCH names.
_SYSTEMS = {"linux": "linux", "darwin": "darwin"}
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}

PLATFORM_VAR = "cpu_flags_module_platform"


def _platform_from_uname(output):
    """Return (goos, goarch) for the output of ``uname -s -m``."""
    fields = output.split()
    if len(fields) != 2:
        raise AnsibleError(
            "could not read the target's platform from 'uname -s -m' (got %r); "
            "set the variable %s to e.g. linux_amd64" % (output, PLATFORM_VAR)
        )
    system = _SYSTEMS.get(fields[0].lower())
    arch = _ARCHES.get(fields[1].lower())
    if system is None or arch is None:
        raise AnsibleError(
            "%s modules are built for linux (amd64, arm64) and darwin (arm64); the target "
            "reports '%s %s'" % (COLLECTION, fields[0], fields[1])
        )
    return system, arch


class BinaryModuleAction(ActionBase):
    """Dispatch a module name to its per-platform Go binary."""

    _supports_check_mode = True
    _supports_async = False
    _requires_connection = True

    def _target_platform(self, task_vars):
        override = (task_vars or {}).get(PLATFORM_VAR)
        if override:
            parts = str(override).split("_")
            if len(parts) != 2:
                raise AnsibleError("%s must look like linux_amd64, got %r" % (PLATFORM_VAR, override))
            return parts[0], parts[1]
        res = self._low_level_execute_command("uname -s -m", sudoable=False)
        if res.get("rc") != 0:
            raise AnsibleError(
                "could not run 'uname -s -m' on the target (rc=%s): %s; set %s to e.g. linux_amd64"
                % (res.get("rc"), (res.get("stderr") or "").strip(), PLATFORM_VAR)
            )
        return _platform_from_uname(res.get("stdout", "").strip())

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # unused; ActionBase manages the remote temporary directory
        name = self._task.action.split(".")[-1]
        try:
            system, arch = self._target_platform(task_vars)
        except AnsibleConnectionFailure:
            # The host is unreachable: ansible-core must count it so (the
            # recap's unreachable=1, the play goes on without it), not as a
            # module failure with a misleading message.
            raise
        except AnsibleError as exc:
            result.update(failed=True, msg=str(exc))
            return result

        binary = "%s.bin.%s_%s_%s" % (COLLECTION, name, system, arch)
        found = self._shared_loader_obj.module_loader.find_plugin_with_context(
            binary, collection_list=self._task.collections
        )
        if not found.resolved:
            result.update(
                failed=True,
                msg=(
                    "%s.%s has no binary for %s/%s (looked for %s). Build the modules with "
                    "'make build' in a checkout, or install a released collection artifact, "
                    "which ships linux/amd64 for every module and linux/arm64 and darwin/arm64 "
                    "for the controller-side ones." % (COLLECTION, name, system, arch, binary)
                ),
            )
            return result

        result.update(
            self._execute_module(module_name=binary, module_args=self._task.args, task_vars=task_vars)
        )
        result["module_platform"] = "%s_%s" % (system, arch)
        return result
