"""Recovery: a lost Live session is replaced by a new one carrying the transcript."""

from __future__ import annotations

import threading
from typing import Any

import realtime_sync as rs
from realtime_sync.live import LiveClient, LiveReconnected
from realtime_sync.testing import LiveFaults, LiveResponder, MockRealtimeServer

from .test_client import PACE, speech, wait_turn


def flaky() -> Any:
    """The first session closes with 1012 once its timeline reaches 4 s."""
    made: list[int] = []

    def factory() -> LiveResponder:
        made.append(1)
        if len(made) == 1:
            return LiveResponder(faults=LiveFaults(close_at_ms=(4000, 1012)))
        return LiveResponder()

    return factory


def test_a_lost_session_restarts_with_the_transcript_in_its_input() -> None:
    reconnected: list[LiveReconnected] = []
    done = threading.Event()
    with MockRealtimeServer(api="live", responder_factory=flaky()) as server:
        client = LiveClient(
            url=server.url,
            input_pace=PACE,
            instructions="Be brief.",
            reconnect=rs.ReconnectPolicy(initial_delay=0.01, jitter=0),
        )

        @client.on_reconnected
        def on_reconnected(info: LiveReconnected) -> None:
            reconnected.append(info)
            done.set()

        # Queued before connect(): the speech starts the timeline, so that the drop
        # at 4 s comes after the answer whatever the machine's load.
        client.append_audio(speech("My name is Ada"))
        with client:
            wait_turn(client, "assistant", "My name is Ada")
            assert done.wait(30)
            starts = [e for e in server.received if e.type == "session.start"]
            assert len(starts) == 2
            carried = starts[1].session
            assert carried.instructions == "Be brief."
            texts = [m.content[0].text for m in carried.input]
            assert any("My name is Ada" in t for t in texts)
            client.append_audio(speech("What is my name"))
            wait_turn(client, "assistant", "What is my name")
    info = reconnected[0]
    assert info.carried is not None and info.carried.turns >= 2
    assert info.carried.dropped_messages == 0
    assert info.session_id is not None  # (the mock numbers ids per session)
    assert info.resent_events >= 0 and info.session_restored
    assert client.stats.reconnects == 1
    sessions = {t.session for t in client.turns}
    assert sessions == {0, 1}


def test_an_unacknowledged_append_is_sent_again_to_the_new_session() -> None:
    with MockRealtimeServer(api="live", responder_factory=flaky()) as server:
        client = LiveClient(
            url=server.url,
            input_pace=PACE,
            reconnect=rs.ReconnectPolicy(initial_delay=0.01, jitter=0),
        )
        client.append_audio(speech("Hello there"))
        with client:
            wait_turn(client, "assistant", "Hello there")
            # Sent while reconnecting or just before the drop: it must arrive.
            ack = client.append_instructions("Remember the name Ada.", timeout=30)
            assert ack.kind == "instructions"


def test_without_a_policy_a_drop_ends_the_client() -> None:
    errors: list[rs.RealtimeError] = []
    with MockRealtimeServer(api="live", responder_factory=flaky()) as server:
        client = LiveClient(url=server.url, input_pace=PACE)
        client.on_error(errors.append)
        client.connect()
        try:
            client.wait_for("session.closed", timeout=20)
        except rs.ConnectionClosed as exc:
            assert exc.code == 1012
        end = client.close()
    assert not end.confirmed
    assert any(isinstance(e, rs.ConnectionClosed) for e in errors)


def test_audio_queued_during_an_outage_is_bounded_newest_kept() -> None:
    with MockRealtimeServer(api="live") as server:
        client = LiveClient(
            url=server.url,
            reconnect=rs.ReconnectPolicy(audio_buffer_seconds=0.5),
        )
        # Not connected: the pump holds what is appended, as it does while paused
        # during an outage.
        client.append_audio(bytes(2 * 24000 * 2))  # 2 s
        client.append_audio(b"\x01\x00" * 24000)  # 1 s more, the newest
        assert client._bound_outage_audio() == 2500
        assert client.pending_input_ms == 500
        kept = client._pump.clear()  # type: ignore[union-attr]
        assert kept == b"\x01\x00" * 12000  # the newest half second
        client.close()
