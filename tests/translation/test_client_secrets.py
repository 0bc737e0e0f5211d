"""Ephemeral keys for translation: ``client_secrets.create(translation=True)``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from realtime_sync import client_secrets
from realtime_sync.translation import events as tev
from tests.test_client_secrets import EPHEMERAL, EXPIRES_AT, KEY, HTTPStub, Reply

SESSION = {
    "id": "sess_9",
    "type": "translation",
    "model": "gpt-realtime-translate",
    "expires_at": EXPIRES_AT,
    "audio": {
        "input": {"transcription": None, "noise_reduction": None},
        "output": {"language": "fr"},
    },
}


@pytest.fixture
def stub() -> Iterator[HTTPStub]:
    with HTTPStub() as s:
        s.reply = Reply(
            body=json.dumps(
                {"value": EPHEMERAL, "expires_at": EXPIRES_AT, "session": SESSION}
            ).encode()
        )
        yield s


def test_the_translation_endpoint_and_body(stub: HTTPStub) -> None:
    secret = client_secrets.create(
        api_key=KEY,
        base_url=stub.url + "/v1",
        translation=True,
        session={"audio": {"output": {"language": "fr"}}},
        expires_after_seconds=300,
    )
    (seen,) = stub.requests
    assert (seen.method, seen.path) == (
        "POST",
        "/v1/realtime/translations/client_secrets",
    )
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.json() == {
        "expires_after": {"anchor": "created_at", "seconds": 300},
        "session": {
            "audio": {"output": {"language": "fr"}},
            "model": "gpt-realtime-translate",
        },
    }
    assert secret.value == EPHEMERAL
    assert secret.session["type"] == "translation"
    assert EPHEMERAL not in repr(secret)


def test_the_model_defaults_and_a_session_object_is_encoded(stub: HTTPStub) -> None:
    client_secrets.create(api_key=KEY, base_url=stub.url, translation=True)
    assert stub.requests[-1].json() == {"session": {"model": "gpt-realtime-translate"}}
    session = tev.TranslationSession(
        model="gpt-realtime-translate",
        audio=tev.TranslationAudio(output=tev.TranslationAudioOutput(language="de")),
    )
    client_secrets.create(
        api_key=KEY, base_url=stub.url, translation=True, session=session
    )
    assert stub.requests[-1].json()["session"]["audio"] == {
        "output": {"language": "de"}
    }


def test_bad_translation_sessions_fail_before_the_request(stub: HTTPStub) -> None:
    with pytest.raises(TypeError, match=r"\$\.session\.audio\.output\.language"):
        client_secrets.create(
            api_key=KEY,
            base_url=stub.url,
            translation=True,
            session={"audio": {"output": {"language": 5}}},
        )
    with pytest.raises(TypeError):
        client_secrets.create(
            api_key=KEY, base_url=stub.url, translation=True, session=3
        )
    with pytest.raises(ValueError, match="Azure"):
        client_secrets.create(
            api_key=KEY, azure_endpoint="https://x.openai.azure.com", translation=True
        )
    assert stub.requests == []
