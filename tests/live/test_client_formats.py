"""LiveClient endpoints, audio formats and playback."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

import realtime_sync as rs
from realtime_sync.live import LiveClient
from realtime_sync.live._endpoint import (
    azure_live_endpoint,
    openai_live_endpoint,
    url_live_endpoint,
)
from realtime_sync.testing import MockRealtimeServer, synth_speech

from .test_client import PACE, wait_turn


def test_openai_endpoint_has_no_query_and_a_bearer_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    endpoint = openai_live_endpoint(api_key="sk-1")
    assert endpoint.url == "wss://api.openai.com/v1/live/sessions"
    assert endpoint.headers == {"Authorization": "Bearer sk-1"}
    assert "sk-1" not in repr(endpoint) and endpoint.secrets == ("sk-1",)
    local = openai_live_endpoint(api_key=None, base_url="http://localhost:8080/v1")
    assert local.url == "ws://localhost:8080/v1/live/sessions"
    monkeypatch.setenv("OPENAI_BASE_URL", "https://proxy.example/v1")
    assert (
        openai_live_endpoint(api_key="k").url == "wss://proxy.example/v1/live/sessions"
    )


def test_azure_endpoint_uses_the_foundry_path() -> None:
    endpoint = azure_live_endpoint(
        endpoint="https://res.openai.azure.com/", api_key="az-key", token=None
    )
    assert endpoint.url == "wss://res.openai.azure.com/openai/v1/live/sessions"
    assert endpoint.headers == {"api-key": "az-key"}
    bearer = azure_live_endpoint(
        endpoint="https://res.openai.azure.com", api_key=None, token="tok"
    )
    assert bearer.headers == {"Authorization": "Bearer tok"}
    with pytest.raises(ValueError, match="api_key"):
        azure_live_endpoint(endpoint="https://res", api_key=None, token=None)
    assert url_live_endpoint(url="ws://127.0.0.1:1/x", api_key=None).headers == {}


def test_azure_client_reaches_the_mock_on_the_azure_path() -> None:
    with MockRealtimeServer(api="live") as server:
        base = server.url.split("/v1/")[0].replace("ws://", "http://")
        client = LiveClient.azure(
            base,
            token_provider=lambda: "entra-token",
            input_pace=PACE,
            allow_insecure=True,
        )
        with client:
            assert client.session_id is not None
    assert client.ended is not None and client.ended.confirmed


@pytest.mark.parametrize(
    ("audio_format", "rate"),
    [("audio/pcm", 16000), ("audio/pcmu", 8000), ("audio/pcma", 8000)],
)
def test_other_formats_round_trip(audio_format: str, rate: int) -> None:
    pcm = np.frombuffer(synth_speech("Format check", lead_ms=100, trail_ms=800), "<i2")
    with MockRealtimeServer(api="live") as server:
        client = LiveClient(
            url=server.url, audio_format=audio_format, sample_rate=rate, input_pace=PACE
        )
        with client:
            assert client.sample_rate == rate
            client.append_audio(pcm, sample_rate=24000)
            wait_turn(client, "assistant", "You said")
        appended = next(
            e for e in server.received if e.type == "session.input_audio.append"
        )
        size = len(rs._b64.decode(appended.audio))
        per_sample = 2 if audio_format == "audio/pcm" else 1
        assert size == rate // 50 * per_sample  # one 20 ms chunk


class _Stream:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


def test_play_sends_the_output_track_to_a_player() -> None:
    player = rs.audio.Player(sample_rate=24000, stream_factory=_Stream)
    with MockRealtimeServer(api="live") as server:
        client = LiveClient(url=server.url, input_pace=PACE)
        handler = client.play(player)
        with client:
            client.wait_for("session.output_audio.delta", timeout=10)
            client.off("session.output_audio.delta", handler)
    assert player.buffered_ms > 0
    with pytest.raises(TypeError, match="play"):
        client.play(object())
    player.close()


def test_without_the_pump_the_application_streams_the_input() -> None:
    with MockRealtimeServer(api="live") as server:
        client = LiveClient(url=server.url, input_pump=False)
        with client:
            assert "realtime-sync-pump" not in {t.name for t in threading.enumerate()}
            assert client.pending_input_ms == 0 and client.wait_input_sent(0)
            # The application's own clock: speech, then silence so the timeline moves.
            client.append_audio(synth_speech("No pump here", lead_ms=100, trail_ms=800))
            for _ in range(40):
                client.append_audio(bytes(4800))  # 100 ms of silence each
            wait_turn(client, "assistant", "No pump here")
        assert client.sent_input_ms == 0  # nothing went through a pump
