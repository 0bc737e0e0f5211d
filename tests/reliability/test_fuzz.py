"""Fuzzing the client's reader loop: fuzzed frames from a real server, over a socket.

The Codec alone is fuzzed in ``tests/protocol/test_properties.py`` (20,000 inputs
under ``CI=true``); here the whole client-side path is: a WebSocket server on
127.0.0.1 sends text frames (garbage, invalid JSON, arrays and numbers, objects with
a missing or wrong-typed ``type``, known events with fields replaced, dropped or
retyped, recorded traffic damaged byte by byte, huge and deeply nested documents) and
binary frames to a :class:`~realtime_sync.RealtimeClient` with ``on_error`` and
wildcard handlers. After every batch:

* the reader thread is alive: a sentinel frame sent last reaches the handlers, and
  ``client.is_connected`` holds;
* every text frame the Codec rejects (decided offline, by a Codec of the client's
  dialect) was reported once, in order, to ``on_error`` as a ProtocolError carrying
  that frame; nothing else was reported but the HandlerErrors of a handler that
  raises on purpose;
* every frame the Codec accepts reached the ``"*"`` handlers as that event, in order
  (beta clients also see the ``conversation.item.done`` they synthesise); binary
  frames are skipped;
* nothing was logged at ERROR (a bookkeeping failure on a decodable event is
  swallowed and logged by the client: here it counts as a finding). The tests at the
  end of this file replay the three such failures fuzzing found (a response event
  without ``response``, audio deltas that are not base64), now fixed.

Under ``CI=true`` this file sends about 18,000 frames through the reader (the total
is printed by ``test_report_count``; about 20 s on two shared cores), on top of the
20,000 Codec inputs of ``tests/protocol/test_properties.py``.
``benchmarks/fuzz.py`` runs the long campaigns (a million inputs and more).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import realtime_sync as rs
from realtime_sync.events import ConversationItemDone, ServerEvent
from realtime_sync.exceptions import HandlerError, ProtocolError, RealtimeError
from realtime_sync.protocol import Codec
from realtime_sync.testing import MockRealtimeServer
from tests.data import all_payloads, ga_conversation_lines
from tests.helpers import EventRecorder
from tests.reliability._raw import FrameServer
from tests.strategies import (
    ALL_EVENT_TYPES,
    frames,
    json_paths,
    protocol_json,
    retype,
)

CI = bool(os.environ.get("CI"))
# Under CI: 250 Hypothesis batches of up to 40 frames per dialect (about 2,200
# frames: Hypothesis favours short lists, and generating costs more than sending)
# plus 2 x 8,000 mutated recorded frames through MockRealtimeServer.
BATCHES = 250 if CI else 40
RECORDED_FRAMES = 8_000 if CI else 1_000
TIMEOUT = 30.0

BOOM = '{"type":"fuzz.boom","event_id":"boom"}'
SERVER_PAYLOADS = [p for p in all_payloads() if p.direction == "server"]
GA_SESSION_CREATED = ga_conversation_lines()[0]
BETA_SESSION_CREATED = json.dumps(
    next(
        p.payload
        for p in SERVER_PAYLOADS
        if p.dialect == "beta" and p.payload["type"] == "session.created"
    )
)

#: Reader-loop inputs sent by this module's tests (printed by the last test).
SENT = {"frames": 0, "protocol_errors": 0, "events": 0, "binary": 0}


# -- the client under test, and what it saw --------------------------------------------


class ErrorLog(logging.Handler):
    """Collects ERROR records of the SDK's loggers, except the on-purpose handler's."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "fuzz.boom" in record.getMessage():
            return  # the handler that raises on purpose
        self.records.append(record)


class Seen(EventRecorder):
    """An EventRecorder that can wait for a sentinel without printing what it holds.

    (EventRecorder's failure message lists every item: megabytes of fuzzed events.)
    """

    def wait_for_sentinel(self, marker: dict[str, str], timeout: float) -> bool:
        """Wait until the last item is the ``fuzz.sentinel`` event holding ``marker``."""

        def arrived() -> bool:
            last = self.items[-1] if self.items else None
            return getattr(last, "type", None) == "fuzz.sentinel" and (
                last.data == marker  # type: ignore[union-attr]
            )

        with self._cond:
            return self._cond.wait_for(arrived, timeout)


class Harness:
    """A connected client, its recorders, and a way to push frames to it."""

    def __init__(
        self,
        client: rs.RealtimeClient,
        push: Callable[[list[str | bytes]], None],
        dialect: str,
    ) -> None:
        self.client = client
        self.push = push
        self.codec = Codec(dialect)  # type: ignore[arg-type]
        self.events = Seen()
        self.errors = Seen()
        self.batch = 0
        client.on("*", self.events)
        client.on_error(self.errors)
        with pytest.warns(rs.UnknownEventTypeWarning, match="fuzz.boom"):
            client.on("fuzz.boom", _boom)  # an unknown type, on purpose

    def settle(self) -> None:
        """Wait until what the server sent on its own (after connecting) has arrived."""
        self.sync([])

    def feed(self, frames: list[str | bytes]) -> None:
        """Send ``frames`` and a sentinel; check everything the client reported."""
        got, errors = self.sync(frames)
        expected_events, expected_errors = self.expect(frames)

        assert self.client.is_connected
        assert [_describe(e) for e in errors] == expected_errors
        _assert_same_events(got, expected_events, self.codec.dialect)
        SENT["frames"] += len(frames)
        SENT["binary"] += sum(isinstance(f, bytes) for f in frames)
        SENT["protocol_errors"] += sum(k == "ProtocolError" for k, _ in expected_errors)
        SENT["events"] += len(expected_events)

    def sync(
        self, frames: list[str | bytes]
    ) -> tuple[list[ServerEvent], list[RealtimeError]]:
        """Send ``frames`` and a sentinel; the events and errors before the sentinel."""
        self.batch += 1
        sentinel = f'{{"type":"fuzz.sentinel","event_id":"s{self.batch}"}}'
        start_events = len(self.events.items)
        start_errors = len(self.errors.items)
        self.push([*frames, sentinel])

        marker = {"event_id": f"s{self.batch}"}
        ok = self.events.wait_for_sentinel(marker, TIMEOUT)
        got = self.events.items[start_events:-1]
        # Not the recorder's message: it would print megabytes of fuzzed events.
        assert ok, f"batch {self.batch}: the sentinel did not arrive in {TIMEOUT} s"
        return got, self.errors.items[start_errors:]

    def expect(
        self, frames: list[str | bytes]
    ) -> tuple[list[ServerEvent], list[tuple[str, Any]]]:
        """What the client should report for ``frames``, decided by the Codec offline."""
        events: list[ServerEvent] = []
        errors: list[tuple[str, Any]] = []
        for frame in frames:
            if isinstance(frame, bytes):
                # The protocol has text frames only: reported, not dispatched.
                errors.append(("ProtocolError", frame[:1024]))
                continue
            try:
                event = self.codec.decode_server(frame)
            except ProtocolError:
                errors.append(("ProtocolError", frame))
                continue
            events.append(event)
            if event.type == "fuzz.boom":
                errors.append(("HandlerError", "fuzz.boom"))
        return events, errors


def _boom(event: ServerEvent) -> None:
    raise RuntimeError("fuzz.boom handler raises on purpose")


def _describe(error: RealtimeError) -> tuple[str, Any]:
    if isinstance(error, ProtocolError):
        return "ProtocolError", error.raw
    if isinstance(error, HandlerError):
        return "HandlerError", getattr(error.event, "type", None)
    return type(error).__name__, str(error)


def _assert_same_events(
    got: list[ServerEvent], expected: list[ServerEvent], dialect: str
) -> None:
    """``got`` is ``expected`` in order; beta adds synthesised conversation.item.done."""
    if dialect == "ga":
        assert got == expected
        return
    j = 0
    for i, event in enumerate(got):
        if j < len(expected) and event == expected[j]:
            j += 1
            continue
        # Beta has no conversation.item.done: the client makes one right after the
        # event that finishes an item, with that event's id.
        assert isinstance(event, ConversationItemDone), (i, event, expected[j:])
        assert i > 0 and got[i - 1].event_id == event.event_id
    assert j == len(expected), expected[j:]


@pytest.fixture(scope="module")
def error_log() -> Iterator[ErrorLog]:
    """ERROR records of the SDK while this module runs."""
    handler = ErrorLog()
    logger = logging.getLogger("realtime_sync")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _sdk_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("realtime-sync-")}


def _client(url: str, dialect: str) -> rs.RealtimeClient:
    """A client for ``url`` (not connected): no pings, no barge-in."""
    return rs.RealtimeClient(
        url=url, api_key="test", dialect=dialect, ping_interval=None, barge_in=False
    )


@pytest.fixture(scope="module", params=["ga", "beta"])
def harness(request: pytest.FixtureRequest, error_log: ErrorLog) -> Iterator[Harness]:
    """One client per dialect, connected to a FrameServer for the whole module."""
    dialect = request.param
    before = _sdk_threads()
    server = FrameServer(
        GA_SESSION_CREATED if dialect == "ga" else BETA_SESSION_CREATED
    )
    client = _client(server.url, dialect)
    try:
        client.connect()
        harness = Harness(client, server.send_all, dialect)
        harness.settle()
        yield harness
    finally:
        client.close(timeout=2.0)
        server.stop()
    _assert_no_new_threads(before)


def _assert_no_new_threads(before: set[threading.Thread]) -> None:
    leaked = []
    for thread in _sdk_threads() - before:
        thread.join(5.0)
        if thread.is_alive():
            leaked.append(thread.name)
    assert not leaked, leaked


# -- frames ------------------------------------------------------------------------------

_index = st.integers(0, len(SERVER_PAYLOADS) - 1)
_values = protocol_json(6)
_types = st.sampled_from(ALL_EVENT_TYPES)


@st.composite
def mutated_events(draw: st.DrawFn) -> str:
    """A recorded server payload with fields replaced, dropped or retyped."""
    payload = copy.deepcopy(SERVER_PAYLOADS[draw(_index)].payload)
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "delete", "retype", "type"]))
        if action == "type":
            payload["type"] = draw(_types)
            continue
        paths = json_paths(payload)[1:]
        if not paths:
            break
        path = paths[draw(st.integers(0, len(paths) - 1))]
        parent = payload
        for key in path[:-1]:
            parent = parent[key]
        if action == "delete":
            del parent[path[-1]]
        elif action == "retype":
            parent[path[-1]] = retype(parent[path[-1]])
        else:
            parent[path[-1]] = draw(_values)
    return json.dumps(payload, ensure_ascii=draw(st.booleans()))


@st.composite
def damaged_frames(draw: st.DrawFn) -> str:
    """A recorded frame with a few bytes flipped, cut or inserted (as UTF-8 text)."""
    frame = bytearray(json.dumps(SERVER_PAYLOADS[draw(_index)].payload).encode())
    for _ in range(draw(st.integers(1, 3))):
        if not frame:
            break
        at = draw(st.integers(0, len(frame) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            frame[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del frame[at:]
        else:
            frame[at:at] = draw(st.binary(min_size=1, max_size=4))
    return frame.decode("utf-8", "replace")


class Big:
    """A huge or deeply nested frame, built when sent (a short repr for Hypothesis).

    Every one stays under the client's ``max_message_size`` (16 MiB): a bigger frame
    fails the connection (close code 1009) on purpose, which is not what this tests.
    """

    def __init__(self, kind: str, size: int) -> None:
        self.kind = kind
        self.size = size

    def __repr__(self) -> str:
        return f"Big({self.kind!r}, {self.size})"

    def build(self) -> str:
        """The frame's text."""
        kind, n = self.kind, self.size
        if kind == "deep-array":
            return "[" * n + "]" * n
        if kind in ("deep-object", "deep-event"):
            inner = '{"a":' * n + "1" + "}" * n
            if kind == "deep-object":
                return inner
            return (
                '{"type":"error","event_id":"e","error":{"type":"x","message":"m",'
                f'"details":{inner}}}}}'
            )
        if kind == "delta":  # a valid audio delta of n bytes of base64
            return (
                '{"type":"response.output_audio.delta","event_id":"e",'
                '"response_id":"r","item_id":"i","output_index":0,'
                f'"content_index":0,"delta":"{"AAAA" * (n // 4)}"}}'
            )
        if kind == "text":  # n characters of non-ASCII text in an unknown event
            return json.dumps(
                {"type": "fuzz.huge", "text": "é€😀" * (n // 3)}, ensure_ascii=False
            )
        if kind == "number":  # an integer of n digits
            return '{"type":"error","event_id":' + "9" * n + "}"
        assert kind == "array"
        return '{"type":"fuzz.huge","items":[' + ",".join(["1"] * (n // 2)) + "]}"


_deep = st.builds(
    Big,
    st.sampled_from(["deep-array", "deep-object", "deep-event"]),
    st.sampled_from([2, 50, 500, 1000, 1100, 5000, 100_000]),
)
_huge = st.builds(
    Big,
    st.sampled_from(["delta", "text", "number", "array"]),
    st.sampled_from([1 << 10, 1 << 16, 1 << 20, 3 << 20]),
)


#: One frame: mostly protocol-shaped, some garbage, a few huge or deep ones.
frame_strategy: st.SearchStrategy[str | bytes | Big] = st.one_of(
    frames().map(json.dumps),
    mutated_events(),
    damaged_frames(),
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.binary(max_size=64),
    st.sampled_from(["", "null", "[]", "{}", "1", '"x"', '{"type":1}', BOOM]),
    _deep,
    _huge,
)


# -- tests ---------------------------------------------------------------------------------


@settings(
    max_examples=BATCHES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(batch=st.lists(frame_strategy, min_size=1, max_size=40))
def test_reader_survives_fuzzed_frames(
    harness: Harness, error_log: ErrorLog, batch: list[str | bytes | Big]
) -> None:
    """Fuzzed frames: one ProtocolError per bad frame, events in order, reader alive."""
    error_log.records.clear()  # this example's only (a failing one is shrunk)
    harness.feed([f.build() if isinstance(f, Big) else f for f in batch])

    assert not error_log.records, [r.getMessage() for r in error_log.records]


# Recorded traffic, mutated: the GA conversation and the beta docs' server events.
_JSON_MUTATIONS = ("replace", "delete", "retype", "type", "splice", "rename")


def _mutate(rng: random.Random, text: str, corpus: list[Any]) -> str:
    """One mutation of a recorded frame: byte-level damage or a JSON-aware change."""
    if rng.random() < 0.4:
        data = bytearray(text.encode())
        for _ in range(rng.randint(1, 4)):
            if not data:
                break
            at = rng.randrange(len(data))
            choice = rng.randrange(4)
            if choice == 0:
                data[at] = rng.randrange(256)
            elif choice == 1:
                del data[at : at + rng.randint(1, 16)]
            elif choice == 2:
                data[at:at] = rng.randbytes(rng.randint(1, 4))
            else:
                data[at:at] = data[at : at + rng.randint(1, 32)]  # duplicate a chunk
        return data.decode("utf-8", "replace")
    payload = json.loads(text)
    for _ in range(rng.randint(1, 3)):
        action = rng.choice(_JSON_MUTATIONS)
        if action == "type":
            payload["type"] = rng.choice(ALL_EVENT_TYPES)
            continue
        paths = json_paths(payload)[1:]
        if not paths:
            break
        path = rng.choice(paths)
        parent = payload
        for key in path[:-1]:
            parent = parent[key]
        if action == "delete":
            del parent[path[-1]]
        elif action == "retype":
            parent[path[-1]] = retype(parent[path[-1]])
        elif action == "rename" and isinstance(parent, dict):
            parent[str(path[-1]) + "_"] = parent.pop(path[-1])
        elif action == "splice":  # a top-level value of another recorded frame
            other = rng.choice(corpus)
            parent[path[-1]] = copy.deepcopy(rng.choice(list(other.values())))
        else:
            parent[path[-1]] = rng.choice(
                [None, True, -1, 2**64, 1e308, "", "\x00é€😀", [], {}, [[[]]]]
            )
    return json.dumps(payload, ensure_ascii=rng.random() < 0.5)


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_reader_survives_mutated_recorded_traffic(
    dialect: str, error_log: ErrorLog
) -> None:
    """MockRealtimeServer sends mutated recorded frames: same checks as above."""
    error_log.records.clear()
    if dialect == "ga":
        seeds = list(ga_conversation_lines())
    else:
        seeds = [json.dumps(p.payload) for p in SERVER_PAYLOADS if p.dialect == "beta"]
    corpus = [json.loads(s) for s in seeds]
    rng = random.Random(f"recorded-{dialect}")
    before = _sdk_threads()
    with MockRealtimeServer(dialect=dialect) as server:  # type: ignore[arg-type]

        def push(frames: list[str | bytes]) -> None:
            for frame in frames:
                assert isinstance(frame, str)
                server.send_malformed(frame)

        client = _client(server.url, dialect)
        try:
            client.connect()
            harness = Harness(client, push, dialect)
            harness.settle()  # conversation.created (beta) comes after connect()
            for start in range(0, RECORDED_FRAMES, 250):
                count = min(250, RECORDED_FRAMES - start)
                harness.feed(
                    [_mutate(rng, rng.choice(seeds), corpus) for _ in range(count)]
                )
        finally:
            client.close(timeout=2.0)
    _assert_no_new_threads(before)
    assert not error_log.records, [r.getMessage() for r in error_log.records]


def test_report_count() -> None:
    """Print how many fuzzed frames went through the reader loop (and check some did)."""
    print(
        f"\nreader-loop fuzz: {SENT['frames']} frames, {SENT['protocol_errors']} "
        f"ProtocolErrors, {SENT['events']} events, {SENT['binary']} binary frames"
    )
    if not SENT["frames"]:
        pytest.skip("no reader-loop test ran in this process")


# -- bugs found by this fuzzing --------------------------------------------------------


@pytest.fixture
def frame_client() -> Iterator[tuple[rs.RealtimeClient, FrameServer]]:
    """A GA client connected to a FrameServer (for scripted bug reproductions)."""
    server = FrameServer(GA_SESSION_CREATED)
    client = _client(server.url, "ga")
    try:
        client.connect()
        yield client, server
    finally:
        client.close(timeout=2.0)
        server.stop()


def test_response_event_without_response_is_tracked(
    frame_client: tuple[rs.RealtimeClient, FrameServer],
) -> None:
    """A response.done without ``response`` is tracked without an internal error."""
    client, server = frame_client
    recorder = EventRecorder()
    with pytest.warns(rs.UnknownEventTypeWarning):
        client.on("fuzz.sentinel", recorder)  # an unknown type, on purpose
    handler = ErrorLog()
    logger = logging.getLogger("realtime_sync")
    logger.addHandler(handler)
    try:
        server.send_all(
            [
                '{"type":"response.created","event_id":"e1"}',
                '{"type":"response.done","event_id":"e2"}',
                '{"type":"fuzz.sentinel"}',
            ]
        )
        recorder.wait_until(lambda items: len(items) == 1)
    finally:
        logger.removeHandler(handler)

    assert not handler.records, [r.getMessage() for r in handler.records]


def test_response_with_corrupt_audio_delta_still_finishes(
    frame_client: tuple[rs.RealtimeClient, FrameServer],
) -> None:
    """A response whose audio delta is not base64 still finishes its handle."""
    client, server = frame_client
    handle = client.create_response()

    server.send_all(
        [
            '{"type":"response.created","event_id":"e1","response":{"id":"resp_1",'
            '"object":"realtime.response","status":"in_progress",'
            '"conversation_id":"conv_1","output":[]}}',
            '{"type":"response.output_audio.delta","event_id":"e2",'
            '"response_id":"resp_1","item_id":"item_1","output_index":0,'
            '"content_index":0,"delta":"not base64!"}',
            '{"type":"response.done","event_id":"e3","response":{"id":"resp_1",'
            '"object":"realtime.response","status":"completed",'
            '"conversation_id":"conv_1","output":[]}}',
        ]
    )
    try:
        handle.wait(timeout=1.0)
    except rs.Timeout:
        pytest.fail("the response.done did not finish the handle")
    except rs.RealtimeError:
        pass  # reporting the corrupt audio is fine; hanging is not


def test_truncating_item_with_corrupt_audio_is_tracked(
    frame_client: tuple[rs.RealtimeClient, FrameServer],
) -> None:
    """Truncating an item whose audio delta is not base64 logs no internal error."""
    client, server = frame_client
    recorder = EventRecorder()
    with pytest.warns(rs.UnknownEventTypeWarning):
        client.on("fuzz.sentinel", recorder)  # an unknown type, on purpose
    handler = ErrorLog()
    logger = logging.getLogger("realtime_sync")
    logger.addHandler(handler)
    try:
        server.send_all(
            [
                '{"type":"response.output_audio.delta","event_id":"e1",'
                '"response_id":"resp_1","item_id":"item_1","output_index":0,'
                '"content_index":0,"delta":"!!!!"}',
                '{"type":"conversation.item.truncated","event_id":"e2",'
                '"item_id":"item_1","content_index":0,"audio_end_ms":0}',
                '{"type":"fuzz.sentinel"}',
            ]
        )
        recorder.wait_until(lambda items: len(items) == 1)
    finally:
        logger.removeHandler(handler)

    assert not handler.records, [r.getMessage() for r in handler.records]


@pytest.mark.parametrize("depth", [300, 900])
def test_deeply_nested_events_encode_again(depth: int) -> None:
    """What the Codec decodes it encodes again, past orjson's 254 levels too."""
    codec = Codec("ga")
    text = '{"type":"vendor.deep","a":' + "[" * depth + "]" * depth + "}"
    event = codec.decode_server(text)
    assert json.loads(codec.encode_server(event)) == json.loads(text)


def test_too_deep_to_encode_is_a_type_error() -> None:
    """Deeper than any encoder goes: the documented TypeError, not RecursionError."""
    codec = Codec("ga")
    text = '{"type":"vendor.deep","a":' + "[" * 1020 + "]" * 1020 + "}"
    try:
        event = codec.decode_server(text)
    except rs.ProtocolError:
        pytest.skip("this JSON backend refuses the document already")
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        codec.encode_server(event)
