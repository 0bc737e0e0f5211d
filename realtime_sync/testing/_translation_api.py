"""The Translation API of the mock: ``/v1/realtime/translations``.

Registered as ``"translation"`` in :mod:`realtime_sync.testing._apis`: the codec is
the client's :class:`~realtime_sync.translation.codec.TranslationCodec`, the
responder a :class:`~realtime_sync.testing._translation_responder.TranslationResponder`
for the URL's ``model``.
"""

from __future__ import annotations

from realtime_sync.testing._apis import ConnectRequest, MockApi, register_api
from realtime_sync.testing._translation_responder import TranslationResponder
from realtime_sync.translation.codec import TranslationCodec

__all__ = ["TRANSLATION_API"]


def _codec(request: ConnectRequest) -> TranslationCodec:
    return TranslationCodec()


def _responder(request: ConnectRequest) -> TranslationResponder:
    options = request.options
    return TranslationResponder(
        request.param("model", "gpt-realtime-translate"),
        latency_ms=options.get("translation_latency_ms", 600),
        session_lifetime_s=options.get("max_session_seconds") or 3600,
    )


TRANSLATION_API = MockApi(
    name="translation",
    paths=frozenset({"/v1/realtime/translations"}),
    url_path="/v1/realtime/translations?model=gpt-realtime-translate",
    make_codec=_codec,
    make_responder=_responder,
    audio_delta_types=frozenset({"session.output_audio.delta"}),
)
register_api(TRANSLATION_API)
