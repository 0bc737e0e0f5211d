"""Encode benchmark: client events to frames, ours against a plain ``orjson.dumps``.

Run from the repository root::

    python benchmarks/encode.py               # 15 rounds
    python benchmarks/encode.py --rounds 31   # steadier medians

For each client event a session sends (the 20 ms audio append above all: 50 a second
per session), the encoders, timed in alternation within each round:

* ``orjson.dumps``: ``orjson.dumps(d)`` of the event's wire dict, built beforehand;
  bytes, no checks. The floor the issue measures against.
* ``dumps+decode``: the same, decoded to ``str`` (what a text-frame API takes).
* ``encode_client``: ``Codec().encode_client(event)``, the SDK's send path: checks
  every field's type (a wrong one raises TypeError with its path), builds the dict,
  dumps, returns ``str``.
* ``encode_bytes``: ``Codec().encode_client_bytes(event)``, the same to UTF-8 bytes.
* ``checked path``: ``Codec()._encode_checked(event)``: unstructure, structure again
  to validate, dump; what ``encode_client`` did for every event before the generated
  encoders (and still does for the events they hand over).
* ``bound``: not an encoder but the least that any pure-Python encoder of the typed
  event does on top of ``orjson.dumps``: ``orjson.dumps(d)`` plus one straight-line
  function, written for this very event, that reads every field of every model in it
  (a field left unset must be read to be left out) and compares it with ``UNSET``.
  No call, no loop, no check of a type, no dict is built. Its ratio is the best an
  encoder written in Python can reach for that event: where it is above 2, the
  issue's "within 2x of ``orjson.dumps``" is out of reach without compiled code.

Below the table, ``append_audio()``'s own encoder: the client builds each append's
wire text with ``client._senders.append_json`` (constant pieces around the event id
and the base64 text), not with the codec, timed against ``orjson.dumps`` of the same
dict.

Reported: the median over rounds of CPU nanoseconds per call (``time.process_time``)
and each one's ratio to ``orjson.dumps``. Before timing, every encoder's output is
checked against the checked path.
"""

from __future__ import annotations

import argparse
import base64
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import attrs  # noqa: E402

import realtime_sync.events as ev  # noqa: E402
from realtime_sync.client._senders import append_json  # noqa: E402
from realtime_sync.events._base import UNSET  # noqa: E402
from realtime_sync.protocol import Codec, _json  # noqa: E402


def client_events() -> dict[str, Any]:
    """The events a voice session sends, as an application builds them."""
    audio = base64.b64encode(bytes(range(256)) * 3 + bytes(192)).decode("ascii")
    weather = ev.FunctionTool(
        name="get_weather",
        description="Get the weather forecast for a location.",
        parameters={
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    )
    session = ev.RealtimeSession(
        instructions="Be brief.",
        output_modalities=["audio"],
        tools=[weather],
        audio=ev.AudioConfig(
            input=ev.AudioInput(
                format=ev.AudioPCM(rate=24000),
                turn_detection=ev.ServerVad(silence_duration_ms=500),
            ),
            output=ev.AudioOutput(voice="marin"),
        ),
    )
    return {
        "append 20 ms": ev.InputAudioBufferAppend(audio=audio),
        "append + event_id": ev.InputAudioBufferAppend(audio=audio, event_id="evt_1"),
        "session.update": ev.SessionUpdate(session=session),
        "item.create text": ev.ConversationItemCreate(
            item=ev.UserMessage(content=[ev.InputText(text="What is the weather?")])
        ),
        "item.create output": ev.ConversationItemCreate(
            item=ev.FunctionCallOutputItem(call_id="call_1", output='{"ok":true}')
        ),
        "response.create": ev.ResponseCreate(),
        "response.cancel": ev.ResponseCancel(),
    }


def read_every_field(event: Any) -> Callable[[], None]:
    """A straight-line function that reads every field of every model in ``event``.

    Written for this event's object graph (nested models and lists of models are
    reached by attribute and index, as an encoder would), with nothing else in it:
    the ``bound`` column's share beyond ``orjson.dumps``.
    """
    lines = ["def bound():", "    o0 = EVENT"]
    count = 0

    def walk(var: str, obj: Any) -> None:
        nonlocal count
        for field in attrs.fields(type(obj)):
            count += 1
            sub = f"o{count}"
            lines.append(f"    {sub} = {var}.{field.name}")
            lines.append(f"    if {sub} is not UNSET: pass")
            value = getattr(obj, field.name)
            if attrs.has(type(value)):
                walk(sub, value)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if attrs.has(type(item)):
                        count += 1
                        lines.append(f"    o{count} = {sub}[{i}]")
                        walk(f"o{count}", item)

    walk("o0", event)
    namespace: dict[str, Any] = {"EVENT": event, "UNSET": UNSET}
    exec("\n".join(lines), namespace)
    return namespace["bound"]  # type: ignore[no-any-return]


def time_calls(fn: Callable[[], Any], calls: int) -> float:
    """CPU nanoseconds per call of ``fn``."""
    gc.collect()
    start = time.process_time_ns()
    for _ in range(calls):
        fn()
    return (time.process_time_ns() - start) / calls


def medians(
    fns: dict[str, Callable[[], Any]], args: argparse.Namespace
) -> dict[str, float]:
    """Median CPU ns per call of each function, in alternation within each round.

    Each round starts with another function, so that a slow moment of the machine
    hits them alike.
    """
    results: dict[str, list[float]] = {k: [] for k in fns}
    order = list(fns)
    for r in range(args.rounds):
        for k in order[r % len(order) :] + order[: r % len(order)]:
            results[k].append(time_calls(fns[k], args.calls))
    return {k: statistics.median(v) for k, v in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    try:
        import orjson
    except ImportError:
        raise SystemExit(
            "orjson is not installed: the fast extra is measured"
        ) from None

    codec = Codec()
    print(
        f"python {sys.version.split()[0]}, orjson {orjson.__version__}, "
        f"rounds: {args.rounds} x {args.calls} calls, clock: CPU time of this process"
    )
    print()
    header = (
        f"{'event':<20} {'orjson.dumps':>12} {'+decode':>9} {'encode_client':>14}"
        f" {'x':>6} {'encode_bytes':>13} {'x':>6} {'checked path':>13} {'x':>6}"
        f" {'bound':>8} {'x':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, event in client_events().items():
        d = codec.to_dict(event)
        slow = codec._encode_checked(event)
        if codec.encode_client(event) != slow or orjson.dumps(d).decode() != slow:
            raise SystemExit(f"{name}: the encoders disagree")
        if codec.encode_client_bytes(event) != slow.encode():
            raise SystemExit(f"{name}: encode_client_bytes disagrees")
        fns: dict[str, Callable[[], Any]] = {
            "dumps": lambda d=d: orjson.dumps(d),
            "decode": lambda d=d: orjson.dumps(d).decode(),
            "encode": lambda e=event: codec.encode_client(e),
            "bytes": lambda e=event: codec.encode_client_bytes(e),
            "checked": lambda e=event: codec._encode_checked(e),
            "reads": read_every_field(event),
        }
        med = medians(fns, args)
        floor = med["dumps"]
        print(
            f"{name:<20} {floor:10.0f}ns {med['decode']:7.0f}ns"
            f" {med['encode']:12.0f}ns {med['encode'] / floor:6.2f}"
            f" {med['bytes']:11.0f}ns {med['bytes'] / floor:6.2f}"
            f" {med['checked']:11.0f}ns {med['checked'] / floor:6.2f}"
            f" {floor + med['reads']:6.0f}ns {(floor + med['reads']) / floor:6.2f}"
        )
    print()
    append_audio_row(codec, client_events()["append + event_id"], args)
    print(f"JSON backend: {'orjson' if _json.HAVE_ORJSON else 'stdlib'}")


def append_audio_row(codec: Codec, event: Any, args: argparse.Namespace) -> None:
    """``append_audio()``'s own encoder, timed like the table's columns.

    The client does not encode its appends with the codec: ``_senders.append_json``
    puts the event id and the base64 text between constant pieces (neither needs
    escaping), checked against the codec's output here and in the tests.
    """
    import orjson

    eid, audio = event.event_id, event.audio
    if append_json(eid, audio) != codec.encode_client(event):
        raise SystemExit("append_json disagrees with the codec")
    d = codec.to_dict(event)
    fns: dict[str, Callable[[], Any]] = {
        "dumps": lambda: orjson.dumps(d),
        "decode": lambda: orjson.dumps(d).decode(),
        "append_json": lambda: append_json(eid, audio),
    }
    med = medians(fns, args)
    print(
        f"append_audio() builds its frame with append_json (no codec): "
        f"{med['append_json']:.0f}ns, {med['append_json'] / med['dumps']:.2f}x "
        f"orjson.dumps ({med['dumps']:.0f}ns), {med['append_json'] / med['decode']:.2f}x "
        f"orjson.dumps + decode ({med['decode']:.0f}ns), for the same 20 ms append"
    )
    print()


if __name__ == "__main__":
    main()
