"""Where a translation client connects: OpenAI's translations endpoint, or a URL.

``wss://api.openai.com/v1/realtime/translations?model=<model>`` with
``Authorization: Bearer <key or ek_...>`` and no ``OpenAI-Beta`` header
(TRANSLATION_PROTOCOL.md §1); ``OPENAI_BASE_URL`` (``https://host/v1``) maps to
``wss://host/v1/realtime/translations``. The model travels in the URL only; an
``intent`` is refused (the service does not accept one). Azure has no translation
endpoint that the protocol documents, so there is none here. Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from realtime_sync.client._endpoints import (
    Endpoint,
    _merge,
    _openai_auth,
    _openai_base,
    _with_query,
    _ws_scheme,
    url_endpoint,
)

__all__ = ["openai_translation_endpoint", "url_translation_endpoint"]


def openai_translation_endpoint(
    *,
    model: str,
    api_key: str | None,
    base_url: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Endpoint:
    """The translations endpoint of OpenAI (or of ``OPENAI_BASE_URL``).

    Args:
        model: The model (``gpt-realtime-translate``).
        api_key: The key or an ephemeral key; when None, ``OPENAI_API_KEY``.
        base_url: The REST base URL; when None, ``OPENAI_BASE_URL`` or OpenAI's.
        headers: Extra headers (``OpenAI-Safety-Identifier``, ...).

    Returns:
        The endpoint.

    Raises:
        ValueError: No model, a base URL with an ``intent``, or a bad base URL.
    """
    if not model:
        raise ValueError("a translation model is required")
    parts = urlsplit(_openai_base(base_url))
    if "intent" in parse_qs(parts.query):
        raise ValueError("Realtime Translation does not accept an intent parameter")
    url = _ws_scheme(
        parts._replace(path=parts.path.rstrip("/") + "/realtime/translations").geturl()
    )
    hdrs, secrets = _openai_auth(api_key)
    return Endpoint(
        url=_with_query(url, {"model": model}),
        headers=_merge(hdrs, headers),
        secrets=secrets,
        dialect="translation",
    )


def url_translation_endpoint(
    *, url: str, api_key: str | None, headers: Mapping[str, str] | None = None
) -> Endpoint:
    """An explicit URL (a local mock, a compatible server), taken as given."""
    return url_endpoint(
        url=url, api_key=api_key, dialect="translation", headers=headers
    )
