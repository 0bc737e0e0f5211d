"""append_audio and friends: thread safety, input checks, channel handling."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import numpy as np
import pytest

import realtime_sync as rs
from realtime_sync import events as ev
from realtime_sync.protocol import _json
from realtime_sync.testing import InMemoryTransport


@pytest.fixture
def transport() -> InMemoryTransport:
    """An in-memory server."""
    return InMemoryTransport()


@pytest.fixture
def client(transport: InMemoryTransport) -> Iterator[rs.RealtimeClient]:
    """A connected client without server VAD (no response starts by itself)."""
    session = rs.SessionConfig(turn_detection=None)
    with rs.RealtimeClient(transport=transport, session=session) as c:
        yield c


def _received(client: rs.RealtimeClient, transport: InMemoryTransport) -> list[object]:
    """Everything the server received, once it received all that was sent."""
    client.update_session(instructions="sync")  # answered after all that came before
    return list(transport.channels[-1].received)


def _appended(events: list[object]) -> bytes:
    return b"".join(
        _json.b64decode(e.audio)
        for e in events
        if isinstance(e, ev.InputAudioBufferAppend)
    )


def test_appends_racing_commits_deliver_every_sample_once_in_order(
    client: rs.RealtimeClient, transport: InMemoryTransport
) -> None:
    """One thread appends arrays while another commits: the wire has each sample once."""
    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 700, size=1500)
    ramp = ((np.arange(int(sizes.sum())) * 7919) % 65536).astype(np.uint16)
    samples = ramp.view(np.int16)  # 24 kHz int16: no resampling, exact accounting
    chunks = np.split(samples, np.cumsum(sizes)[:-1])
    done = threading.Event()
    errors: list[BaseException] = []
    commits = 0

    def append() -> None:
        try:
            for chunk in chunks:
                client.append_audio(chunk, sample_rate=24000, frame_ms=20)
        except BaseException as exc:  # reported in the test thread
            errors.append(exc)
        finally:
            done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: the race shows in any run
    try:
        appender = threading.Thread(target=append)
        appender.start()
        while not done.is_set():
            client.commit_audio()
            commits += 1
        appender.join()
    finally:
        sys.setswitchinterval(old)
    client.commit_audio()
    assert not errors
    received = _received(client, transport)
    assert commits > 10  # the two really overlapped
    got, expected = _appended(received), samples.astype("<i2").tobytes()
    assert len(got) == len(expected)
    assert got == expected
    # Nothing appended after the last commit: it followed every append.
    types = [e.type for e in received if e.type.startswith("input_audio_buffer.")]
    assert types[-1] == "input_audio_buffer.commit"
