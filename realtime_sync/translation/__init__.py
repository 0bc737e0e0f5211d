"""The Realtime Translation API: speech in one language, speech and text in another.

* :class:`TranslationClient` (also ``rs.TranslationClient``): the synchronous client;
* :mod:`realtime_sync.translation.events`: the typed events and session object;
* :class:`~realtime_sync.translation.codec.TranslationCodec`: JSON <-> events;
* :class:`Translation`: what a session produced (audio, both transcripts, gaps).

See ``docs/translation.rst``.
"""

from __future__ import annotations

from realtime_sync.translation import events
from realtime_sync.translation._client import DEFAULT_MODEL, TranslationClient
from realtime_sync.translation._core import SAMPLE_RATE, Gap, Translation
from realtime_sync.translation.codec import TranslationCodec

__all__ = [
    "DEFAULT_MODEL",
    "SAMPLE_RATE",
    "Gap",
    "Translation",
    "TranslationClient",
    "TranslationCodec",
    "events",
]
