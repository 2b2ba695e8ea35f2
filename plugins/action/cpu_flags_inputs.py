# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for cpu_flags_inputs: check the playbooks' hypervisor groups on the controller.

Runs before any play touches a hypervisor. A mistyped group otherwise makes
every later play print "skipping: no hosts matched" and the run end with rc=0
having done nothing.
"""

from __future__ import annotations

import difflib

from ansible.plugins.action import ActionBase

COLLECTION = "kvm_migration.cpu_flags"
DEFAULT_GROUPS = ["source", "target"]
# Variables the playbooks read before cpu_flags_groups existed.
LEGACY = ("cpu_flags_hosts", "cpu_flags_baseline_groups")


def split_groups(value):
    """A list of groups, or one string of them separated by commas (an AWX
    survey's text field) or colons (a host pattern), as a list of names."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    names = []
    for item in items:
        for part in str(item).replace(":", ",").split(","):
            part = part.strip()
            if part and part not in names:
                names.append(part)
    return names


def _closest(name, choices):
    close = difflib.get_close_matches(name, choices, n=2, cutoff=0.6)
    return " (did you mean %s?)" % " or ".join("'%s'" % c for c in close) if close else ""


def _listing(names, limit=30):
    names = sorted(names)
    shown = ", ".join(names[:limit])
    return shown + (", ... (%d in all)" % len(names) if len(names) > limit else "")


class ActionModule(ActionBase):
    """Resolve cpu_flags_groups (or its deprecated spellings) and check it names groups with hosts."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        dummy, args = self.validate_argument_spec(
            argument_spec=dict(
                groups=dict(type="raw"),
                cpu_flags_hosts=dict(type="raw"),
                cpu_flags_baseline_groups=dict(type="raw"),
                instance=dict(type="str", default=""),
            )
        )
        inventory_groups = {
            g: list(h) for g, h in (task_vars.get("groups") or {}).items() if g not in ("all", "ungrouped")
        }
        all_hosts = list((task_vars.get("groups") or {}).get("all", []))
        result["changed"] = False

        given_name, given = "cpu_flags_groups", args.get("groups")
        if given is None:
            for legacy in LEGACY:
                if args.get(legacy) is not None:
                    given_name, given = legacy, args[legacy]
                    self._display.deprecated(
                        "%s is deprecated: the playbooks now read the hypervisor groups from "
                        "cpu_flags_groups (a list of inventory groups, or one comma-separated string)" % legacy,
                        version="1.0.0",
                        collection_name=COLLECTION,
                    )
                    break
        else:
            for legacy in LEGACY:
                if args.get(legacy) is not None and split_groups(args[legacy]) != split_groups(given):
                    return self._fail(
                        result,
                        "cpu_flags_groups=%s and the deprecated %s=%s disagree: give only cpu_flags_groups"
                        % (",".join(split_groups(given)), legacy, ",".join(split_groups(args[legacy]))),
                    )
        names = split_groups(given) if given is not None else list(DEFAULT_GROUPS)
        shown = ",".join(names) if given is not None else "%s (the default)" % ",".join(names)

        if not names:
            return self._fail(result, "%s is empty: name the inventory groups of the hypervisors, "
                                      "for example cpu_flags_groups=source,target" % given_name)
        problems = []
        for name in names:
            if name in inventory_groups:
                if not inventory_groups[name]:
                    problems.append("group '%s' has no hosts" % name)
            elif name in all_hosts:
                problems.append("'%s' is a host, not a group" % name)
            else:
                problems.append("no inventory group '%s'%s" % (name, _closest(name, list(inventory_groups))))
        if problems:
            return self._fail(
                result,
                "%s=%s matches no hypervisor: %s. The inventory has the groups %s. Nothing was run."
                % (given_name, shown, "; ".join(problems),
                   _listing(g for g in inventory_groups if inventory_groups[g]) or "(none)"),
            )

        instance = args.get("instance") or ""
        if instance and instance not in all_hosts:
            return self._fail(
                result,
                "cpu_flags_baseline_instance=%s is not an inventory host%s. Nothing was run."
                % (instance, _closest(instance, all_hosts)),
            )

        hosts = []
        for name in names:
            hosts.extend(h for h in inventory_groups[name] if h not in hosts)
        result.update(
            groups=names,
            hosts=hosts,
            msg="hypervisors: %d hosts in %s" % (len(hosts), ", ".join(names)),
        )
        return result

    @staticmethod
    def _fail(result, msg):
        result.update(failed=True, msg=msg)
        return result
