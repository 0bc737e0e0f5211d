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


def test_odd_length_pcm16_bytes_are_refused(
    client: rs.RealtimeClient, transport: InMemoryTransport
) -> None:
    """Odd-length bytes in a pcm16 session raise; nothing is sent."""
    with pytest.raises(ValueError, match="odd length"):
        client.append_audio(bytes(961))
    with pytest.raises(ValueError, match="odd length"):
        client.append_audio(bytearray(3), sample_rate=24000)
    client.append_audio(memoryview(bytes(960)))
    assert len(_appended(_received(client, transport))) == 960


def test_g711_sessions_take_bytes_of_any_length() -> None:
    """G.711 is a byte a sample: an odd length is fine."""
    transport = InMemoryTransport()
    session = rs.SessionConfig(
        input_format="g711_ulaw", output_format="g711_ulaw", turn_detection=None
    )
    with rs.RealtimeClient(transport=transport, session=session) as client:
        client.append_audio(b"\xff" * 161)
        client.append_audio(b"\xff" * 161, sample_rate=8000)
        assert _appended(_received(client, transport)) == b"\xff" * 322


def test_bytes_at_another_rate_and_channel_count_are_converted(
    client: rs.RealtimeClient, transport: InMemoryTransport
) -> None:
    """44.1 kHz stereo pcm16 bytes become 24 kHz mono: the duration is kept."""
    seconds = 2
    t = np.arange(44100 * seconds) / 44100
    tone = (0.3 * np.sin(2 * np.pi * 300 * t) * 32767).astype("<i2")
    stereo = np.stack([tone, tone], axis=1).tobytes()  # what wave.readframes() gives
    for i in range(0, len(stereo), 4 * 441):  # 10 ms blocks
        client.append_audio(stereo[i : i + 4 * 441], sample_rate=44100, channels=2)
    client.commit_audio()
    received = _received(client, transport)
    pcm = np.frombuffer(_appended(received), "<i2")
    assert len(pcm) == 24000 * seconds  # not 4x longer, as sending them raw would be
    middle = pcm[2400:-2400] / 32767.0
    assert abs(np.sqrt(np.mean(middle**2)) - 0.3 / np.sqrt(2)) < 0.01


def test_bytes_that_are_not_whole_frames_are_refused(
    client: rs.RealtimeClient,
) -> None:
    """Stereo pcm16 bytes must be whole 4-byte frames; channels must be positive."""
    with pytest.raises(ValueError, match="whole number of frames"):
        client.append_audio(bytes(6), sample_rate=44100, channels=2)
    with pytest.raises(ValueError, match="channels"):
        client.append_audio(bytes(4), sample_rate=44100, channels=0)


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (np.array([0.1, np.nan, 0.2], np.float32), "NaN"),
        (np.array([0.1, np.inf], np.float64), "infinite"),
        (np.array([0.0, -np.inf], np.float32), "infinite"),
        (np.array([1000.0, -12000.0], np.float32), "12000.*int16"),
    ],
    ids=["nan", "inf", "-inf", "int16-scale"],
)
def test_bad_float_samples_are_refused(
    client: rs.RealtimeClient,
    transport: InMemoryTransport,
    samples: np.ndarray,
    message: str,
) -> None:
    """NaN, infinities and int16-scale floats raise, naming the problem."""
    with pytest.raises(ValueError, match=message):
        client.append_audio(samples, sample_rate=24000)
    client.append_audio(np.full(480, 1.5, np.float32))  # a little hot: clipped
    client.flush_audio()
    pcm = np.frombuffer(_appended(_received(client, transport)), "<i2")
    assert len(pcm) == 480 and (pcm == 32767).all()


def test_the_shape_of_a_2d_array_gives_the_channels(
    client: rs.RealtimeClient, transport: InMemoryTransport
) -> None:
    """Stereo (n, 2) needs no channels=; a flat interleaved array with channels=2 too."""
    left = (np.arange(4800) % 200 - 100).astype(np.int16)
    stereo = np.stack([left, left], axis=1)
    client.append_audio(stereo)  # shape (4800, 2): two channels
    client.append_audio(stereo.reshape(-1), channels=2)  # L R L R ...
    client.append_audio(stereo, channels=2)
    client.flush_audio()
    pcm = np.frombuffer(_appended(_received(client, transport)), "<i2")
    assert (pcm == np.tile(left, 3)).all()


def test_shapes_that_do_not_fit_raise_clear_errors(client: rs.RealtimeClient) -> None:
    """A channel mismatch, a ragged interleaved array and planar audio are refused."""
    stereo = np.zeros((100, 2), np.float32)
    with pytest.raises(ValueError, match=r"\(100, 2\) have 2 channel\(s\).*channels=1"):
        client.append_audio(stereo, channels=1)
    with pytest.raises(ValueError, match=r"interleaved.*201 is not a multiple of 2"):
        client.append_audio(np.zeros(201, np.float32), channels=2)
    with pytest.raises(ValueError, match=r"samples\.T"):
        client.append_audio(np.zeros((2, 4800), np.float32))  # planar
    with pytest.raises(ValueError, match=r"1-D .* or 2-D"):
        client.append_audio(np.zeros((2, 2, 2), np.float32))
    with pytest.raises(ValueError, match="channels must be a positive int"):
        client.append_audio(np.zeros(10, np.float32), channels=0)


@pytest.mark.parametrize("method", ["create_response", "ask"])
def test_a_beta_response_keyword_names_the_ga_field(
    client: rs.RealtimeClient, method: str
) -> None:
    """modalities= is refused with a pointer to output_modalities."""
    call = getattr(client, method)
    args = ("Hello",) if method == "ask" else ()
    with pytest.raises(
        TypeError,
        match=r"create_response\(\).*'modalities'.*"
        r"did you mean 'output_modalities'\?",
    ):
        call(*args, modalities=["text"])
    with pytest.raises(TypeError, match="did you mean 'instructions'"):
        client.create_response(instruction="be brief")
    with pytest.raises(TypeError, match=r"audio=ev\.ResponseAudio"):
        client.create_response(voice="marin")
    assert client.create_response(output_modalities=["text"]).wait(10).text
