"""Sound devices: :class:`Player` and :class:`Microphone` on sounddevice streams.

The only part of :mod:`realtime_sync.audio` that does device I/O or starts threads
(the microphone's ``realtime-sync-mic`` sink thread). sounddevice (the ``audio``
extra) is imported when a stream is opened, in ``start()``, not by importing this
package; without it, ``start()`` raises an :class:`ImportError` naming
``pip install "realtime-sync[audio]"``. Both take a ``stream_factory`` instead, for
tests and for other audio back ends.

Layout: ``_device`` holds the lifecycle both share (the stream, the state, the
worker thread, ``close``); ``_player`` and ``_microphone`` the devices.
"""

from __future__ import annotations

from ._device import StreamFactory
from ._microphone import Microphone
from ._player import Player

__all__ = ["Microphone", "Player", "StreamFactory"]
