"""The transport seam: what the client needs from a connection, and who opens one.

The client codes against these two protocols only. A :class:`Transport` opens
:class:`Channel` objects; :class:`~realtime_sync.transport.WebSocketTransport`
opens :class:`~realtime_sync.transport.Connection` objects over websocket-client,
and an in-memory transport can open channels that talk to a server object in the
same process. Both are :class:`typing.Protocol` classes: structural, so an
implementation need not inherit from them (and none of them is checked at run time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from realtime_sync.exceptions import ConnectionClosed

__all__ = ["Channel", "Transport"]


class Channel(Protocol):
    """One connection as the client sees it (Connection implements it).

    A channel carries text frames both ways. It is created unopened by
    :meth:`Transport.open`; :meth:`connect` opens it, and from then on every frame
    received goes to the ``on_message`` callback given to :meth:`Transport.open`,
    on a thread of the transport's: the channel's own, or one that reads many
    channels (``SharedReaderTransport``). When the channel ends, for whatever
    reason, ``on_close`` is called exactly once. A channel is never reopened.
    """

    @property
    def is_open(self) -> bool:
        """``True`` while the channel is open and able to send."""
        ...

    @property
    def close_code(self) -> int | None:
        """The close code of the end, once it ended with one; else ``None``."""
        ...

    @property
    def close_reason(self) -> str:
        """The close reason of the end (may be empty)."""
        ...

    def connect(self) -> None:
        """Open the channel; frames sent before are delivered right after.

        Raises:
            ConnectError: The server could not be reached or refused the channel
                (``AuthenticationError``, ``RateLimitError`` for 401/403, 429).
            Timeout: No answer within the transport's connect timeout.
            ConnectionClosed: :meth:`close` was called meanwhile.
            RuntimeError: The channel was opened or closed before.
        """
        ...

    def send(self, text: str, item: object = None) -> None:
        """Queue one text frame for sending, in order; thread-safe.

        Args:
            text: The frame.
            item: What to report in ``ConnectionClosed.unsent`` if the frame is
                never sent; ``None`` reports ``text``.

        Raises:
            QueueFull: The send queue's bound would be exceeded.
            ConnectionClosed: The channel is closing or closed.
        """
        ...

    def flush(self, timeout: float | None = None) -> None:
        """Block until every queued frame was handed to the network.

        Raises:
            Timeout: Frames were still queued after ``timeout`` seconds.
            ConnectionClosed: The channel ended first.
        """
        ...

    def close(
        self, timeout: float = 5.0, code: int = 1000, reason: str = ""
    ) -> tuple[object, ...]:
        """Close the channel and stop its threads; idempotent.

        Returns:
            The ``item`` of every frame never sent, in queue order.
        """
        ...

    def raise_if_failed(self) -> None:
        """Raise ``ConnectionClosed`` if one of the channel's threads crashed.

        Raises:
            ConnectionClosed: With the crash as ``__cause__``.
        """
        ...


class Transport(Protocol):
    """Opens channels: the seam between the client and the network."""

    def open(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        on_message: Callable[[str], None],
        on_close: Callable[[ConnectionClosed], None],
        on_binary: Callable[[bytes], None],
        secrets: Sequence[str] = (),
    ) -> Channel:
        """A new channel to ``url``, not yet connected.

        Args:
            url: ``ws://`` or ``wss://`` URL of the endpoint.
            headers: HTTP headers for the opening request (credentials included).
            on_message: Called with every text frame received.
            on_close: Called once when the channel ends.
            on_binary: Called with every binary frame received.
            secrets: Strings that must never appear in logs or messages.

        Raises:
            TypeError: An argument has the wrong type.
            ValueError: An argument is malformed, or credentials would travel in
                clear text.
        """
        ...
