"""openai-python's own translation transport against the mock, every frame validated.

openai 3.60 ships a private translation helper (``openai.lib.realtime_translation``:
``TranslationSession`` over ``client.realtime.translations.connect``), written by
nobody here: it runs a whole session against ``MockRealtimeServer(api="translation")``
(``session.update``, 200 ms appends, ``session.close``, ``session.closed``), and every
frame the mock sent must validate against openai's pydantic union of translation
server events; what our TranslationClient sends must validate against its union of
client events.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

openai = pytest.importorskip("openai")
pydantic = pytest.importorskip("pydantic")
realtime_translation = pytest.importorskip("openai.lib.realtime_translation")

from openai.types.realtime import (  # noqa: E402
    RealtimeTranslationClientEvent,
    RealtimeTranslationServerEvent,
)

from realtime_sync.testing import MockRealtimeServer, synth_speech  # noqa: E402
from realtime_sync.translation import TranslationClient  # noqa: E402
from realtime_sync.translation.codec import TranslationCodec  # noqa: E402
from tests.helpers import openai_ws_options  # noqa: E402

pytestmark = pytest.mark.timeout(30)

SERVER_EVENTS: Any = pydantic.TypeAdapter(RealtimeTranslationServerEvent)
CLIENT_EVENTS: Any = pydantic.TypeAdapter(RealtimeTranslationClientEvent)
WS_OPTIONS: Any = openai_ws_options()
FRAME = 9600  # bytes: 200 ms of 24 kHz PCM16


def validate_all(frames: list[str], adapter: Any) -> list[str]:
    types = []
    for frame in frames:
        data = json.loads(frame)
        adapter.validate_python(data, strict=False)
        types.append(data["type"])
    return types


def test_openai_python_completes_a_session_against_the_mock() -> None:
    speech = synth_speech("Good morning everyone.", lead_ms=200, trail_ms=600)
    speech += bytes(FRAME - len(speech) % FRAME)
    with MockRealtimeServer(api="translation") as server:
        client = openai.OpenAI(
            api_key="test", websocket_base_url=f"ws://127.0.0.1:{server.port}/v1"
        )
        session = realtime_translation.TranslationSession(
            client.realtime.translations,
            model="gpt-realtime-translate",
            websocket_connection_options=WS_OPTIONS,
        )
        received: list[Any] = []
        with session as conn:
            received.append(conn.recv(timeout=5))
            conn.send(
                {
                    "type": "session.update",
                    "session": {
                        "audio": {
                            "output": {"language": "es"},
                            "input": {
                                "transcription": {"model": "gpt-realtime-whisper"},
                                "noise_reduction": {"type": "near_field"},
                            },
                        }
                    },
                }
            )
            received.append(conn.recv(timeout=5))
            for at in range(0, len(speech), FRAME):
                chunk = base64.b64encode(speech[at : at + FRAME]).decode()
                conn.send({"type": "session.input_audio_buffer.append", "audio": chunk})
            conn.send({"type": "session.close"})
            while received[-1].type != "session.closed":
                received.append(conn.recv(timeout=5))
        sent = list(server.sent)
    types = validate_all(sent, SERVER_EVENTS)
    assert types[0] == "session.created" and types[1] == "session.updated"
    assert types[-1] == "session.closed"
    assert {"session.input_transcript.delta", "session.output_transcript.delta"} <= set(
        types
    )
    assert "session.output_audio.delta" in types
    assert [e.type for e in received] == types
    updated = received[1]
    assert updated.session.audio.output.language == "es"
    assert updated.session.audio.input.noise_reduction.strength == 1
    text = "".join(
        e.delta for e in received if e.type == "session.output_transcript.delta"
    )
    assert text == "[es] Good morning everyone."


def test_what_our_client_sends_validates_against_openais_types() -> None:
    codec = TranslationCodec()
    with MockRealtimeServer(api="translation") as server:
        client = TranslationClient(
            url=server.url,
            target_language="fr",
            input_transcription=True,
            noise_reduction="far_field",
            pace=25,
        )
        with client:
            client.append_audio(synth_speech("Hi.", trail_ms=400))
            client.update_session(target_language="it")
            client.finish(timeout=20)
        received = list(server.received)
        sent = list(server.sent)
    frames = [codec.encode_client(e) for e in received]
    types = validate_all(frames, CLIENT_EVENTS)
    assert types[0] == "session.update" and types[-1] == "session.close"
    assert "session.input_audio_buffer.append" in types
    validate_all(sent, SERVER_EVENTS)
