"""A pytest plugin: run the Connection tests against the shared reader's connection.

``tests/test_transport.py``, ``tests/test_transport_limits.py`` and
``tests/test_transport_framing.py`` build
``realtime_sync.transport.Connection`` objects directly. Loaded with ``-p``, this
plugin replaces that name (before the test modules import it) with a
Connection read by a shared reader thread, so the same tests check that the two
behave alike::

    python -m pytest -p tests.transport.as_shared tests/test_transport.py tests/test_transport_limits.py tests/test_transport_framing.py
"""

from __future__ import annotations

from typing import Any

import realtime_sync.transport as transport
from realtime_sync.transport._shared_conn import _SharedConnection
from realtime_sync.transport._shared_loop import _SharedReader

_READER = _SharedReader()


class SharedConnection(_SharedConnection):
    """``Connection(url, ...)``, read by the plugin's one shared reader."""

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, shared=_READER, **options)


transport.Connection = SharedConnection  # type: ignore[misc]
