# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the Go binary that implements a module on the target's platform.

Each module of this collection is a Go program compiled per platform into
``plugins/modules/bin/<module>_<os>_<arch>``. The documented module name
(``kvm_migration.cpu_flags.<module>``) is an action plugin built on this class.

The usual way, one remote command: the binaries of a module are kept on the
target in a directory of the remote temporary directory named after their
content hash (``<remote_tmp>/cpu_flags-<sha256>/``). One command picks the
binary for the target's ``uname -s``/``uname -m`` there and runs it with the
module arguments on standard input. Only when the binary is missing (the first
run on a host, or a new build) is it copied, under a temporary name and then
renamed, so an interrupted copy is never run. Become (sudo), check mode, diff
mode and ``no_log`` behave as with ansible-core's own path: the arguments are
the ones ``_execute_module`` would send.

Everything else takes ansible-core's ordinary binary-module path
(``_execute_module``): ``async`` tasks, become methods other than sudo or an
unprivileged become user, non-POSIX shells, and the variable
``cpu_flags_module_cache: false``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase
from ansible.vars.clean import remove_internal_keys

try:  # ansible-core 2.19+: arguments and results go through serialization profiles
    from ansible.module_utils.common.json import Direction, get_module_decoder, get_module_encoder
except ImportError:  # ansible-core 2.14 to 2.18
    Direction = get_module_decoder = get_module_encoder = None

COLLECTION = "kvm_migration.cpu_flags"

# uname -s / uname -m spellings -> Go's GOOS / GOARCH names.
_SYSTEMS = {"linux": "linux", "darwin": "darwin"}
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
_PLATFORMS = ("linux_amd64", "linux_arm64", "darwin_arm64")

PLATFORM_VAR = "cpu_flags_module_platform"
CACHE_VAR = "cpu_flags_module_cache"

# What the one-command path prints when the binary is not on the target yet.
_MISS = "CPU_FLAGS_BINARY_MISSING"

# Controller-side cache of content hashes: (path, mtime_ns, size) -> sha256.
_DIGESTS = {}


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


def _digest(path):
    """sha256 of a local file: from the NAME.sha256 file 'make build' writes
    beside each binary when it is not older than the binary, else computed
    (and remembered while the file is unchanged)."""
    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)
    if key in _DIGESTS:
        return _DIGESTS[key]
    try:
        side = os.path.realpath(path) + ".sha256"
        if os.stat(side).st_mtime_ns >= st.st_mtime_ns:
            with open(side, "r", encoding="ascii") as fh:
                value = fh.read().strip()
            if len(value) == 64 and all(c in "0123456789abcdef" for c in value):
                _DIGESTS[key] = value
                return value
    except (OSError, UnicodeDecodeError):
        pass
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


class BinaryModuleAction(ActionBase):
    """Dispatch a module name to its per-platform Go binary."""

    _supports_check_mode = True
    _supports_async = True
    _requires_connection = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # ansible-core before 2.17 sets these per instance in ActionBase.__init__.
        self._supports_check_mode = True
        self._supports_async = True

    def _binary_name(self, name, platform):
        return "%s.bin.%s_%s" % (COLLECTION, name, platform)

    def _find_binary(self, name, platform):
        found = self._shared_loader_obj.module_loader.find_plugin_with_context(
            self._binary_name(name, platform), collection_list=self._task.collections
        )
        return found.plugin_resolved_path if found.resolved else None

    def _no_binary(self, name, system, arch):
        return (
            "%s.%s has no binary for %s/%s (looked for %s). Build the modules with "
            "'make build' in a checkout, or install a released collection artifact, "
            "which ships linux/amd64 for every module and linux/arm64 and darwin/arm64 "
            "for the controller-side ones." % (COLLECTION, name, system, arch, self._binary_name(name, "%s_%s" % (system, arch)))
        )

    def _override_platform(self, task_vars):
        override = (task_vars or {}).get(PLATFORM_VAR)
        if not override:
            return None
        parts = str(override).split("_")
        if len(parts) != 2:
            raise AnsibleError("%s must look like linux_amd64, got %r" % (PLATFORM_VAR, override))
        return parts[0], parts[1]

    def _target_platform(self, task_vars):
        override = self._override_platform(task_vars)
        if override:
            return override
        res = self._low_level_execute_command("uname -s -m", sudoable=False)
        if res.get("rc") != 0:
            raise AnsibleError(
                "could not run 'uname -s -m' on the target (rc=%s): %s; set %s to e.g. linux_amd64"
                % (res.get("rc"), (res.get("stderr") or "").strip(), PLATFORM_VAR)
            )
        return _platform_from_uname(res.get("stdout", "").strip())

    # -- the one-command path ------------------------------------------------

    def _can_cache(self, task_vars):
        if str((task_vars or {}).get(CACHE_VAR, True)).lower() in ("false", "no", "0", "off"):
            return False
        if self._task.async_val:
            return False
        if getattr(self._connection._shell, "SHELL_FAMILY", "") != "sh":
            return False
        become = getattr(self._connection, "become", None)
        if become is not None and getattr(become, "name", "").split(".")[-1] != "sudo":
            return False
        return not self._is_become_unprivileged()

    def _cache_dir(self, binaries):
        """The remote directory for this set of binaries, as a shell word."""
        h = hashlib.sha256()
        for platform in sorted(binaries):
            h.update(("%s=%s\n" % (platform, _digest(binaries[platform]))).encode())
        remote_tmp = self.get_shell_option("remote_tmp", default="~/.ansible/tmp").rstrip("/")
        leaf = "cpu_flags-%s" % h.hexdigest()[:32]
        if remote_tmp == "~" or remote_tmp.startswith("~/"):
            # The connecting user's home, also under sudo (whose HOME is the target user's).
            return '"${CPU_FLAGS_HOME:-$HOME}"%s' % shlex.quote(remote_tmp[1:] + "/" + leaf)
        return shlex.quote(remote_tmp + "/" + leaf)

    def _module_args(self, binary_name, task_vars):
        args = dict(self._task.args)
        self._update_module_args(binary_name, args, task_vars)
        if get_module_encoder is not None:
            return json.dumps(args, cls=get_module_encoder("legacy", Direction.CONTROLLER_TO_MODULE))
        return json.dumps(args)

    def _parse(self, res):
        if get_module_decoder is not None:
            data = self._parse_returned_data(res, "legacy")
        else:
            data = self._parse_returned_data(res)
        data.pop("_ansible_suppress_tmpdir_delete", None)
        remove_internal_keys(data)
        return data

    def _run_cached(self, name, task_vars):
        binaries = {}
        for platform in _PLATFORMS:
            path = self._find_binary(name, platform)
            if path:
                binaries[platform] = path
        override = self._override_platform(task_vars)
        if override and "%s_%s" % override not in binaries:
            return None, self._no_binary(name, *override)
        if not binaries:
            return None, self._no_binary(name, "any", "platform")
        cache = self._cache_dir(binaries)
        if override:
            leaf = shlex.quote("%s_%s" % override)
            pick = "p=%s" % leaf
        else:
            pick = 'p="$(uname -s)_$(uname -m)"'
        home = ""
        if getattr(self._connection, "become", None) is not None:
            # sudo sets HOME to the target user's; the cache is the connecting user's.
            home = 'if [ -n "${SUDO_USER:-}" ]; then CPU_FLAGS_HOME=$(getent passwd "$SUDO_USER" | cut -d: -f6); fi; '
        run = 'd=%s; %s; if [ -x "$d/$p" ]; then echo "$p" >&2; exec "$d/$p" -; fi; echo "%s $p"' % (cache, pick, _MISS)
        env = self._compute_environment_string()
        cmd = "/bin/sh -c %s" % shlex.quote(home + run)
        if env:
            cmd = "%s %s" % (env, cmd)
        args = to_bytes(self._module_args(self._binary_name(name, "cached"), task_vars), errors="surrogate_or_strict")

        res = self._low_level_execute_command(cmd, sudoable=True, in_data=args)
        out = (res.get("stdout") or "").strip()
        if res.get("rc") == 0 and out.startswith(_MISS):
            uname = out[len(_MISS):].strip().replace("_", " ", 1)
            system, arch = override or _platform_from_uname(uname)
            platform = "%s_%s" % (system, arch)
            if platform not in binaries:
                return None, self._no_binary(name, system, arch)
            self._install(cache, uname.replace(" ", "_", 1) if not override else platform, binaries[platform])
            res = self._low_level_execute_command(cmd, sudoable=True, in_data=args)
            if (res.get("stdout") or "").strip().startswith(_MISS):
                return None, "%s.%s: the binary copied to the target's %s is not executable there (noexec mount?); set remote_tmp elsewhere or %s: false" % (
                    COLLECTION, name, cache, CACHE_VAR)
        ran = ((res.get("stderr") or "").splitlines() or [""])[0].strip()
        res["stderr"] = "\n".join((res.get("stderr") or "").splitlines()[1:])
        data = self._parse(res)
        try:
            data["module_platform"] = "%s_%s" % (override or _platform_from_uname(ran.replace("_", " ", 1)))
        except AnsibleError:
            data["module_platform"] = ran
        return data, None

    def _install(self, cache, leaf, local_path):
        """Copy the binary into the cache directory, atomically."""
        mk = self._low_level_execute_command(
            "/bin/sh -c %s" % shlex.quote('d=%s; umask 077; mkdir -p "$d" && cd "$d" && pwd -P' % cache), sudoable=False
        )
        remote_dir = (mk.get("stdout") or "").strip().splitlines()[-1:] or [""]
        if mk.get("rc") != 0 or not remote_dir[0].startswith("/"):
            raise AnsibleError("could not create the module cache %s on the target: %s" % (cache, (mk.get("stderr") or "").strip()))
        final = self._connection._shell.join_path(remote_dir[0], leaf)
        partial = "%s.partial-%d" % (final, os.getpid())
        self._connection.put_file(local_path, partial)
        fin = self._low_level_execute_command(
            "/bin/sh -c %s" % shlex.quote("chmod 0700 %s && mv -f %s %s" % (shlex.quote(partial), shlex.quote(partial), shlex.quote(final))),
            sudoable=False,
        )
        if fin.get("rc") != 0:
            raise AnsibleError("could not install %s on the target: %s" % (final, (fin.get("stderr") or "").strip()))

    # -- entry point -----------------------------------------------------------

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # unused; ActionBase manages the remote temporary directory
        name = self._task.action.split(".")[-1]
        try:
            if self._can_cache(task_vars):
                data, err = self._run_cached(name, task_vars)
                if err:
                    result.update(failed=True, msg=err)
                    return result
                result.update(data)
                return result
            system, arch = self._target_platform(task_vars)
        except AnsibleConnectionFailure:
            # The host is unreachable: ansible-core must count it so (the
            # recap's unreachable=1, the play goes on without it), not as a
            # module failure with a misleading message.
            raise
        except AnsibleError as exc:
            result.update(failed=True, msg=str(exc))
            return result

        binary = self._binary_name(name, "%s_%s" % (system, arch))
        if not self._find_binary(name, "%s_%s" % (system, arch)):
            result.update(failed=True, msg=self._no_binary(name, system, arch))
            return result
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        result.update(
            self._execute_module(module_name=binary, module_args=self._task.args, task_vars=task_vars, wrap_async=wrap_async)
        )
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        result["module_platform"] = "%s_%s" % (system, arch)
        return result
