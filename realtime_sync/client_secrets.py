"""Mint ephemeral keys (client secrets) for browsers and mobile apps.

A server holding the real API key calls :func:`create`; the browser receives only
the short-lived ``ek_...`` value and connects with it as its bearer token::

    secret = rs.client_secrets.create(
        session=rs.SessionConfig(instructions="Be brief.", voice="marin"),
        expires_after_seconds=600,
    )
    return {"key": secret.value, "expires_at": secret.expires_at}

The request is ``POST {base_url}/realtime/client_secrets`` (§1.6 of
``shared/protocol/REALTIME_PROTOCOL.md``), or on Azure
``POST {azure_endpoint}/openai/v1/realtime/client_secrets`` with an ``api-key`` header
or an Entra ID bearer token. Only the standard library does HTTP here (one short
request does not justify a dependency). Neither the API key nor the minted value ever
appears in a log line, a repr or an exception message: server answers are redacted
before they are stored in an exception.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs

from realtime_sync import events as ev
from realtime_sync._credentials import (
    CREDENTIAL_HEADERS,
    REDACTED,
    Redactor,
    is_loopback,
    refusal,
)
from realtime_sync.exceptions import (
    ConnectError,
    ProtocolError,
    Timeout,
)
from realtime_sync.protocol import Codec
from realtime_sync.protocol._from_dict import client_event_from_dict
from realtime_sync.session_config import SessionConfig

if TYPE_CHECKING:
    from realtime_sync.translation.events import TranslationSession

__all__ = ["ClientSecret", "create"]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"

# REALTIME_PROTOCOL.md §1.6: "expires_after.seconds: 10-7200, default 600".
MIN_EXPIRES_AFTER = 10
MAX_EXPIRES_AFTER = 7200

# An error body is read for its message only; a proxy's HTML page can be large.
_MAX_ERROR_BODY = 64 * 1024
# A successful answer holds the session object: generous, but bounded.
_MAX_BODY = 4 * 1024 * 1024

# A 2xx body that does not parse may still hold the minted key: hide anything
# shaped like one before the text is kept in a ProtocolError.
_VALUE_FIELD = re.compile(r'("value"\s*:\s*")[^"]*')
_EPHEMERAL_KEY = re.compile(r"\bek_[A-Za-z0-9_\-]+")

SessionLike = (
    SessionConfig | ev.RealtimeSession | ev.TranscriptionSession | Mapping[str, Any]
)


@attrs.frozen(kw_only=True)
class ClientSecret:
    """An ephemeral key, as minted by :func:`create`.

    Hand :attr:`value` to the browser (or pass it as ``api_key=`` of a
    :class:`~realtime_sync.RealtimeClient`); it can start sessions until
    :attr:`expires_at`, and a session started before then goes on afterwards.
    The repr never shows :attr:`value`.

    Attributes:
        value: The key, ``ek_...``: a credential, never log it.
        expires_at: When the key stops starting sessions (Unix seconds).
        session: The session object the server answered with (``id``, ``model``,
            ``audio``, ...), as a plain dict of the GA wire shape; empty when the
            server sent none.
    """

    value: str = attrs.field(repr=False)
    expires_at: int
    session: Mapping[str, Any] = attrs.field(factory=dict)

    def expires_in(self, *, now: float | None = None) -> float:
        """Seconds left until :attr:`expires_at` (negative once expired).

        Args:
            now: The current Unix time; :func:`time.time` when None.

        Returns:
            ``expires_at - now``.
        """
        return self.expires_at - (time.time() if now is None else now)


def create(
    *,
    api_key: str | None = None,
    session: SessionLike | TranslationSession | None = None,
    expires_after_seconds: int | None = None,
    base_url: str | None = None,
    timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
    azure_endpoint: str | None = None,
    token_provider: Callable[[], str] | None = None,
    allow_insecure: bool = False,
    translation: bool = False,
) -> ClientSecret:
    """Mint an ephemeral key with ``POST /realtime/client_secrets``.

    Blocks the calling thread for one HTTP request; starts no thread. Redirects are
    not followed (they would carry the key elsewhere); proxies come from the usual
    ``HTTPS_PROXY``/``NO_PROXY`` variables, except for loopback hosts.

    Args:
        api_key: The API key (``sk-...``) sent as ``Authorization: Bearer``; when
            None, ``OPENAI_API_KEY``. With ``azure_endpoint`` it is an Azure key sent
            as ``api-key``; when None (and no ``token_provider``),
            ``AZURE_OPENAI_API_KEY``.
        session: The session the key is for: a :class:`~realtime_sync.SessionConfig`,
            a :class:`~realtime_sync.events.RealtimeSession` or
            :class:`~realtime_sync.events.TranscriptionSession`, or a dict of the GA
            session shape (``type`` defaults to ``"realtime"``). None lets the server
            choose. The browser may still change it with ``session.update``.
        expires_after_seconds: Lifetime of the key, 10 to 7200 seconds; None keeps
            the server's default (600).
        base_url: The REST base URL; when None, ``OPENAI_BASE_URL`` or
            ``https://api.openai.com/v1``.
        timeout: Seconds allowed for connecting, and for each read of the answer.
        headers: Extra request headers (``OpenAI-Organization``, ``OpenAI-Project``).
        azure_endpoint: ``https://<resource>.openai.azure.com``: mint on Azure's GA
            ``/openai/v1/realtime/client_secrets`` instead.
        token_provider: Azure only: called once for an Entra ID token, sent as
            ``Authorization: Bearer``.
        allow_insecure: Allow plain ``http://`` to a host that is not loopback (the
            key would cross the network in clear text).
        translation: Mint a key for the Realtime Translation API instead
            (``POST /realtime/translations/client_secrets``): ``session`` is then a
            translation session, a dict such as ``{"model":
            "gpt-realtime-translate", "audio": {"output": {"language": "fr"}}}``
            (``model`` defaults to ``gpt-realtime-translate``), and
            ``ClientSecret.session`` the translation session. Not on Azure.

    Returns:
        The minted :class:`ClientSecret`.

    Raises:
        TypeError: An argument of the wrong type, or a ``session`` dict that is not
            a valid GA session (the message has the path).
        ValueError: No key, ``expires_after_seconds`` out of range, a bad URL, a
            plain ``http://`` URL to a remote host, or conflicting arguments.
        AuthenticationError: The server answered 401 or 403.
        RateLimitError: The server answered 429 (``retry_after`` from the
            ``Retry-After`` header, or None).
        ConnectError: Any other HTTP error status (``status``, ``body`` and
            ``server_message`` set), or the network failed (refused, unresolvable,
            reset).
        Timeout: No connection or no answer within ``timeout``.
        ProtocolError: A successful status whose body is not the expected JSON.
    """
    if not timeout > 0:
        raise ValueError("timeout must be positive")
    body: dict[str, Any] = {}
    if expires_after_seconds is not None:
        body["expires_after"] = {
            "anchor": "created_at",
            "seconds": _check_expiry(expires_after_seconds),
        }
    if translation:
        if azure_endpoint is not None:
            raise ValueError("Azure has no Realtime Translation client secrets")
        body["session"] = _translation_session_dict(session)
    elif session is not None:
        body["session"] = _session_dict(session)

    request_headers: dict[str, str] = {}
    secrets: set[str] = set()
    if azure_endpoint is not None:
        if base_url is not None:
            raise ValueError("give base_url= or azure_endpoint=, not both")
        if api_key is None and token_provider is None:
            api_key = os.environ.get("AZURE_OPENAI_API_KEY")
        url = azure_endpoint.rstrip("/") + "/openai/v1/realtime/client_secrets"
        loopback = _check_url(url, allow_insecure=allow_insecure)
        if token_provider is not None:
            token = token_provider()
            if not isinstance(token, str) or not token:
                raise TypeError("token_provider must return a non-empty string")
            request_headers["Authorization"] = f"Bearer {token}"
            secrets.add(token)
        if api_key is not None:
            request_headers["api-key"] = _check_key(api_key)
            secrets.add(api_key)
        if not secrets:
            raise ValueError(
                "Azure needs api_key=, token_provider= or AZURE_OPENAI_API_KEY"
            )
    else:
        if token_provider is not None:
            raise ValueError("token_provider= is for Azure: also give azure_endpoint=")
        if api_key is None:
            api_key = os.environ.get("OPENAI_API_KEY")
        if not api_key:
            raise ValueError("no API key: pass api_key= or set OPENAI_API_KEY")
        base = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        path = "/realtime/translations" if translation else "/realtime"
        url = base.rstrip("/") + path + "/client_secrets"
        loopback = _check_url(url, allow_insecure=allow_insecure)
        request_headers["Authorization"] = f"Bearer {_check_key(api_key)}"
        secrets.add(api_key)

    request_headers["Content-Type"] = "application/json"
    request_headers["Accept"] = "application/json"
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("headers must map str to str")
        if any(c in name + value for c in "\r\n"):
            raise ValueError("header names and values must not contain line breaks")
        request_headers[name] = value
        if name.lower() in CREDENTIAL_HEADERS:
            # The whole value, and the credential after a scheme ("Bearer x" -> "x");
            # never the scheme word itself, which is no secret.
            secrets.add(value)
            secrets.update(value.split()[1:])

    redactor = Redactor(secrets)
    safe_url = redactor(_display_url(url))
    data = json.dumps(body).encode("utf-8")
    logger.debug("POST %s (%d bytes)", safe_url, len(data))
    text = _post(url, data, request_headers, timeout, loopback, redactor, safe_url)
    secret = _parse(text, redactor, safe_url)
    logger.debug(
        "client secret created at %s, expires_at=%d", safe_url, secret.expires_at
    )
    return secret


# -- arguments -------------------------------------------------------------------------


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError("api_key must be a string")
    if not key:
        raise ValueError("api_key must not be empty")
    if any(c in key for c in "\r\n"):
        raise ValueError("api_key must not contain line breaks")
    return key


def _check_expiry(seconds: object) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TypeError("expires_after_seconds must be an int or None")
    if not MIN_EXPIRES_AFTER <= seconds <= MAX_EXPIRES_AFTER:
        raise ValueError(
            f"expires_after_seconds must be between {MIN_EXPIRES_AFTER} and "
            f"{MAX_EXPIRES_AFTER}, not {seconds}"
        )
    return seconds


def _session_dict(session: object) -> dict[str, Any]:
    """The GA wire dict of ``session`` (same inputs as ``RealtimeClient(session=)``)."""
    if isinstance(session, SessionConfig):
        session = session.to_session()
    if isinstance(session, (ev.RealtimeSession, ev.TranscriptionSession)):
        return Codec("ga").to_dict(session)
    if isinstance(session, Mapping):
        wire = dict(session)
        wire.setdefault("type", "realtime")
        # Checked with the Codec's strict hooks, so a wrong value fails here with
        # its path, not as an HTTP 400 later. The dict itself is sent as given:
        # fields this SDK does not know yet must still reach the server.
        client_event_from_dict({"type": "session.update", "session": wire})
        return wire
    raise TypeError(
        "session must be a SessionConfig, a RealtimeSession, a TranscriptionSession "
        f"or a dict, not {type(session).__name__}"
    )


def _translation_session_dict(session: object) -> dict[str, Any]:
    """The wire dict of a translation session (``model`` defaults), checked."""
    from realtime_sync.translation import events as tev
    from realtime_sync.translation.codec import TranslationCodec

    codec = TranslationCodec()
    if session is None:
        wire: dict[str, Any] = {}
    elif isinstance(session, tev.TranslationSession):
        wire = codec.to_dict(session)
    elif isinstance(session, Mapping):
        wire = dict(session)
    else:
        raise TypeError(
            "a translation session must be a dict or a TranslationSession, not "
            f"{type(session).__name__}"
        )
    wire.setdefault("model", "gpt-realtime-translate")
    try:  # the strict hooks: a wrong value fails here, with its path
        codec.decode_server(json.dumps({"type": "session.created", "session": wire}))
    except ProtocolError as exc:
        raise TypeError(str(exc)) from None
    return wire


def _check_url(url: str, *, allow_insecure: bool) -> bool:
    """Check the scheme and host; return whether the host is loopback.

    Raises:
        ValueError: Not http(s), no host, or plain http to a remote host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"expected an https:// base URL, got scheme {parts.scheme!r}")
    host = parts.hostname
    if not host:
        raise ValueError("the base URL has no host")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValueError("the base URL has an invalid port") from None
    loopback = is_loopback(host)
    if parts.scheme == "http" and not loopback and not allow_insecure:
        raise ValueError(
            f"refusing to send the API key in clear text to {host!r} over http://; "
            "use https://, or pass allow_insecure=True"
        )
    return loopback


def _display_url(url: str) -> str:
    """``scheme://host:port/path``: no user info, no query."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}{parts.path}"


# -- HTTP ------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would replay the ``Authorization`` header elsewhere."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        """Return None, so that the 3xx answer is raised as an ``HTTPError``."""
        return None


def _post(
    url: str,
    data: bytes,
    headers: dict[str, str],
    timeout: float,
    loopback: bool,
    redact: Redactor,
    safe_url: str,
) -> str:
    """POST ``data``; the body of a 2xx answer, or the mapped exception."""
    # A loopback server is never reached through a proxy (a test server, a local
    # gateway); elsewhere the environment's proxies apply as for any urllib call.
    proxies = (
        urllib.request.ProxyHandler({}) if loopback else urllib.request.ProxyHandler()
    )
    opener = urllib.request.build_opener(proxies, _NoRedirect())
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    status_error: ConnectError | None = None
    try:
        with opener.open(request, timeout=timeout) as response:
            raw: bytes = response.read(_MAX_BODY + 1)
    except urllib.error.HTTPError as exc:
        status_error = _status_error(exc, redact, safe_url)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        redact.scrub(exc)
        if isinstance(reason, BaseException):
            redact.scrub(reason)
        if isinstance(reason, TimeoutError):
            raise Timeout(f"No answer from {safe_url} within {timeout:g} s.") from exc
        raise ConnectError(
            redact(f"Could not connect to {safe_url}: {redact.describe(reason)}")
        ) from exc
    if status_error is not None:
        # Raised here, outside the ``except``: the HTTPError (which holds the
        # unredacted answer) is neither ``__cause__`` nor ``__context__``; the
        # exception carries status, body and message itself.
        raise status_error
    if len(raw) > _MAX_BODY:
        raise ProtocolError(
            f"The answer of {safe_url} is larger than {_MAX_BODY} bytes."
        )
    return raw.decode("utf-8", "replace")


def _status_error(
    exc: urllib.error.HTTPError, redact: Redactor, safe_url: str
) -> ConnectError:
    """Turn an HTTP error status into AuthenticationError, RateLimitError or ConnectError."""
    try:
        raw = exc.read(_MAX_ERROR_BODY)
    except (OSError, http.client.HTTPException):
        raw = b""
    finally:
        with contextlib.suppress(OSError):
            exc.close()
    body = redact(raw.decode("utf-8", "replace")) if raw else None
    logger.debug("POST %s answered HTTP %d", safe_url, exc.code)
    headers = exc.headers
    return refusal(
        f"Could not create a client secret at {safe_url}",
        int(exc.code),
        exc.reason if isinstance(exc.reason, str) else None,
        body,
        headers.get if headers is not None else lambda name: None,
        redact,
    )


def _parse(text: str, redact: Redactor, safe_url: str) -> ClientSecret:
    """The ClientSecret of a 2xx body, or ProtocolError (raw text redacted)."""
    text_for_errors = _EPHEMERAL_KEY.sub(REDACTED, _VALUE_FIELD.sub(r"\1***", text))
    try:
        document = json.loads(text)
    except ValueError:
        raise ProtocolError(
            f"The answer of {safe_url} is not JSON.", raw=redact(text_for_errors)
        ) from None
    if not isinstance(document, dict):
        raise ProtocolError(
            f"The answer of {safe_url} is not a JSON object.",
            raw=redact(text_for_errors),
        )
    # GA answers {"value", "expires_at", "session"}; the beta (and Azure preview)
    # sessions endpoints nest the key as {"client_secret": {"value", "expires_at"}}.
    holder: Any = document
    if "value" not in document and isinstance(document.get("client_secret"), dict):
        holder = document["client_secret"]
    value = holder.get("value")
    if isinstance(value, str) and value:
        redact.add(value)
    expires_at = holder.get("expires_at")
    for name, ok in (
        ("value", isinstance(value, str) and bool(value)),
        (
            "expires_at",
            isinstance(expires_at, int) and not isinstance(expires_at, bool),
        ),
    ):
        if not ok:
            raise ProtocolError(
                f"The answer of {safe_url} has no valid {name!r}.",
                raw=redact(text_for_errors),
                path=f"$.{name}",
            )
    session = document.get("session", document if holder is not document else {})
    if not isinstance(session, dict):
        raise ProtocolError(
            f"The answer of {safe_url} has a 'session' that is not an object.",
            raw=redact(text_for_errors),
            path="$.session",
        )
    if holder is not document:
        session = {k: v for k, v in session.items() if k != "client_secret"}
    return ClientSecret(value=value, expires_at=expires_at, session=session)
