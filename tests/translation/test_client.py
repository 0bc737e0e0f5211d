"""TranslationClient against the mock: in memory and over a real socket on loopback."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import realtime_sync as rs
from realtime_sync.exceptions import ConnectionClosed, ServerError
from realtime_sync.testing import InMemoryTransport, MockRealtimeServer, synth_speech
from realtime_sync.translation import Translation, TranslationClient
from realtime_sync.translation import events as tev

pytestmark = pytest.mark.timeout(30)

PACE = 25.0  # the mock's timeline follows the audio it receives
HELLO = synth_speech("Hello there, how are you?", lead_ms=200, trail_ms=400)
BYE = synth_speech("See you tomorrow.", trail_ms=400)


def make(**kwargs: Any) -> TranslationClient:
    kwargs.setdefault("target_language", "fr")
    kwargs.setdefault("input_transcription", True)
    kwargs.setdefault("transport", InMemoryTransport())
    return TranslationClient(pace=PACE, **kwargs)


def pump_threads() -> list[threading.Thread]:
    return [
        t for t in threading.enumerate() if t.name == "realtime-sync-translate-pump"
    ]


@pytest.fixture
def client() -> Iterator[TranslationClient]:
    c = make()
    c.connect()
    yield c
    c.close()


def test_connect_waits_for_the_configured_session(client: TranslationClient) -> None:
    info = client.session_info
    assert isinstance(info, tev.TranslationSession)
    assert info.type == "translation"
    assert info.model == "gpt-realtime-translate"
    assert info.language == "fr"
    assert info.transcription_model == "gpt-realtime-whisper"
    assert client.target_language == "fr"
    assert client.is_connected
    sent = client._transport.channels[-1].received  # type: ignore[attr-defined]
    assert isinstance(sent[0], tev.SessionUpdate)


def test_a_translation_end_to_end() -> None:
    deltas: list[str] = []
    sources: list[str] = []
    client = make()
    client.on(tev.OutputTranscriptDelta, lambda e: deltas.append(e.delta))
    client.on("session.input_transcript.delta", lambda e: sources.append(e.delta))
    with client:
        client.append_audio(HELLO)
        client.append_audio(BYE)
        result = client.finish(timeout=20)
    assert isinstance(result, Translation)
    assert result.closed
    assert result.transcript == "[fr] Hello there, how are you? [fr] See you tomorrow."
    assert result.source_transcript == "Hello there, how are you? See you tomorrow."
    assert "".join(deltas) == result.transcript
    assert "".join(sources) == result.source_transcript
    assert result.language == "fr"
    assert result.sample_rate == 24_000
    assert len(result.audio) % 2 == 0 and result.duration > 2.0
    assert result.samples().dtype == np.int16
    assert client.state is rs.ClientState.CLOSED
    assert pump_threads() == []


def test_silence_flows_between_appends_and_the_timeline_advances(
    client: TranslationClient,
) -> None:
    """Without any append the pump keeps sending 200 ms of silence."""
    channel = client._transport.channels[-1]  # type: ignore[attr-defined]
    with client.expect(tev.OutputAudioDelta) as first:
        client.append_audio(HELLO)
        delta = first.wait(timeout=10)
    assert delta.sample_rate == 24_000 and delta.channels == 1
    assert delta.format == "pcm16"
    appends = [e for e in channel.received if isinstance(e, tev.InputAudioBufferAppend)]
    assert all(len(rs_b64(e.audio)) <= 9600 for e in appends)
    assert client.sent_input_ms > len(HELLO) / 48


def rs_b64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


def test_any_rate_dtype_and_channels_are_resampled(client: TranslationClient) -> None:
    """48 kHz float stereo reaches the mock as 24 kHz PCM16 (the marker is lost)."""
    mono = np.frombuffer(BYE, dtype="<i2").astype(np.float32) / 32768
    up = np.repeat(mono, 2)  # crude 48 kHz
    stereo = np.stack([up, up], axis=1)
    client.append_audio(stereo, sample_rate=48_000)
    result = client.finish(timeout=20)
    assert result.transcript.startswith("[fr] [speech ")


def test_interleaved_pcm_bytes_at_another_rate(client: TranslationClient) -> None:
    samples = np.frombuffer(HELLO, dtype="<i2")
    interleaved = np.stack([samples, samples], axis=1).tobytes()
    client.append_audio(interleaved, sample_rate=24_000, channels=2)
    result = client.finish(timeout=20)
    assert result.transcript == "[fr] Hello there, how are you?"


def test_bad_input_is_refused_at_the_call_site(client: TranslationClient) -> None:
    with pytest.raises(ValueError, match="odd length"):
        client.append_audio(b"\x00\x01\x02")
    with pytest.raises(TypeError):
        client.append_audio("audio")
    with pytest.raises(TypeError):
        client.append_audio(np.zeros(10, dtype=np.int64))
    with pytest.raises(ValueError):
        client.append_audio(np.full(10, 5.0, dtype=np.float32))
    with pytest.raises(ValueError, match="channels"):
        client.append_audio(b"\x00\x00", sample_rate=16_000, channels=0)


def test_update_session_changes_the_language_mid_session(
    client: TranslationClient,
) -> None:
    session = client.update_session(target_language="de")
    assert session is not None and session.language == "de"
    assert client.target_language == "de"
    client.append_audio(BYE)
    assert client.finish(timeout=20).transcript == "[de] See you tomorrow."


def test_the_server_refuses_bad_settings(client: TranslationClient) -> None:
    with pytest.raises(ServerError) as info:
        client.update_session(target_language="not a language!")
    error = info.value.event.error
    assert error.code == "invalid_value"
    assert error.param == "session.audio.output.language"
    with pytest.raises(ServerError, match=r"Unknown parameter: 'session\.voice'"):
        client.update_session(session={"voice": "marin"})
    with pytest.raises(ServerError, match="cannot be changed"):
        client.update_session(session={"model": "other"})
    with pytest.raises(ServerError, match="strength"):
        client.update_session(
            session={
                "audio": {
                    "input": {"noise_reduction": {"type": "far_field", "strength": 2}}
                }
            }
        )
    # The session goes on.
    assert client.update_session(noise_reduction="far_field") is not None


def test_keyword_errors_are_raised_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="noise_reduction"):
        TranslationClient(noise_reduction="loud")
    with pytest.raises(TypeError, match="target_language"):
        TranslationClient(target_language=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"\$\.session\.audio\.output\.language"):
        TranslationClient(session={"audio": {"output": {"language": 3}}})
    with pytest.raises(ValueError, match="chunk_ms"):
        TranslationClient(chunk_ms=0)
    with pytest.raises(ValueError, match="nothing to change"):
        make().update_session()


def test_handlers_by_class_and_by_string_and_once_and_off(
    client: TranslationClient,
) -> None:
    seen: list[str] = []

    def by_class(event: tev.OutputTranscriptDelta) -> None:
        seen.append("class")

    client.on(tev.OutputTranscriptDelta, by_class)
    client.once("session.output_transcript.delta", lambda e: seen.append("once"))
    assert client.off(tev.OutputTranscriptDelta, by_class)
    closed = []
    client.on("session.closed", lambda e: closed.append(e))
    client.append_audio(BYE)
    client.finish(timeout=20)
    assert seen == ["once"]
    assert len(closed) == 1 and isinstance(closed[0], tev.SessionClosed)


def test_the_input_is_closed_after_finish(client: TranslationClient) -> None:
    client.finish(timeout=20)
    with pytest.raises((RuntimeError, ConnectionClosed)):
        client.append_audio(HELLO)
    with pytest.raises(RuntimeError):
        client.finish()


def test_finish_before_connect_and_in_a_handler_refuses() -> None:
    client = make()
    with pytest.raises(RuntimeError, match="connect"):
        client.finish()
    client.close()
    errors: list[BaseException] = []
    with make() as c:

        def handler(event: Any) -> None:
            try:
                c.finish()
            except RuntimeError as exc:
                errors.append(exc)

        c.once(tev.OutputAudioDelta, handler)
        c.append_audio(BYE)
        c.finish(timeout=20)
    assert errors and "handler" in str(errors[0])


def test_a_handler_that_raises_does_not_stop_the_session(
    client: TranslationClient,
) -> None:
    reported: list[BaseException] = []
    client.on_error(reported.append)
    client.on(tev.OutputAudioDelta, lambda e: 1 / 0)
    client.append_audio(BYE)
    result = client.finish(timeout=20)
    assert result.transcript == "[fr] See you tomorrow."
    assert reported and isinstance(reported[0], rs.HandlerError)


def test_send_takes_dicts_and_checks_them(client: TranslationClient) -> None:
    with client.expect(tev.SessionUpdated) as updated:
        client.send(
            {
                "type": "session.update",
                "session": {"audio": {"output": {"language": "it"}}},
            }
        )
        assert updated.wait(timeout=10).session.language == "it"
    with pytest.raises(TypeError):
        client.send({"type": "session.update", "session": {"audio": 3}})
    with pytest.raises(TypeError):
        client.send(rs.events.InputAudioBufferAppend(audio="AA=="))


def test_a_normal_end_is_not_reported_as_an_error() -> None:
    reported: list[BaseException] = []
    with make() as client:
        client.on_error(reported.append)
        client.append_audio(BYE)
        client.finish(timeout=20)
    assert reported == []


def test_reconnection_opens_a_new_session_with_the_same_configuration() -> None:
    transport = InMemoryTransport()
    client = make(
        transport=transport,
        target_language="es",
        reconnect=rs.ReconnectPolicy(initial_delay=0, jitter=0),
    )
    reconnected: list[rs.Reconnected] = []
    done = threading.Event()
    client.on_reconnected(reconnected.append)
    client.on_reconnected(lambda info: done.set())
    with client:
        with client.expect(tev.OutputAudioDelta) as first:
            client.append_audio(HELLO)
            first.wait(timeout=10)
        transport.channels[-1].drop()  # the blocking helpers of the old session fail
        assert done.wait(timeout=10)
        assert client.session_info is not None
        assert client.session_info.language == "es"
        client.append_audio(BYE)
        result = client.finish(timeout=20)
    assert len(transport.channels) == 2
    assert len(reconnected) == 1 and reconnected[0].session_restored
    assert len(result.gaps) == 1
    assert result.gaps[0].downtime >= 0
    assert result.transcript.endswith("[es] See you tomorrow.")
    assert client.stats.reconnects == 1


def test_without_reconnection_a_drop_ends_the_client() -> None:
    transport = InMemoryTransport()
    reported: list[BaseException] = []
    client = make(transport=transport)
    client.on_error(reported.append)
    client.connect()
    transport.channels[-1].drop()
    with pytest.raises(ConnectionClosed):
        client.wait_for(tev.SessionClosed, timeout=10)
    assert any(isinstance(e, ConnectionClosed) for e in reported)
    client.close()
    assert pump_threads() == []


def test_audio_retention_bounds_the_collected_audio() -> None:
    with make(audio_retention_seconds=0.4) as client:
        client.append_audio(HELLO)
        result = client.finish(timeout=20)
    assert result.duration == pytest.approx(0.4)
    assert result.dropped_output_ms > 0


def test_over_a_real_socket_on_loopback() -> None:
    with MockRealtimeServer(api="translation") as server:
        assert server.url.endswith(
            "/v1/realtime/translations?model=gpt-realtime-translate"
        )
        client = TranslationClient(
            url=server.url, target_language="ja", input_transcription=True, pace=PACE
        )
        with client:
            client.append_audio(HELLO)
            result = client.finish(timeout=20)
    assert result.transcript == "[ja] Hello there, how are you?"
    assert result.source_transcript == "Hello there, how are you?"


def test_a_client_dropped_without_close_is_reclaimed() -> None:
    """Its pump holds it weakly: gc reclaims it, its pump and reader threads end."""
    with MockRealtimeServer(api="translation") as server:
        before = set(threading.enumerate())
        client = TranslationClient(url=server.url, target_language="fr", pace=PACE)
        # A handler that references its client (a cycle, as real code makes).
        client.on(tev.SessionUpdated, lambda e, c=client: c.sent_input_ms)
        client.connect()
        client.append_audio(HELLO)
        started = [
            t
            for t in set(threading.enumerate()) - before
            if t.name.startswith("realtime-sync-")
        ]
        names = {t.name for t in started}
        assert {"realtime-sync-translate-pump", "realtime-sync-reader"} <= names
        del client
        # A collection while the pump is inside a send (the client on its stack)
        # leaves the cycle for the next one, as in a program that runs on.
        deadline = time.monotonic() + 10
        while any(t.is_alive() for t in started) and time.monotonic() < deadline:
            gc.collect()
            for thread in started:
                thread.join(0.05)
        assert [t.name for t in started if t.is_alive()] == []
        server.wait_for_connections(0, timeout=10)


def test_the_openai_endpoint_and_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    from realtime_sync.translation._endpoint import openai_translation_endpoint

    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    endpoint = openai_translation_endpoint(
        model="gpt-realtime-translate", api_key="sk-x"
    )
    assert endpoint.url == (
        "wss://api.openai.com/v1/realtime/translations?model=gpt-realtime-translate"
    )
    assert endpoint.headers == {"Authorization": "Bearer sk-x"}
    assert "sk-x" not in repr(endpoint)
    other = openai_translation_endpoint(
        model="m", api_key=None, base_url="http://127.0.0.1:9/v1/"
    )
    assert other.url == "ws://127.0.0.1:9/v1/realtime/translations?model=m"
    with pytest.raises(ValueError, match="intent"):
        openai_translation_endpoint(
            model="m", api_key="k", base_url="https://x/v1?intent=transcription"
        )


def test_no_key_is_an_authentication_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(rs.AuthenticationError):
        TranslationClient().connect()


def test_the_key_never_shows(client: TranslationClient) -> None:
    keyed = TranslationClient(api_key="sk-secret-123", url="ws://127.0.0.1:1/x")
    assert "sk-secret" not in repr(keyed)


def test_translate_is_one_blocking_call() -> None:
    client = make(target_language="pt-BR")
    result = client.translate(HELLO, timeout=20)
    assert result.transcript == "[pt-BR] Hello there, how are you?"
    assert client.state is rs.ClientState.CLOSED


def test_wait_for_is_typed_and_takes_translation_type_strings(
    client: TranslationClient,
) -> None:
    with client.expect("session.output_transcript.delta") as first:
        client.append_audio(BYE)
        event = first.wait(timeout=10)
    assert isinstance(event, tev.OutputTranscriptDelta)
    later = client.wait_for(tev.OutputTranscriptDelta, timeout=10)
    assert later.delta  # typed: an OutputTranscriptDelta


def test_record_writes_both_directions(tmp_path: Any) -> None:
    import json

    path = tmp_path / "session.jsonl"
    with make(record=path) as client:
        client.append_audio(BYE)
        client.finish(timeout=20)
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    assert len(rows) > 5  # one JSON object per frame
    text = path.read_text()
    assert "session.input_audio_buffer.append" in text  # sent
    assert "session.output_audio.delta" in text and "session.closed" in text  # received
