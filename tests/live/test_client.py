"""LiveClient against the mock Live server on 127.0.0.1 and the in-memory transport."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import realtime_sync as rs
from realtime_sync.live import AppendAck, LiveClient, SessionEnd, Turn
from realtime_sync.live import events as lev
from realtime_sync.testing import (
    InMemoryTransport,
    LiveFaults,
    LiveResponder,
    MockRealtimeServer,
    synth_speech,
)

PACE = 20.0  # the mock's timeline follows the audio it gets: no need to wait


@pytest.fixture
def server() -> Iterator[MockRealtimeServer]:
    with MockRealtimeServer(api="live") as srv:
        yield srv


def client_for(url: str, **kwargs: Any) -> LiveClient:
    kwargs.setdefault("input_pace", PACE)
    return LiveClient(url=url, **kwargs)


def speech(text: str) -> bytes:
    return synth_speech(text, lead_ms=100, trail_ms=800)


def got(server: MockRealtimeServer, wire_type: str, timeout: float = 10) -> Any:
    """The first client event of ``wire_type`` the server received."""
    events = server.wait_for_received(wire_type, timeout=timeout)
    return next(e for e in events if e.type == wire_type)


def wait_turn(client: LiveClient, role: str, needle: str, timeout: float = 20) -> Turn:
    """The first turn of ``role`` containing ``needle``.

    Turns finish only once the other speaker starts: wait on the deltas instead.
    """
    done = threading.Event()
    kind = (
        lev.SessionInputTranscriptDelta
        if role == "user"
        else lev.SessionOutputTranscriptDelta
    )

    def check(_: Any) -> None:
        if any(t.role == role and needle in t.text for t in client.turns):
            done.set()

    client.on(kind, check)
    try:
        check(None)
        assert done.wait(timeout), client.transcript
    finally:
        client.off(kind, check)
    return next(t for t in client.turns if t.role == role and needle in t.text)


def test_connect_starts_a_session_and_close_confirms_it(
    server: MockRealtimeServer,
) -> None:
    client = client_for(server.url, instructions="Be brief.", voice="cedar")
    assert client.connect() is client
    assert client.session_id is not None and client.session_id.startswith("live_")
    assert client.is_connected
    assert client.session_info.audio.output.voice == "cedar"
    start = got(server, "session.start")
    assert start.session.instructions == "Be brief."
    assert "realtime-sync-pump" in {t.name for t in threading.enumerate()}
    end = client.close()
    assert isinstance(end, SessionEnd)
    assert end.confirmed and end.reason == "close_requested"
    assert end.usage.final
    assert client.ended is end and client.close() is end  # idempotent
    assert client.state is rs.ClientState.CLOSED


def test_a_voice_exchange_groups_the_transcript_into_turns(
    server: MockRealtimeServer,
) -> None:
    finished: list[Turn] = []
    with client_for(server.url) as client:
        client.on_turn(finished.append)
        client.append_audio(speech("What time is it?"))
        answer = wait_turn(client, "assistant", "What time is it")
        user = next(t for t in client.turns if t.role == "user")
        assert "What time is it?" in user.text
        assert user.start_ms < user.end_ms <= answer.start_ms
        assert client.transcript.startswith("user: ")
        assert client.sent_input_ms > 0
    assert [t.role for t in finished][:2] == ["user", "assistant"]
    assert finished[-1].finished


def test_append_audio_takes_any_rate_dtype_and_channels(
    server: MockRealtimeServer,
) -> None:
    pcm = np.frombuffer(speech("Resampled question"), "<i2")
    # 48 kHz stereo float: resampled to 24 kHz mono before the pump sends it.
    t = np.repeat(pcm.astype(np.float32) / 32768, 2)
    stereo = np.stack([t, t], axis=1)
    with client_for(server.url) as client:
        client.append_audio(stereo, sample_rate=48000)
        assert client.pending_input_ms == pytest.approx(len(pcm) / 24, rel=0.02)
        assert client.wait_input_sent(timeout=20)
        appended = got(server, "session.input_audio.append")
        assert isinstance(appended.audio, str)
        wait_turn(client, "user", "[speech")  # the marker does not survive resampling


def test_append_instructions_returns_the_timeline_position(
    server: MockRealtimeServer,
) -> None:
    with client_for(server.url) as client:
        ack = client.append_instructions("Answer in French.")
        assert isinstance(ack, AppendAck)
        assert ack.kind == "instructions" and ack.content == "Answer in French."
        assert 0 <= ack.start_ms <= ack.end_ms
        thinking = client.append_thinking("The user is in Paris.")
        assert isinstance(thinking, AppendAck) and thinking.start_ms >= ack.start_ms
        event_id = client.append_commentary("Hello there.", wait=False)
        assert isinstance(event_id, str)


def test_mute_and_unmute_wait_for_their_acknowledgement(
    server: MockRealtimeServer,
) -> None:
    with client_for(server.url) as client:
        client.mute()
        assert client.muted
        client.unmute()
        assert not client.muted


def test_server_errors_are_raised_from_the_helper_that_caused_them(
    server: MockRealtimeServer,
) -> None:
    errors: list[rs.RealtimeError] = []
    with client_for(server.url) as client:
        client.on_error(errors.append)
        with pytest.raises(rs.ServerError) as info:
            client.update_session(
                delegation={"type": "responses", "responses": {"model": "gpt-5"}}
            )
        assert info.value.code == "immutable_field_update"
        with pytest.raises(rs.ServerError):
            client.append_commentary("late", delegation_id="deleg_unknown")
        client.append_instructions("still fine")  # the session goes on


def test_a_refused_configuration_names_the_field(server: MockRealtimeServer) -> None:
    client = client_for(server.url, session={"voice": "marin"})
    with pytest.raises(rs.ServerError, match=r"session\.voice") as info:
        client.connect()
    assert info.value.param == "session.voice"
    assert client.state is rs.ClientState.CLOSED


def test_bad_arguments_raise_at_the_call_site(server: MockRealtimeServer) -> None:
    with pytest.raises(ValueError, match="audio_format"):
        LiveClient(url=server.url, audio_format="audio/wav")
    with pytest.raises(ValueError, match="sample_rate"):
        LiveClient(url=server.url, sample_rate=44100)
    with pytest.raises(ValueError, match="role"):
        LiveClient(url=server.url, input=[("robot", "hi")])
    with pytest.raises(TypeError):
        LiveClient(url=server.url, instructions=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="delegation"):
        LiveClient(url=server.url, delegation="responses")
    with pytest.raises(TypeError, match="ReconnectPolicy"):
        LiveClient(url=server.url, reconnect=3)  # type: ignore[arg-type]
    client = client_for(server.url)
    with pytest.raises(TypeError):
        client.append_audio("audio")
    with pytest.raises(ValueError, match="odd"):
        client.append_audio(b"\x00")
    with pytest.raises(TypeError):
        client.append_instructions(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        client.append_instructions("  ")
    with pytest.raises(TypeError):
        client.on(rs.events.ResponseDone, print)  # a Realtime event class
    with pytest.raises(RuntimeError, match="connect"):
        client.mute()
    with pytest.raises(ValueError, match="delegation"):
        client.update_session()
    client.close()


def test_typed_handlers_once_off_and_expect(server: MockRealtimeServer) -> None:
    deltas: list[lev.SessionOutputAudioDelta] = []
    started: list[Any] = []
    with client_for(server.url) as client:
        client.on(lev.SessionOutputAudioDelta, deltas.append)
        client.once("session.usage.updated", started.append)
        with client.expect(lev.SessionInputAudioMuted) as muted:
            client.send(lev.SessionInputAudioMute())
            assert isinstance(muted.wait(timeout=10), lev.SessionInputAudioMuted)
        event = client.wait_for("session.output_audio.delta", timeout=10)
        assert isinstance(event, lev.SessionOutputAudioDelta)
        assert client.off(lev.SessionOutputAudioDelta, deltas.append)
        assert not client.off(lev.SessionOutputAudioDelta, deltas.append)
    assert deltas and all(isinstance(d, lev.SessionOutputAudioDelta) for d in deltas)


def test_the_in_memory_transport_runs_the_same_exchange() -> None:
    client = LiveClient(transport=InMemoryTransport(api="live"), input_pace=PACE)
    with client:
        client.append_audio(speech("Hello from memory"))
        wait_turn(client, "assistant", "Hello from memory")
    assert client.ended is not None and client.ended.confirmed


def test_a_drop_before_session_closed_leaves_finalization_unconfirmed() -> None:
    errors: list[rs.RealtimeError] = []
    with MockRealtimeServer(
        api="live",
        responder_factory=lambda: LiveResponder(faults=LiveFaults(drop_at_ms=400)),
    ) as srv:
        client = client_for(srv.url)
        client.on_error(errors.append)
        client.connect()
        with pytest.raises(rs.ConnectionClosed):
            client.wait_for("session.closed", timeout=20)
        end = client.close()
    assert not end.confirmed and end.reason == "finalization unconfirmed"
    assert any(isinstance(e, rs.ConnectionClosed) for e in errors)


def test_usage_totals_follow_the_server(server: MockRealtimeServer) -> None:
    with client_for(server.url) as client:
        assert client.usage.seconds is None
    assert client.ended is not None
    usage = client.ended.usage
    assert usage.final and usage.seconds is not None and usage.seconds >= 0


def test_record_then_replay_offline(server: MockRealtimeServer, tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    with client_for(server.url, record=path) as client:
        client.append_audio(speech("Recorded question"))
        wait_turn(client, "assistant", "Recorded question")
        recorded = [t.text for t in client.turns]
    again = LiveClient(url=server.url)
    seen: list[Any] = []
    again.on("session.output_transcript.delta", seen.append)
    frames = again.replay(path)
    assert frames > 0 and seen
    assert [t.text for t in again.turns][: len(recorded)] == recorded
    again.close()


def test_keys_never_appear_in_reprs_or_errors(
    server: MockRealtimeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    secret = "sk-live-secret-123"
    client = LiveClient(api_key=secret, url=server.url.replace("ws://", "ws://"))
    assert secret not in repr(client)
    with pytest.raises(rs.AuthenticationError) as info:
        LiveClient(transport=None, api_key="").connect()
    assert "OPENAI_API_KEY" in str(info.value)
    client.close()
    azure = LiveClient.azure("https://res.openai.azure.com", api_key=secret)
    assert secret not in repr(azure)
    azure.close()


def test_threads_are_named_and_joined_on_close(server: MockRealtimeServer) -> None:
    client = client_for(server.url).connect()
    names = {
        t.name for t in threading.enumerate() if t.name.startswith("realtime-sync-")
    }
    assert {
        "realtime-sync-pump",
        "realtime-sync-reader",
        "realtime-sync-writer",
    } <= names
    client.close()
    left = {t.name for t in threading.enumerate() if t.name == "realtime-sync-pump"}
    assert not left


def test_a_client_dropped_without_close_is_reclaimed(
    server: MockRealtimeServer,
) -> None:
    """Its pump holds it weakly: gc reclaims it, its pump and reader threads end."""
    before = set(threading.enumerate())
    client = client_for(server.url)
    # A handler that references its client (a cycle, as real code makes).
    client.on(lev.SessionUpdated, lambda e, c=client: c.model)
    client.connect()
    started = [
        t
        for t in set(threading.enumerate()) - before
        if t.name.startswith("realtime-sync-")
    ]
    assert {"realtime-sync-pump", "realtime-sync-reader"} <= {t.name for t in started}
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


def test_a_handler_that_raises_does_not_stop_the_reader(
    server: MockRealtimeServer,
) -> None:
    errors: list[rs.RealtimeError] = []
    with client_for(server.url) as client:
        client.on_error(errors.append)

        @client.on(lev.SessionOutputAudioDelta)
        def boom(event: lev.SessionOutputAudioDelta) -> None:
            raise ValueError("boom")

        client.wait_for(lev.SessionOutputAudioDelta, timeout=10)
        client.off(lev.SessionOutputAudioDelta, boom)
        assert client.append_instructions("go on").kind == "instructions"
    assert any(isinstance(e, rs.HandlerError) for e in errors)


def test_wait_for_answer_returns_the_spoken_reply(server: MockRealtimeServer) -> None:
    with client_for(server.url) as client:
        client.append_audio(speech("Is it raining?"))
        answer = client.wait_for_answer(timeout=20, quiet_ms=500)
        assert answer.role == "assistant" and "Is it raining" in answer.text
        client.append_audio(speech("And tomorrow?"))
        again = client.wait_for_answer(timeout=20, quiet_ms=500)
        assert "And tomorrow" in again.text and again.start_ms > answer.end_ms
        # The answer to the audio appended last, again: at the next output chunk.
        assert client.wait_for_answer(timeout=20).text == again.text


def _faulty(**faults: Any) -> MockRealtimeServer:
    return MockRealtimeServer(
        api="live", responder_factory=lambda: LiveResponder(faults=LiveFaults(**faults))
    )


def test_a_session_the_server_ends_is_an_end_not_an_error() -> None:
    errors: list[rs.RealtimeError] = []
    with _faulty(end_at_ms=(600, "expired")) as srv:
        client = client_for(srv.url, reconnect=rs.ReconnectPolicy(initial_delay=0.01))
        client.on_error(errors.append)
        client.connect()
        closed = client.wait_for(lev.SessionClosed, timeout=20)
        assert closed.reason == "expired"
        end = client.close()
        assert srv.total_connections == 1  # not reconnected
    assert end.confirmed and end.reason == "expired"
    assert not [e for e in errors if isinstance(e, rs.ConnectionClosed)]


def test_an_error_after_start_goes_to_on_error() -> None:
    errors: list[rs.RealtimeError] = []
    got = threading.Event()
    with _faulty(error_after_start=("server_error", "Something broke.")) as srv:
        client = client_for(srv.url)

        @client.on_error
        def on_error(error: rs.RealtimeError) -> None:
            errors.append(error)
            got.set()

        with client:
            assert got.wait(10)
            assert client.append_instructions("still here").kind == "instructions"
    assert isinstance(errors[0], rs.ServerError) and "Something broke" in str(errors[0])


def test_a_refused_start_raises_from_connect() -> None:
    with _faulty(refuse_start=("credit_balance_exhausted", "No credit.")) as srv:
        client = client_for(srv.url)
        with pytest.raises(rs.ServerError, match="No credit") as info:
            client.connect()
        assert info.value.code == "credit_balance_exhausted"
        assert client.close().reason == "not started"


def test_close_from_a_handler_does_not_wait_for_itself(
    server: MockRealtimeServer,
) -> None:
    ended: list[SessionEnd] = []
    done = threading.Event()
    client = client_for(server.url)

    @client.once(lev.SessionOutputAudioDelta)
    def hang_up(event: lev.SessionOutputAudioDelta) -> None:
        ended.append(client.close())  # session.close sent; no waiting here
        done.set()

    client.connect()
    assert done.wait(10)
    assert not ended[0].confirmed and ended[0].reason == "finalization unconfirmed"
    assert client.close() is ended[0]  # the outcome does not change afterwards
    assert client.state is rs.ClientState.CLOSED


def test_what_is_sent_before_connect_follows_session_start(
    server: MockRealtimeServer,
) -> None:
    client = client_for(server.url)
    client.append_audio(speech("Early words"))
    event_id = client.append_instructions("Queued before connect.", wait=False)
    assert isinstance(event_id, str)
    with client:
        wait_turn(client, "assistant", "Early words")
        got(server, "session.instructions.append")
    types = [e.type for e in server.received]
    assert types[0] == "session.start"
    assert types.index("session.instructions.append") > 0
    assert client.turns[0].text.startswith("Early words")


def test_update_session_changes_delegation_settings(
    server: MockRealtimeServer,
) -> None:
    with client_for(server.url) as client:
        session = client.update_session(
            delegation={"type": "client", "acknowledgement_delay_ms": 250}
        )
        assert session.delegation.acknowledgement_delay_ms == 250
        assert client.config["delegation"]["acknowledgement_delay_ms"] == 250
        with client.expect(lev.SessionUpdated) as updated:
            event_id = client.update_session(triggers=[], wait=False)
            assert isinstance(event_id, str)
            assert updated.wait(timeout=10).client_event_id == event_id


def test_an_update_sent_before_connect_is_kept_for_new_sessions(
    server: MockRealtimeServer,
) -> None:
    client = client_for(server.url)
    client.update_session(
        delegation={"type": "client", "acknowledgement_delay_ms": 300}, wait=False
    )
    assert client.config["delegation"]["acknowledgement_delay_ms"] == 300
    with client:  # in session.start already (and sent as the update it was)
        assert client.session_info.delegation.acknowledgement_delay_ms == 300
        got(server, "session.update")


def test_a_refused_append_nobody_waits_for_goes_to_on_error(
    server: MockRealtimeServer,
) -> None:
    errors: list[rs.RealtimeError] = []
    got_error = threading.Event()
    with client_for(server.url) as client:

        @client.on_error
        def on_error(error: rs.RealtimeError) -> None:
            errors.append(error)
            got_error.set()

        event_id = client.append_commentary("x", delegation_id="deleg_0", wait=False)
        assert got_error.wait(10)
    assert isinstance(errors[0], rs.ServerError)
    assert errors[0].event.error.client_event_id == event_id


def test_a_refused_key_is_not_echoed() -> None:
    secret = "sk-wrong-key-456"
    with MockRealtimeServer(api="live", require_api_key="sk-right") as srv:
        client = LiveClient(url=srv.url, api_key=secret)
        with pytest.raises(rs.AuthenticationError) as info:
            client.connect()
        assert secret not in str(info.value) and secret not in repr(info.value)
        assert secret not in repr(client)
        ok = LiveClient(url=srv.url, api_key="sk-right", input_pace=PACE)
        with ok:
            assert ok.session_id is not None
