"""The Live codec: JSON text <-> typed Live events, both directions. Sans-I/O.

``LiveCodec().decode_server(text)`` is what a Live client's reader calls for every
frame, ``encode_client(event)`` what its sender calls; ``decode_client`` /
``encode_server`` are the server's half (the mock's Live responder).

It reuses the Realtime codec's machinery (:mod:`realtime_sync.protocol._hooks`: one
generated structure/unstructure function per class; :mod:`realtime_sync.protocol._json`)
over the Live classes, so the rules are the same:

* lossless: an unknown ``type`` decodes to :class:`UnknownLiveServerEvent` (or
  :class:`UnknownLiveClientEvent`), an unknown field goes to ``extra``, an unknown
  kind of nested object to :class:`~realtime_sync.events.UnknownModel`; absent
  stays :data:`~realtime_sync.events.UNSET`, ``null`` stays ``None``, so
  ``encode(decode(P))`` is JSON-equal to ``P`` for every valid payload;
* strict where a bug hides: a frame that is not a JSON object with a string
  ``type``, or a known field with the wrong JSON type, raises
  :class:`~realtime_sync.exceptions.ProtocolError` with the raw text and the path
  (``expected int @ $.start_ms``); nothing else escapes a decode;
* except inside ``response.event``: the nested Responses event is decoded
  leniently (a known type with unexpected field types becomes an
  :class:`~realtime_sync.events.UnknownModel`, see
  :mod:`realtime_sync.live.events.responses`), because the service trims its
  lifecycle snapshots;
* output audio stays base64 text until asked: ``SessionOutputAudioDelta.audio``
  decodes it to numpy on access.

The hooks are built once per process, on first use.
"""

from __future__ import annotations

import threading
from typing import Any

from realtime_sync.events._base import UNSET, Event, Model
from realtime_sync.live.events import (
    CLIENT_EVENTS,
    RESPONSES_EVENTS,
    SERVER_EVENTS,
    LiveClientEvent,
    LiveServerEvent,
    UnknownLiveClientEvent,
    UnknownLiveServerEvent,
)
from realtime_sync.live.events.models import model_classes
from realtime_sync.protocol import _json
from realtime_sync.protocol._hooks import Bad, HookSet, make_converter
from realtime_sync.protocol.codec import decode_frame, dump_frame

__all__ = ["LiveCodec"]

_loads = _json.raw_loads
_lock = threading.Lock()
_tables: _Tables | None = None


class _Tables:
    """The Live hooks by wire type (built once per process)."""

    def __init__(self, hooks: HookSet) -> None:
        s = hooks.structure
        self.server = {t: s[c] for t, c in SERVER_EVENTS.items()}
        self.client = {t: s[c] for t, c in CLIENT_EVENTS.items()}
        self.unstructure = hooks.unstructure


def _get_tables() -> _Tables:
    global _tables
    with _lock:
        if _tables is None:
            classes: list[type] = [
                *model_classes(),
                *RESPONSES_EVENTS.values(),
                *SERVER_EVENTS.values(),
                *CLIENT_EVENTS.values(),
            ]
            _converter, hooks = make_converter(classes)
            for cls in RESPONSES_EVENTS.values():
                hooks.make_lenient(cls)
            _tables = _Tables(hooks)
        return _tables


class LiveCodec:
    """Encode and decode Live events. Sans-I/O and thread-safe.

    One codec serves every Live connection kind (primary, sideband, fork): the
    tables hold every event type; which types a connection carries is in
    :data:`~realtime_sync.live.events.PRIMARY_SERVER_TYPES` and friends. A wire
    type that exists in both directions decodes by direction:
    ``session.input_audio.append`` is a
    :class:`~realtime_sync.live.events.SessionInputAudioAppend` from
    :meth:`decode_client` and a
    :class:`~realtime_sync.live.events.ServerSessionInputAudioAppend` from
    :meth:`decode_server`.
    """

    __slots__ = ("_tables",)

    def __init__(self) -> None:
        self._tables = _get_tables()

    def __repr__(self) -> str:
        return "LiveCodec()"

    # -- decode --------------------------------------------------------------------

    def decode_server(self, data: str | bytes) -> LiveServerEvent:
        """Decode one server frame.

        Args:
            data: The frame's text (or UTF-8 bytes).

        Returns:
            The typed event, or :class:`UnknownLiveServerEvent` for an unknown type.

        Raises:
            ProtocolError: The frame is not a JSON object with a string ``type``, or
                a known field has the wrong JSON type (the path says which).
        """
        try:  # the common case, inlined (audio deltas, 10 a second or more)
            d = _loads(data)
            hook = self._tables.server.get(d.get("type"))
            if hook is not None:
                return hook(d, None)  # type: ignore[no-any-return]
        except Exception:
            pass  # redone below, slowly, to report exactly what is wrong
        return self._decode(data, self._tables.server, UnknownLiveServerEvent)  # type: ignore[return-value]

    def decode_client(self, data: str | bytes) -> LiveClientEvent:
        """Decode one client frame (what a server receives).

        Args:
            data: The frame's text (or UTF-8 bytes).

        Returns:
            The typed event, or :class:`UnknownLiveClientEvent` for an unknown type.

        Raises:
            ProtocolError: As for :meth:`decode_server`.
        """
        return self._decode(data, self._tables.client, UnknownLiveClientEvent)  # type: ignore[return-value]

    @staticmethod
    def _decode(
        data: str | bytes,
        table: dict[str, Any],
        unknown: type[UnknownLiveServerEvent] | type[UnknownLiveClientEvent],
    ) -> Event:
        return decode_frame(data, table, unknown)  # type: ignore[no-any-return]

    # -- encode --------------------------------------------------------------------

    def encode_client(self, event: LiveClientEvent) -> str:
        """Encode a client event to JSON text, validating its field types.

        Args:
            event: The event to send.

        Returns:
            The JSON text of one frame.

        Raises:
            TypeError: ``event`` is not a Live client event, one of its fields has a
                value of the wrong type (the message gives the path, ``expected str
                @ $.content``), or a value is not JSON-serialisable.
        """
        if not isinstance(event, LiveClientEvent):
            raise TypeError(f"expected a Live client event, not {type(event).__name__}")
        d = self.to_dict(event)
        if not isinstance(event, UnknownLiveClientEvent):
            # Client events come from user code: check them with the strict hooks
            # that check what servers send, so a bad value fails at the call site.
            try:
                self._tables.client[event.TYPE](dict(d), None)
            except Bad as exc:
                raise TypeError(exc.describe()) from None
        return self._dumps(d)

    def encode_server(self, event: LiveServerEvent) -> str:
        """Encode a server event to JSON text (what a server sends).

        Args:
            event: The event to send.

        Returns:
            The JSON text of one frame.

        Raises:
            TypeError: ``event`` is not a Live server event or holds a value that is
                not JSON-serialisable.
        """
        if not isinstance(event, LiveServerEvent):
            raise TypeError(f"expected a Live server event, not {type(event).__name__}")
        return self._dumps(self.to_dict(event))

    def to_dict(self, event: Event | Model) -> dict[str, Any]:
        """The wire dict of a Live event (or model), before JSON.

        Raises:
            TypeError: ``event`` is not a Live protocol class, or holds a value of a
                type that cannot be encoded.
        """
        if isinstance(event, (UnknownLiveServerEvent, UnknownLiveClientEvent)):
            wire = {"type": event.type, **event.data}
            if event.event_id is not UNSET:
                wire["event_id"] = event.event_id
            if event.extra:
                wire.update(event.extra)
            return wire
        hook = self._tables.unstructure.get(type(event))
        if hook is None:
            raise TypeError(
                f"cannot encode {type(event).__name__}: not a Live protocol class"
            )
        try:
            d: dict[str, Any] = hook(event)
        except (AttributeError, TypeError) as exc:
            raise TypeError(f"cannot encode {type(event).__name__}: {exc}") from exc
        return d

    _dumps = staticmethod(dump_frame)
