# -*- coding: utf-8 -*-
# Copyright: cpu_flags maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for cpu_flags_common: runs the module's Go binary for the target's platform."""

from __future__ import annotations

from ansible_collections.kvm_migration.cpu_flags.plugins.plugin_utils.binary_module import (
    BinaryModuleAction as ActionModule,
)

__all__ = ["ActionModule"]
