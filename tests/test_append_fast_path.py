"""The append hot path builds its wire text itself: it must be the codec's, exactly.

``append_audio(bytes)`` skips the codec (unstructure, validate, dump) and the
general send path for ``input_audio_buffer.append`` when nothing needs the event on
the way (no input-audio log, no recording); these tests pin that the text is
byte-for-byte what ``Codec.encode_client`` gives in both dialects, and that what
reaches a server is the same whichever path an append took.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.client._senders import append_json
from realtime_sync.protocol import Codec
from realtime_sync.testing import InMemoryTransport, MockRealtimeServer

PCM = bytes(range(256)) * 4  # 512 samples of pcm16


@pytest.mark.parametrize("dialect", ["ga", "beta"])
@pytest.mark.parametrize("size", [0, 2, 3, 960, 4800])
def test_append_text_is_the_codecs(dialect: str, size: int) -> None:
    audio = base64.b64encode(PCM[:size] if size <= len(PCM) else bytes(size)).decode()
    event_id = "evt_0123abcd_42"
    codec = Codec(dialect)  # type: ignore[arg-type]
    expected = codec.encode_client(
        ev.InputAudioBufferAppend(event_id=event_id, audio=audio)
    )
    assert append_json(event_id, audio) == expected


def _appends(received: list[object]) -> list[ev.InputAudioBufferAppend]:
    return [e for e in received if isinstance(e, ev.InputAudioBufferAppend)]


@pytest.mark.parametrize("reconnect", [False, True])
def test_appends_reach_the_server_whole_on_either_path(reconnect: bool) -> None:
    """Without a ReconnectPolicy appends take the fast path, with one the codec's."""
    transport = InMemoryTransport()
    policy = rs.ReconnectPolicy() if reconnect else None
    with rs.RealtimeClient(transport=transport, reconnect=policy) as client:
        for n in range(5):
            client.append_audio(PCM[n * 100 : n * 100 + 100])
        client.update_session(instructions="sync")  # answered after the appends
        received = list(transport.channels[-1].received)
    appends = _appends(received)
    assert b"".join(base64.b64decode(a.audio) for a in appends) == PCM[:500]
    ids = [a.event_id for a in appends]
    assert len(set(ids)) == 5 and all(isinstance(i, str) for i in ids)


def test_recorded_appends_are_the_sent_text(tmp_path: Path) -> None:
    """record= sees appends as the codec would have encoded them."""
    path = tmp_path / "session.jsonl"
    with (
        MockRealtimeServer() as server,
        rs.RealtimeClient(url=server.url, api_key="sk-x", record=path) as client,
    ):
        client.append_audio(PCM)
        client.flush(timeout=10)
    sent = [
        json.loads(line)["frame"]
        for line in path.read_text().splitlines()
        if json.loads(line)["dir"] == "send"
    ]
    texts = [f for f in sent if '"input_audio_buffer.append"' in f]
    assert len(texts) == 1
    assert base64.b64decode(json.loads(texts[0])["audio"]) == PCM
    codec = Codec("ga")
    assert codec.encode_client(codec.decode_client(texts[0])) == texts[0]
