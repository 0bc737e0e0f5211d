"""The sans-I/O protocol core: :class:`Codec` and the dialect adapters."""

from __future__ import annotations

from realtime_sync.protocol.codec import Codec, Dialect, get_converter

__all__ = ["Codec", "Dialect", "get_converter"]
