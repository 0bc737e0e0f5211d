"""Compatibility shim: :class:`ToolRunner` lives in :mod:`realtime_sync.tools._runner`.

Kept while :mod:`realtime_sync.client` imports it from here; remove it once the
client imports ``realtime_sync.tools._runner`` directly.
"""

from __future__ import annotations

from realtime_sync.tools._runner import ToolRunner

__all__ = ["ToolRunner"]
