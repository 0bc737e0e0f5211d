"""The Live API (GPT-Live, ``wss://api.openai.com/v1/live/sessions``).

:mod:`realtime_sync.live.events` holds the typed events, :mod:`realtime_sync.live.codec`
the :class:`~realtime_sync.live.codec.LiveCodec` (JSON text <-> events).
"""

from __future__ import annotations

__all__: list[str] = []
