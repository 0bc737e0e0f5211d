"""The sans-I/O Codec: JSON text <-> typed events, both directions, GA or beta dialect.

``Codec(dialect).decode_server(text)`` is what a client's reader thread calls for
every frame; ``encode_client(event)`` what its sender calls (``encode_client_bytes``
gives the same frame as UTF-8 bytes, for a transport that sends bytes). The reverse pair,
``decode_client``/``encode_server``, is what a server (our MockRealtimeServer) uses.

Decoding is tolerant where the protocol grows and strict where a bug hides:

* an unknown ``type`` decodes to :class:`UnknownServerEvent` (or
  :class:`UnknownClientEvent`), an unknown field goes to the object's ``extra``, an
  unknown kind of nested object to :class:`UnknownModel`; enumerations are plain
  strings. All of it re-encodes as it came:
  ``encode(decode(P))`` is JSON-equal to ``P`` for every valid payload of the dialect;
* a frame that is not JSON, not an object, has no string ``type``, or has a known
  field of the wrong JSON type raises :class:`ProtocolError` with the raw text and
  the path (``expected str @ $.event_id``). Nothing else escapes a decode: any other
  exception inside it is a bug, and is reported as a ProtocolError too, never raised
  as is, so that the reader thread can always go on.

The converter and its generated hooks are built once per process (on first use), never
per Codec or per connection; so are the checked encoders of client events
(:mod:`realtime_sync.protocol._encode`), on the first encode.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

import cattrs

from realtime_sync.events import (
    CLIENT_EVENTS,
    SERVER_EVENTS,
    UNSET,
    ClientEvent,
    Event,
    ServerEvent,
    UnknownClientEvent,
    UnknownServerEvent,
)
from realtime_sync.events._base import Model
from realtime_sync.exceptions import ProtocolError
from realtime_sync.protocol import _json, dialects
from realtime_sync.protocol._encode import make_encoders
from realtime_sync.protocol._hooks import (
    Bad,
    HookSet,
    json_type_name,
    make_converter,
    model_classes,
)

__all__ = ["Codec", "Dialect", "decode_frame", "dump_frame", "get_converter"]

Dialect = Literal["ga", "beta"]
#: A dialect's mapping of a received frame's type and dict to the GA ones.
Translate = Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]

# The raw backend functions (no wrapper: this is the hot path; errors are mapped above).
_loads = _json.raw_loads
_raw_dumps = _json.raw_dumps

_lock = threading.Lock()
_built: tuple[cattrs.Converter, HookSet] | None = None


def _build() -> tuple[cattrs.Converter, HookSet]:
    global _built
    with _lock:
        if _built is None:
            classes: list[type] = [
                *model_classes(),
                *SERVER_EVENTS.values(),
                *CLIENT_EVENTS.values(),
            ]
            _built = make_converter(classes)
        return _built


def get_converter() -> cattrs.Converter:
    """The process-wide cattrs converter with the generated hook of every class."""
    return _build()[0]


class _Tables:
    """Hooks by wire type, read from the converter once per process and dialect."""

    def __init__(self, hooks: HookSet) -> None:
        s = hooks.structure
        self.server = {t: s[c] for t, c in SERVER_EVENTS.items()}
        self.client = {t: s[c] for t, c in CLIENT_EVENTS.items()}
        self.unstructure = hooks.unstructure
        self.unstructure_beta = hooks.unstructure_beta


_tables: _Tables | None = None

# Checked encoders of client events (see _encode), filled on the first encode: a
# process that only decodes never generates them. Shared by every Codec.
_encoders: dict[type, Any] = {}


def _fill_encoders() -> None:
    with _lock:
        if not _encoders:
            classes: list[type] = [*model_classes(), *CLIENT_EVENTS.values()]
            every = make_encoders(classes)
            _encoders.update({c: every[c] for c in CLIENT_EVENTS.values()})


def prepare_encoders() -> None:
    """Build the process's client-event encoders now, if not built yet.

    The first encode of the process would build them (about 30 ms of CPU): a client
    calls this in ``connect()``, so that its first send is not delayed by it.
    """
    if not _encoders:
        _fill_encoders()


def _get_tables() -> _Tables:
    global _tables
    if _tables is None:
        _tables = _Tables(_build()[1])
    return _tables


def load_frame(data: str | bytes) -> tuple[dict[str, Any], str]:
    """Parse one frame: a JSON object and its ``type`` string.

    Shared by the codecs of every protocol (Realtime, Live, Translation).

    Raises:
        ProtocolError: The frame is not JSON, not an object, or has no string
            ``type`` (the path says where).
    """
    try:
        d = _loads(data)
    except Exception as exc:  # JSON errors of either backend, bad UTF-8, bad type
        raise ProtocolError(f"frame is not valid JSON: {exc}", raw=data) from exc
    if d.__class__ is not dict:
        raise ProtocolError(
            f"expected object @ $ (got {json_type_name(d)})", raw=data, path="$"
        )
    wire_type = d.get("type")
    if wire_type.__class__ is not str:
        if "type" not in d:
            raise ProtocolError("missing type @ $.type", raw=data, path="$.type")
        raise ProtocolError("expected str @ $.type", raw=data, path="$.type")
    return d, wire_type


def decode_error(exc: Exception, data: str | bytes, wire_type: str) -> ProtocolError:
    """The ProtocolError for a frame whose ``wire_type`` hook raised ``exc``.

    A field of the wrong JSON type gives its path; anything else is a bug, which
    still never escapes as anything but a ProtocolError (``exc`` as its cause).
    """
    if isinstance(exc, Bad):
        error = ProtocolError(exc.describe(), raw=data, path=exc.path)
        error.__suppress_context__ = True  # the path says it all
        return error
    error = ProtocolError(
        f"could not decode {wire_type!r}: {type(exc).__name__}: {exc}", raw=data
    )
    error.__cause__ = exc
    return error


def decode_frame(
    data: str | bytes,
    table: dict[str, Any],
    unknown: Callable[..., Any],
    translate: Translate | None = None,
) -> Any:
    """Decode one frame with ``table`` (wire type to structure hook); the slow path.

    Shared by the codecs of every protocol. A type not in ``table`` gives
    ``unknown(type=..., data=...)``; ``translate`` (the beta dialect's) maps the
    wire type and dict first.

    Raises:
        ProtocolError: As :func:`load_frame`, or a field of the wrong JSON type.
    """
    d, wire_type = load_frame(data)
    try:
        if translate is not None:
            wire_type, d = translate(wire_type, d)
        hook = table.get(wire_type)
        if hook is None:
            del d["type"]
            return unknown(type=wire_type, data=d)
        return hook(d, None)
    except Exception as exc:
        raise decode_error(exc, data, wire_type)  # noqa: B904 (its cause is set)


def dump_frame(d: dict[str, Any]) -> str:
    """The JSON text of a wire dict (shared by the codecs of every protocol).

    Raises:
        TypeError: A value is not JSON-serialisable.
    """
    try:
        return _json.dumps(d)
    except (TypeError, ValueError, RecursionError) as exc:
        # RecursionError: nested deeper than the stdlib encoder can go (about
        # 990 levels; a JSON decoder may have accepted up to 1024).
        raise TypeError(f"event is not JSON-serialisable: {exc}") from exc


class Codec:
    """Encode and decode Realtime events for one dialect. Sans-I/O and thread-safe.

    Args:
        dialect: ``"ga"`` (the canonical protocol) or ``"beta"`` (the preview protocol
            of Azure's classic path and many compatible servers). Both decode to the
            same GA-shaped classes.
        azure: Apply Azure's beta quirks on encode (``max_response_output_tokens:
            "inf"`` is omitted, which Azure's preview API treats the same).

    Raises:
        ValueError: For an unknown dialect.
    """

    __slots__ = ("_azure", "_beta", "_encoders", "_server", "_tables", "dialect")

    def __init__(self, dialect: Dialect = "ga", *, azure: bool = False) -> None:
        if dialect not in ("ga", "beta"):
            raise ValueError(f"dialect must be 'ga' or 'beta', not {dialect!r}")
        self.dialect: Dialect = dialect
        self._beta = dialect == "beta"
        self._azure = azure
        self._tables = _get_tables()
        self._server = self._tables.server
        self._encoders = _encoders

    def __repr__(self) -> str:
        return f"Codec(dialect={self.dialect!r})"

    # -- decode --------------------------------------------------------------------

    def decode_server(self, data: str | bytes) -> ServerEvent:
        """Decode one server frame.

        Args:
            data: The frame's text (or UTF-8 bytes).

        Returns:
            The typed event, or :class:`UnknownServerEvent` for an unknown type.

        Raises:
            ProtocolError: The frame is not a JSON object with a string ``type``, or a
                known field has the wrong JSON type.
        """
        # The common GA case is inlined (this runs for every frame of every session);
        # everything else goes through _decode.
        if not self._beta:
            try:
                d = _loads(data)
                return self._server[d["type"]](d, None)  # type: ignore[no-any-return]
            except Exception:
                pass  # redone below, slowly, to report exactly what is wrong
        return self._decode(data, self._server, UnknownServerEvent, True)  # type: ignore[return-value]

    def decode_client(self, data: str | bytes) -> ClientEvent:
        """Decode one client frame (what a server receives).

        Args:
            data: The frame's text (or UTF-8 bytes).

        Returns:
            The typed event, or :class:`UnknownClientEvent` for an unknown type.

        Raises:
            ProtocolError: As for :meth:`decode_server`.
        """
        return self._decode(data, self._tables.client, UnknownClientEvent, False)  # type: ignore[return-value]

    def _decode(
        self,
        data: str | bytes,
        table: dict[str, Any],
        unknown: type[UnknownServerEvent] | type[UnknownClientEvent],
        server: bool,
    ) -> Event:
        translate = None
        if self._beta:
            translate = dialects.beta_server_in if server else dialects.beta_client_in
        return decode_frame(data, table, unknown, translate)  # type: ignore[no-any-return]

    # -- encode --------------------------------------------------------------------

    def encode_client(self, event: ClientEvent | UnknownClientEvent) -> str:
        """Encode a client event to JSON text, validating its field types.

        Args:
            event: The event to send.

        Returns:
            The JSON text of one frame.

        Raises:
            TypeError: ``event`` is not a client event, or one of its fields has a value
                of the wrong type (the message gives the path, ``expected str @
                $.item_id``), or a value is not JSON-serialisable.
            ValueError: The event cannot be expressed in this dialect.
        """
        if not self._beta:
            # The send hot path: one generated pass checks and builds the wire dict
            # (see _encode). None, or any error, means "let the checked path
            # decide": it accepts or rejects exactly as it always did.
            try:
                d = self._encoders[event.__class__](event)
                if d is not None:
                    return _raw_dumps(d).decode()
            except Exception:
                if not self._encoders:  # the first encode of the process
                    _fill_encoders()
                    return self.encode_client(event)
        return self._encode_checked(event)

    def encode_client_bytes(self, event: ClientEvent | UnknownClientEvent) -> bytes:
        """:meth:`encode_client` as UTF-8 bytes, for transports that send bytes.

        A text frame's payload is UTF-8 bytes: with the orjson backend these are what
        the encoder produces, without a round trip through ``str``.

        Raises:
            TypeError: As :meth:`encode_client`.
            ValueError: As :meth:`encode_client`.
        """
        if not self._beta:
            try:
                d = self._encoders[event.__class__](event)
                if d is not None:
                    return _raw_dumps(d)
            except Exception:
                if not self._encoders:
                    _fill_encoders()
                    return self.encode_client_bytes(event)
        return self._encode_checked(event).encode("utf-8")

    def _encode_checked(self, event: ClientEvent | UnknownClientEvent) -> str:
        """Unstructure, check with the structure hooks, dump: the general path."""
        if not isinstance(event, ClientEvent):
            raise TypeError(f"expected a client event, not {type(event).__name__}")
        d = self.to_dict(event)
        if not isinstance(event, UnknownClientEvent):
            hook = self._tables.client.get(event.TYPE)
            if hook is not None:
                self._validate(hook, d)
        return self._dumps(d)

    def encode_server(self, event: ServerEvent | UnknownServerEvent) -> str:
        """Encode a server event to JSON text (what a server sends).

        Args:
            event: The event to send.

        Returns:
            The JSON text of one frame.

        Raises:
            TypeError: ``event`` is not a server event or holds a value that is not
                JSON-serialisable.
        """
        if not isinstance(event, ServerEvent):
            raise TypeError(f"expected a server event, not {type(event).__name__}")
        return self._dumps(self.to_dict(event))

    def to_dict(self, event: Event | Model) -> dict[str, Any]:
        """The wire dict of an event (or model) in this dialect, before JSON."""
        if isinstance(event, (UnknownServerEvent, UnknownClientEvent)):
            wire = {"type": event.type, **event.data}
            # Fields set on the object itself (``attrs.evolve(e, event_id=...)``, as
            # RealtimeClient.send does) must reach the wire too, not only ``data``.
            if event.event_id is not UNSET:
                wire["event_id"] = event.event_id
            if event.extra:
                wire.update(event.extra)
            return wire
        table = (
            self._tables.unstructure_beta if self._beta else self._tables.unstructure
        )
        hook = table.get(type(event))
        if hook is None:
            raise TypeError(
                f"cannot encode {type(event).__name__}: not a protocol class"
            )
        try:
            d: dict[str, Any] = hook(event)
        except (AttributeError, TypeError) as exc:
            raise TypeError(f"cannot encode {type(event).__name__}: {exc}") from exc
        if self._beta and isinstance(event, Event):
            if isinstance(event, ServerEvent):
                d = dialects.beta_server_out(d, self._azure)
            else:
                d = dialects.beta_client_out(d, self._azure)
        return d

    def _validate(self, hook: Any, d: dict[str, Any]) -> None:
        # Client events come from user code: check them with the same strict hooks
        # that check what servers send, so a bad value fails here, at the call site,
        # rather than as a server error later. Beta dicts are checked in GA shape.
        try:
            if self._beta:
                wire_type, d = dialects.beta_client_in(d["type"], dict(d))
                hook = self._tables.client.get(wire_type, hook)
            hook(dict(d), None)
        except Bad as exc:
            raise TypeError(exc.describe()) from None

    _dumps = staticmethod(dump_frame)
