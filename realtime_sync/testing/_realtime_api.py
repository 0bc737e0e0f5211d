"""The Realtime API of the mock: ``/v1/realtime`` (and Azure's paths), the Responder.

Registered as ``"realtime"`` in :mod:`realtime_sync.testing._apis`. The codec is the
client's :class:`~realtime_sync.protocol.Codec` in the connection's dialect; the
responder a :class:`~realtime_sync.testing.Responder` for the URL's ``model`` (or
Azure's ``deployment``), a transcription session for ``?intent=transcription``.
"""

from __future__ import annotations

from realtime_sync.protocol.codec import Codec
from realtime_sync.testing._apis import ConnectRequest, MockApi, register_api
from realtime_sync.testing._responder import Responder

__all__ = ["REALTIME_API"]

# The WebSocket paths of the service: OpenAI's GA (and beta) endpoint, Azure's
# classic deployments path and Azure's GA /openai/v1 path (§1.1, §1.3, §1.4).
REALTIME_PATHS = frozenset({"/v1/realtime", "/openai/realtime", "/openai/v1/realtime"})


def _codec(request: ConnectRequest) -> Codec:
    return Codec(request.dialect)


def _responder(request: ConnectRequest) -> Responder:
    model = request.param("model", request.param("deployment", "gpt-realtime"))
    intent = request.param("intent", "realtime")
    options = request.options
    return Responder(
        request.dialect,
        model=model,
        audio_chunk_ms=options.get("audio_chunk_ms", 100),
        audio_ms=options.get("audio_ms"),
        session_type="transcription" if intent == "transcription" else "realtime",
        # The session's expires_at tells when the session limit ends it.
        session_lifetime_s=options.get("max_session_seconds") or 3600,
    )


REALTIME_API = MockApi(
    name="realtime",
    paths=REALTIME_PATHS,
    url_path="/v1/realtime?model=gpt-realtime",
    make_codec=_codec,
    make_responder=_responder,
    audio_delta_types=frozenset({"response.output_audio.delta"}),
)
register_api(REALTIME_API)
