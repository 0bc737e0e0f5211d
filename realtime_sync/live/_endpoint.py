"""Where a Live client connects: OpenAI, Azure Foundry, or a URL. Pure functions.

LIVE_PROTOCOL.md §1: the primary WebSocket is ``<base>/live/sessions`` with **no
query parameters** (the model goes in ``session.start``), ``Authorization: Bearer
<key>`` and no ``OpenAI-Beta`` header; ``OPENAI_BASE_URL`` (``https://host/v1``)
maps to ``wss://host/v1/live/sessions`` (its query parameters are kept, as the
SDK keeps them). Azure Foundry: ``wss://<resource>.openai.azure.com/openai/v1/live/
sessions`` with a bearer token (an Entra token) or an ``api-key``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from realtime_sync.client._endpoints import (
    Endpoint,
    _azure_auth,
    _merge,
    _openai_auth,
    _openai_base,
    _ws_scheme,
    url_endpoint,
)

__all__ = ["azure_live_endpoint", "openai_live_endpoint", "url_live_endpoint"]

_PATH = "/live/sessions"


def openai_live_endpoint(
    *,
    api_key: str | None,
    base_url: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Endpoint:
    """The Live endpoint of OpenAI (or of ``OPENAI_BASE_URL``).

    Args:
        api_key: The key; when None, ``OPENAI_API_KEY``.
        base_url: The REST base URL; when None, ``OPENAI_BASE_URL`` or OpenAI's.
        headers: Extra headers (``OpenAI-Organization``, ``OpenAI-Project``, ...).

    Returns:
        The endpoint.

    Raises:
        ValueError: A base URL that is not http(s) or ws(s).
    """
    parts = urlsplit(_openai_base(base_url))
    url = _ws_scheme(parts._replace(path=parts.path.rstrip("/") + _PATH).geturl())
    hdrs, secrets = _openai_auth(api_key)
    return Endpoint(
        url=url, headers=_merge(hdrs, headers), secrets=secrets, dialect="live"
    )


def azure_live_endpoint(
    *,
    endpoint: str,
    api_key: str | None,
    token: str | None,
    headers: Mapping[str, str] | None = None,
) -> Endpoint:
    """The Live endpoint of an Azure Foundry resource (``/openai/v1/live/sessions``).

    Args:
        endpoint: ``https://<resource>.openai.azure.com``.
        api_key: An Azure key, sent as ``api-key``.
        token: An Entra ID token, sent as a bearer token.
        headers: Extra headers.

    Returns:
        The endpoint.

    Raises:
        ValueError: Neither a key nor a token, or a bad endpoint URL.
    """
    hdrs, secrets = _azure_auth(api_key, token)
    url = _ws_scheme(endpoint.rstrip("/")) + "/openai/v1" + _PATH
    return Endpoint(
        url=url, headers=_merge(hdrs, headers), secrets=secrets, dialect="live"
    )


def url_live_endpoint(
    *, url: str, api_key: str | None, headers: Mapping[str, str] | None = None
) -> Endpoint:
    """An explicit URL (a local mock, a compatible server), taken as given."""
    return url_endpoint(url=url, api_key=api_key, dialect="live", headers=headers)
