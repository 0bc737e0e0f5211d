"""URL and header construction for OpenAI, Azure and compatible servers."""

from __future__ import annotations

import pytest

from realtime_sync.client._endpoints import (
    azure_endpoint,
    openai_endpoint,
    url_endpoint,
)


def test_openai_ga(monkeypatch: pytest.MonkeyPatch) -> None:
    """GA: wss URL with the model, bearer key from OPENAI_API_KEY, no beta header."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    ep = openai_endpoint(model="gpt-realtime", api_key=None, dialect="ga")
    assert ep.url == "wss://api.openai.com/v1/realtime?model=gpt-realtime"
    assert ep.headers == {"Authorization": "Bearer sk-env"}
    assert ep.secrets == ("sk-env",)
    assert "sk-env" not in repr(ep)


def test_openai_beta_base_url_and_call_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beta adds OpenAI-Beta; OPENAI_BASE_URL maps http to ws; call_id replaces model."""
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:8080/v1/")
    ep = openai_endpoint(model="m", api_key="ek_123", dialect="beta", call_id="rtc_1")
    assert ep.url == "ws://localhost:8080/v1/realtime?call_id=rtc_1"
    assert ep.headers == {
        "Authorization": "Bearer ek_123",
        "OpenAI-Beta": "realtime=v1",
    }


def test_azure_ga_and_classic() -> None:
    """Azure: GA v1 path with model=deployment, classic path with api-version + beta."""
    ga = azure_endpoint(
        endpoint="https://res.openai.azure.com/",
        deployment="dep",
        api_version=None,
        api_key="k",
        token=None,
    )
    assert ga.url == "wss://res.openai.azure.com/openai/v1/realtime?model=dep"
    assert ga.headers == {"api-key": "k"} and ga.dialect == "ga"
    classic = azure_endpoint(
        endpoint="https://res.openai.azure.com",
        deployment="dep",
        api_version="2025-04-01-preview",
        api_key=None,
        token="tok",
    )
    assert classic.url == (
        "wss://res.openai.azure.com/openai/realtime"
        "?api-version=2025-04-01-preview&deployment=dep"
    )
    assert classic.headers == {"Authorization": "Bearer tok"}
    assert classic.dialect == "beta"
    with pytest.raises(ValueError):
        azure_endpoint(
            endpoint="https://r",
            deployment="d",
            api_version=None,
            api_key=None,
            token=None,
        )


def test_url_without_key_sends_no_authorization() -> None:
    """A local server URL without a key: no Authorization header at all."""
    ep = url_endpoint(
        url="ws://127.0.0.1:9/v1/realtime",
        api_key=None,
        dialect="ga",
        headers={"X-A": "1"},
    )
    assert ep.headers == {"X-A": "1"}
    with pytest.raises(ValueError):
        url_endpoint(url="ftp://x", api_key=None, dialect="ga")


def test_transcription_intent_leaves_the_model_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """intent='transcription' gives ?intent=transcription without a model."""
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    ep = openai_endpoint(
        model="gpt-realtime", api_key="k", dialect="ga", intent="transcription"
    )
    assert ep.url == "wss://api.openai.com/v1/realtime?intent=transcription"
