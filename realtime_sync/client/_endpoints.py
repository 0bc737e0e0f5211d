"""Where to connect and with which headers: OpenAI GA and beta, Azure, compatible servers.

Pure functions over strings (no I/O), so every URL and header rule is testable alone.
The rules are those of §1 of ``shared/protocol/REALTIME_PROTOCOL.md``:

* OpenAI GA: ``wss://api.openai.com/v1/realtime?model=...`` with
  ``Authorization: Bearer <key>``; ``OPENAI_BASE_URL`` (``https://host/v1``) maps to
  ``wss://host/v1/realtime``. The beta dialect adds ``OpenAI-Beta: realtime=v1``.
* Azure GA: ``<endpoint>/openai/v1/realtime?model=<deployment>`` (no api-version);
  Azure classic: ``<endpoint>/openai/realtime?api-version=...&deployment=...`` with the
  beta dialect. Keys go in ``api-key``, Entra tokens in ``Authorization: Bearer``.
* ``url=``: taken as given; no ``Authorization`` header at all when there is no key.
* ``call_id=``: attach to an existing SIP/WebRTC call instead of naming a model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

import attrs

__all__ = ["Endpoint", "azure_endpoint", "openai_endpoint", "url_endpoint"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


@attrs.frozen(kw_only=True)
class Endpoint:
    """A resolved WebSocket endpoint.

    Attributes:
        url: The ``ws://`` or ``wss://`` URL, query included.
        headers: HTTP headers of the upgrade request (secrets included: never log).
        secrets: Strings that must never appear in logs, reprs or messages.
        dialect: The dialect this endpoint speaks (``"ga"``, ``"beta"`` or
            ``"auto"``; ``"live"`` or ``"translation"`` for those protocols).
    """

    url: str
    headers: Mapping[str, str] = attrs.field(repr=False)
    secrets: tuple[str, ...] = attrs.field(repr=False, default=())
    dialect: str = "ga"


def _ws_scheme(url: str) -> str:
    parts = urlsplit(url)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss"):
        raise ValueError(
            f"expected an http(s) or ws(s) URL, got scheme {parts.scheme!r}"
        )
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _merge(base: dict[str, str], extra: Mapping[str, str] | None) -> dict[str, str]:
    if extra:
        for key, value in extra.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError("headers must map str to str")
            base[key] = value
    return base


def _openai_base(base_url: str | None) -> str:
    """The REST base URL: ``base_url``, else ``OPENAI_BASE_URL``, else OpenAI's."""
    return base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL


def _openai_auth(api_key: str | None) -> tuple[dict[str, str], tuple[str, ...]]:
    """The headers and secrets of an OpenAI key (when None, ``OPENAI_API_KEY``)."""
    key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
    if not key:
        return {}, ()
    return {"Authorization": f"Bearer {key}"}, (key,)


def _azure_auth(
    api_key: str | None, token: str | None
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The headers and secrets of an Azure key (``api-key``) or Entra token.

    Raises:
        ValueError: Neither a key nor a token.
    """
    if not api_key and not token:
        raise ValueError("Azure needs api_key= or token_provider=")
    hdrs: dict[str, str] = {}
    secrets: list[str] = []
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
        secrets.append(token)
    if api_key:
        hdrs["api-key"] = api_key
        secrets.append(api_key)
    return hdrs, tuple(secrets)


def openai_endpoint(
    *,
    model: str | None,
    api_key: str | None,
    dialect: str,
    base_url: str | None = None,
    call_id: str | None = None,
    intent: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Endpoint:
    """The endpoint of OpenAI (or of ``OPENAI_BASE_URL``).

    Args:
        model: The model (``gpt-realtime``); ignored when ``call_id`` is given.
        api_key: The key (``sk-...``) or an ephemeral key (``ek_...``); when None,
            ``OPENAI_API_KEY``.
        dialect: ``"ga"``, ``"beta"`` (adds ``OpenAI-Beta: realtime=v1``) or ``"auto"``.
        base_url: The REST base URL; when None, ``OPENAI_BASE_URL`` or the default.
        call_id: Attach to an existing SIP/WebRTC call.
        intent: ``"transcription"`` for a transcription-only session.
        headers: Extra headers (``OpenAI-Organization``, ...).

    Returns:
        The endpoint.

    Raises:
        ValueError: Neither a model nor a call id, or a bad base URL.
    """
    url = _ws_scheme(_openai_base(base_url).rstrip("/") + "/realtime")
    params: dict[str, str] = {}
    if call_id is not None:
        params["call_id"] = call_id
    elif model is not None and intent != "transcription":
        params["model"] = model  # a transcription session takes no model (§1.1)
    elif intent != "transcription":
        raise ValueError("give a model (or call_id, or intent='transcription')")
    if intent is not None:
        params["intent"] = intent
    hdrs, secrets = _openai_auth(api_key)
    if dialect == "beta":
        hdrs["OpenAI-Beta"] = "realtime=v1"
    return Endpoint(
        url=_with_query(url, params),
        headers=_merge(hdrs, headers),
        secrets=secrets,
        dialect=dialect,
    )


def azure_endpoint(
    *,
    endpoint: str,
    deployment: str,
    api_version: str | None,
    api_key: str | None,
    token: str | None,
    headers: Mapping[str, str] | None = None,
    call_id: str | None = None,
) -> Endpoint:
    """The endpoint of an Azure OpenAI resource.

    Args:
        endpoint: ``https://<resource>.openai.azure.com``.
        deployment: The deployment name.
        api_version: None (or ``"v1"``) for the GA ``/openai/v1`` path; a dated
            version for the classic preview path, which speaks the beta dialect.
        api_key: An Azure key, sent as ``api-key``.
        token: An Entra ID token (from a token provider), sent as a bearer token.
        headers: Extra headers.
        call_id: Attach to an existing call (GA path only).

    Returns:
        The endpoint.

    Raises:
        ValueError: Neither a key nor a token, or a bad endpoint URL.
    """
    hdrs, secrets = _azure_auth(api_key, token)
    base = _ws_scheme(endpoint.rstrip("/"))
    if api_version in (None, "v1"):
        params = {"call_id": call_id} if call_id else {"model": deployment}
        url = _with_query(base + "/openai/v1/realtime", params)
        dialect = "ga"
    else:
        url = _with_query(
            base + "/openai/realtime",
            {"api-version": api_version, "deployment": deployment},
        )
        dialect = "beta"
    return Endpoint(
        url=url, headers=_merge(hdrs, headers), secrets=secrets, dialect=dialect
    )


def url_endpoint(
    *,
    url: str,
    api_key: str | None,
    dialect: str,
    headers: Mapping[str, str] | None = None,
) -> Endpoint:
    """An explicit URL (compatible and local servers).

    Args:
        url: ``ws://`` or ``wss://`` (``http(s)://`` is mapped).
        api_key: Sent as a bearer token when given; no ``Authorization`` otherwise.
        dialect: ``"ga"``, ``"beta"`` or ``"auto"`` (or the protocol of another
            client: ``"live"``, ``"translation"``).
        headers: Extra headers.

    Returns:
        The endpoint.
    """
    hdrs: dict[str, str] = {}
    if api_key:
        hdrs["Authorization"] = f"Bearer {api_key}"
    if dialect == "beta":
        hdrs["OpenAI-Beta"] = "realtime=v1"
    return Endpoint(
        url=_ws_scheme(url),
        headers=_merge(hdrs, headers),
        secrets=(api_key,) if api_key else (),
        dialect=dialect,
    )
