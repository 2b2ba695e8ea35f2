# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for cpu_flags_show: print text for the person running the playbook, verbatim.

ansible.builtin.debug hands its msg to the stdout callback, which prints it
JSON-escaped ("[libvirt]\\ncpu_mode = custom\\n...") or, with
result_format=yaml, indented under "msg: |-": neither can be pasted into
nova.conf. This action prints the text itself, line for line at column 0,
through ansible-core's Display, as ansible-core prints its own banners: the
default, minimal and YAML callbacks, a terminal and AWX's job output all show it
as is. Under a JSON stdout callback nothing is printed (it would corrupt the
JSON); the text is in the result's msg either way.
"""

from __future__ import annotations

from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()


def _machine_readable_stdout():
    name = str(getattr(C, "DEFAULT_STDOUT_CALLBACK", "") or "")
    return "json" in name.lower()


class ActionModule(ActionBase):
    """Print text verbatim; never changes anything."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(
            argument_spec=dict(text=dict(type="raw", required=True))
        )
        text = args["text"]
        if isinstance(text, (list, tuple)):
            text = "\n".join("" if line is None else str(line) for line in text)
        text = str(text).rstrip("\n")
        if not _machine_readable_stdout():
            display.display(text)
        result.update(changed=False, msg=text)
        return result
