"""client_secrets.create against a real HTTP server on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import pytest

import realtime_sync as rs
from realtime_sync import client_secrets
from realtime_sync import events as ev
from realtime_sync.client_secrets import ClientSecret
from realtime_sync.testing import MockRealtimeServer

KEY = "sk-test-SECRET-0123456789abcdef"
EPHEMERAL = "ek_SECRET_68af0123456789abcdef"
EXPIRES_AT = 1_900_000_000


@attrs.define
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        """The body, parsed."""
        return json.loads(self.body)


@attrs.define
class Reply:
    """What the server answers: status, body, content type, and a delay first."""

    status: int = 200
    body: bytes | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] = attrs.Factory(dict)
    drop: bool = False  # close the connection without answering


def ok_body(session: dict[str, Any] | None = None) -> bytes:
    """An answer shaped like OpenAI's."""
    return json.dumps(
        {
            "value": EPHEMERAL,
            "expires_at": EXPIRES_AT,
            "session": {
                "type": "realtime",
                "object": "realtime.session",
                "id": "sess_123",
                "model": "gpt-realtime",
                **(session or {}),
            },
        }
    ).encode()


def error_body(message: str, type_: str, code: str | None) -> bytes:
    """An OpenAI JSON error body."""
    return json.dumps(
        {"error": {"message": message, "type": type_, "code": code, "param": None}}
    ).encode()


class HTTPStub:
    """A ThreadingHTTPServer on 127.0.0.1 that records requests and answers ``reply``.

    ``reply`` may be a Reply or a callable from the request to a Reply. GET (a
    WebSocket upgrade) and POST are handled alike.
    """

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.reply: Reply | Callable[[Seen], Reply] = Reply(body=ok_body())
        self.stopping = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: stderr is not a log."""

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                stub.requests.append(seen)
                reply = stub.reply(seen) if callable(stub.reply) else stub.reply
                if reply.delay:
                    stub.stopping.wait(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                body = reply.body or b""
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            do_POST = _handle
            do_GET = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="http-stub",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def __enter__(self) -> HTTPStub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture
def stub() -> Iterator[HTTPStub]:
    with HTTPStub() as s:
        yield s


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "AZURE_OPENAI_API_KEY",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# -- requests ---------------------------------------------------------------------------


def test_create_posts_ga_request(stub: HTTPStub) -> None:
    """POST /v1/realtime/client_secrets with bearer key, JSON body and expiry."""
    secret = client_secrets.create(
        api_key=KEY,
        base_url=stub.url + "/v1",
        session={"model": "gpt-realtime", "instructions": "Be brief."},
        expires_after_seconds=120,
        headers={"OpenAI-Project": "proj_1"},
    )
    (seen,) = stub.requests
    assert (seen.method, seen.path) == ("POST", "/v1/realtime/client_secrets")
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["openai-project"] == "proj_1"
    assert seen.json() == {
        "expires_after": {"anchor": "created_at", "seconds": 120},
        "session": {
            "type": "realtime",
            "model": "gpt-realtime",
            "instructions": "Be brief.",
        },
    }
    assert secret.value == EPHEMERAL
    assert secret.expires_at == EXPIRES_AT
    assert secret.session["id"] == "sess_123"


def test_create_without_arguments_sends_empty_body(
    stub: HTTPStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no session or expiry the body is {}; key and base URL come from env."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", stub.url + "/v1/")
    client_secrets.create()
    (seen,) = stub.requests
    assert seen.path == "/v1/realtime/client_secrets"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.json() == {}


def test_session_config_is_encoded_to_ga_shape(stub: HTTPStub) -> None:
    """A SessionConfig is sent as the nested GA session dict."""
    client_secrets.create(
        api_key=KEY,
        base_url=stub.url,
        session=rs.SessionConfig(instructions="Hi", voice="marin"),
    )
    assert stub.requests[0].json()["session"] == {
        "type": "realtime",
        "instructions": "Hi",
        "audio": {"output": {"voice": "marin"}},
    }


def test_event_session_objects_are_encoded(stub: HTTPStub) -> None:
    """RealtimeSession and TranscriptionSession encode through the GA Codec."""
    client_secrets.create(
        api_key=KEY, base_url=stub.url, session=ev.RealtimeSession(model="gpt-realtime")
    )
    client_secrets.create(
        api_key=KEY, base_url=stub.url, session=ev.TranscriptionSession()
    )
    assert stub.requests[0].json()["session"] == {
        "type": "realtime",
        "model": "gpt-realtime",
    }
    assert stub.requests[1].json()["session"] == {"type": "transcription"}


def test_unknown_session_fields_are_kept(stub: HTTPStub) -> None:
    """A dict session is sent as given, fields unknown to the SDK included."""
    client_secrets.create(
        api_key=KEY,
        base_url=stub.url,
        session={"type": "transcription", "future_field": {"x": 1}},
    )
    assert stub.requests[0].json()["session"] == {
        "type": "transcription",
        "future_field": {"x": 1},
    }


def test_azure_api_key_path_and_header(stub: HTTPStub) -> None:
    """Azure posts to /openai/v1/realtime/client_secrets with api-key."""
    client_secrets.create(azure_endpoint=stub.url + "/", api_key=KEY)
    (seen,) = stub.requests
    assert seen.path == "/openai/v1/realtime/client_secrets"
    assert seen.headers["api-key"] == KEY
    assert "authorization" not in seen.headers


def test_azure_token_provider(stub: HTTPStub) -> None:
    """token_provider's Entra token is sent as a bearer token."""
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return "entra-SECRET-token"

    client_secrets.create(azure_endpoint=stub.url, token_provider=provider)
    (seen,) = stub.requests
    assert seen.headers["authorization"] == "Bearer entra-SECRET-token"
    assert "api-key" not in seen.headers
    assert calls == [1]


def test_azure_key_from_environment(
    stub: HTTPStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without key or provider, Azure uses AZURE_OPENAI_API_KEY."""
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    client_secrets.create(azure_endpoint=stub.url)
    assert stub.requests[0].headers["api-key"] == KEY


def test_beta_shaped_answer_is_understood(stub: HTTPStub) -> None:
    """A beta/Azure-preview answer nesting client_secret is accepted too."""
    stub.reply = Reply(
        body=json.dumps(
            {
                "id": "sess_1",
                "model": "gpt-4o-realtime-preview",
                "client_secret": {"value": EPHEMERAL, "expires_at": EXPIRES_AT},
            }
        ).encode()
    )
    secret = client_secrets.create(api_key=KEY, base_url=stub.url)
    assert secret.value == EPHEMERAL
    assert secret.session == {"id": "sess_1", "model": "gpt-4o-realtime-preview"}


# -- the ClientSecret -------------------------------------------------------------------


def test_client_secret_repr_hides_value_and_expires_in() -> None:
    """Repr and str never show the value; expires_in counts down."""
    secret = ClientSecret(value=EPHEMERAL, expires_at=1000, session={})
    assert EPHEMERAL not in repr(secret)
    assert EPHEMERAL not in str(secret)
    assert "expires_at=1000" in repr(secret)
    assert secret.expires_in(now=400.5) == 599.5
    assert ClientSecret(value="x", expires_at=int(time.time()) + 60).expires_in() > 50
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        secret.value = "other"  # type: ignore[misc]


# -- argument checks ----------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [9, 7201, 0, -5])
def test_expiry_out_of_range(seconds: int) -> None:
    """expires_after_seconds outside 10..7200 is a ValueError, nothing sent."""
    with pytest.raises(ValueError, match="between 10 and 7200"):
        client_secrets.create(api_key=KEY, expires_after_seconds=seconds)


@pytest.mark.parametrize("seconds", [10, 7200])
def test_expiry_bounds_accepted(stub: HTTPStub, seconds: int) -> None:
    """The bounds themselves are valid."""
    client_secrets.create(api_key=KEY, base_url=stub.url, expires_after_seconds=seconds)
    assert stub.requests[0].json()["expires_after"]["seconds"] == seconds


def test_expiry_type_checked() -> None:
    """A float or bool expiry is a TypeError."""
    for bad in (60.0, True):
        with pytest.raises(TypeError):
            client_secrets.create(api_key=KEY, expires_after_seconds=bad)  # type: ignore[arg-type]


def test_missing_key_is_a_clear_error() -> None:
    """No api_key and no OPENAI_API_KEY: ValueError naming both."""
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        client_secrets.create()
    with pytest.raises(ValueError, match="AZURE_OPENAI_API_KEY"):
        client_secrets.create(azure_endpoint="https://res.openai.azure.com")


@pytest.mark.parametrize(
    "url",
    ["http://example.com/v1", "http://10.0.0.1/v1", "http://[2001:db8::1]/v1"],
)
def test_plain_http_to_remote_host_refused(url: str) -> None:
    """http:// to a non-loopback host is refused unless allow_insecure=True."""
    with pytest.raises(ValueError, match="allow_insecure") as info:
        client_secrets.create(api_key=KEY, base_url=url)
    assert KEY not in str(info.value)


def test_plain_http_allowed_on_loopback_and_when_insecure(
    stub: HTTPStub,
) -> None:
    """Localhost is loopback; allow_insecure lifts the check."""
    client_secrets.create(api_key=KEY, base_url=f"http://localhost:{stub.port}/v1")
    assert len(stub.requests) == 1
    # allow_insecure lifts the check (checked without a request: no network)
    assert (
        client_secrets._check_url("http://example.com/v1", allow_insecure=True) is False
    )
    assert client_secrets._check_url("http://[::1]:9/v1", allow_insecure=False) is True
    with pytest.raises(ValueError, match="scheme"):
        client_secrets.create(api_key=KEY, base_url="ftp://example.com")


def test_bad_arguments() -> None:
    """Conflicting or wrong arguments fail before any request."""
    with pytest.raises(ValueError, match="not both"):
        client_secrets.create(
            api_key=KEY, base_url="https://x", azure_endpoint="https://y"
        )
    with pytest.raises(ValueError, match="Azure"):
        client_secrets.create(api_key=KEY, token_provider=lambda: "t")
    with pytest.raises(ValueError, match="timeout"):
        client_secrets.create(api_key=KEY, timeout=0)
    with pytest.raises(TypeError, match="session"):
        client_secrets.create(api_key=KEY, session=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="instructions"):
        client_secrets.create(api_key=KEY, session={"instructions": 3})
    with pytest.raises(TypeError, match="headers"):
        client_secrets.create(api_key=KEY, headers={"X": 1})  # type: ignore[dict-item]


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_raises_authentication_error(stub: HTTPStub, status: int) -> None:
    """401/403 become AuthenticationError with status, body and server message."""
    stub.reply = Reply(
        status=status,
        body=error_body(
            "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
        ),
    )
    with pytest.raises(rs.AuthenticationError) as info:
        client_secrets.create(api_key=KEY, base_url=stub.url)
    err = info.value
    assert err.status == status
    assert err.server_message == "Incorrect API key provided."
    assert err.body is not None and "invalid_api_key" in err.body
    assert f"HTTP {status}" in str(err)
    # the HTTPError holds the raw answer: it is neither cause nor context
    assert err.__cause__ is None
    assert err.__context__ is None


def test_other_status_raises_connect_error(stub: HTTPStub) -> None:
    """A 400 is a ConnectError (not an AuthenticationError) with the server message."""
    stub.reply = Reply(
        status=400,
        body=error_body(
            "Invalid value: 'nope'.", "invalid_request_error", "invalid_value"
        ),
    )
    with pytest.raises(rs.ConnectError) as info:
        client_secrets.create(api_key=KEY, base_url=stub.url)
    assert not isinstance(info.value, rs.AuthenticationError)
    assert info.value.status == 400
    assert info.value.server_message == "Invalid value: 'nope'."
    assert "Invalid value" in str(info.value)


def test_rate_limit_status(stub: HTTPStub) -> None:
    """429 is a RateLimitError with retry_after from Retry-After."""
    stub.reply = Reply(
        status=429,
        body=error_body("Rate limit reached.", "requests", "rate_limit_exceeded"),
        headers={"Retry-After": "7", "x-request-id": "req_42"},
    )
    with pytest.raises(rs.exceptions.RateLimitError) as info:
        client_secrets.create(api_key=KEY, base_url=stub.url)
    err = info.value
    assert isinstance(err, rs.ConnectError)
    assert not isinstance(err, rs.AuthenticationError)
    assert (err.status, err.retry_after, err.request_id) == (429, 7.0, "req_42")
    assert err.server_message == "Rate limit reached."
    assert "retry after 7 s" in str(err)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("1.5", 1.5),
    ],
)
def test_rate_limit_retry_after_forms(
    stub: HTTPStub, header: str | None, expected: float | None
) -> None:
    """Retry-After as seconds or an HTTP date; absent or garbage gives None."""
    stub.reply = Reply(
        status=429,
        body=b"{}",
        headers={"Retry-After": header} if header is not None else {},
    )
    with pytest.raises(rs.exceptions.RateLimitError) as info:
        client_secrets.create(api_key=KEY, base_url=stub.url)
    assert info.value.retry_after == expected
    assert info.value.request_id is None


def test_redirect_is_not_followed(stub: HTTPStub) -> None:
    """A 3xx is an error: following it would carry the key elsewhere."""
    stub.reply = Reply(status=307, headers={"Location": "http://127.0.0.2:1/steal"})
    with pytest.raises(rs.ConnectError) as info:
        client_secrets.create(api_key=KEY, base_url=stub.url)
    assert info.value.status == 307
    assert len(stub.requests) == 1


def test_echoed_key_is_redacted(stub: HTTPStub) -> None:
    """A server body echoing the key is redacted in body, message and str."""
    stub.reply = Reply(
        status=401,
        body=error_body(
            f"Incorrect API key provided: {KEY}.",
            "invalid_request_error",
            "invalid_api_key",
        ),
    )
    with pytest.raises(rs.AuthenticationError) as info:
        client_secrets.create(api_key=KEY, base_url=stub.url)
    err = info.value
    for text in (str(err), repr(err), err.body or "", err.server_message or ""):
        assert KEY not in text
    assert err.server_message == "Incorrect API key provided: ***."


def test_slow_server_times_out(stub: HTTPStub) -> None:
    """No answer within timeout raises realtime_sync.Timeout (a TimeoutError)."""
    stub.reply = Reply(delay=5.0, body=ok_body())
    started = time.monotonic()
    with pytest.raises(rs.Timeout) as info:
        client_secrets.create(api_key=KEY, base_url=stub.url, timeout=0.3)
    assert time.monotonic() - started < 3
    assert isinstance(info.value, TimeoutError)
    assert "0.3 s" in str(info.value)


def test_refused_port_raises_connect_error() -> None:
    """Nothing listening: ConnectError without a status."""
    with pytest.raises(rs.ConnectError) as info:
        client_secrets.create(
            api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}/v1"
        )
    assert info.value.status is None
    assert "Could not connect" in str(info.value)


def test_dropped_connection_raises_connect_error(stub: HTTPStub) -> None:
    """A server closing without an answer: ConnectError."""
    stub.reply = Reply(drop=True)
    with pytest.raises(rs.ConnectError):
        client_secrets.create(api_key=KEY, base_url=stub.url)


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Bad gateway</html>",
        b"[1, 2]",
        json.dumps({"expires_at": 1}).encode(),
        json.dumps({"value": EPHEMERAL}).encode(),
        json.dumps({"value": EPHEMERAL, "expires_at": "soon"}).encode(),
        json.dumps({"value": EPHEMERAL, "expires_at": 1, "session": []}).encode(),
    ],
)
def test_unexpected_answer_raises_protocol_error(stub: HTTPStub, body: bytes) -> None:
    """A 200 that is not the expected JSON is a ProtocolError; the value is redacted."""
    stub.reply = Reply(body=body, content_type="text/html")
    with pytest.raises(rs.ProtocolError) as info:
        client_secrets.create(api_key=KEY, base_url=stub.url)
    err = info.value
    assert isinstance(err.raw, str)
    for text in (str(err), repr(err), err.raw):
        assert EPHEMERAL not in text
        assert KEY not in text


# -- end to end -------------------------------------------------------------------------


def test_minted_secret_connects_a_realtime_client(stub: HTTPStub) -> None:
    """The minted value works as the api_key of a RealtimeClient."""
    secret = client_secrets.create(
        api_key=KEY, base_url=stub.url + "/v1", session={"model": "gpt-realtime"}
    )
    with MockRealtimeServer(require_api_key=secret.value) as server:
        with rs.RealtimeClient(url=server.url, api_key=secret.value) as client:
            reply = client.ask("Hello", timeout=10, output_modalities=["text"])
        assert reply.text == "You said: Hello"
        # and a real key is not what the mock wanted
        with pytest.raises(rs.AuthenticationError):
            rs.RealtimeClient(url=server.url, api_key=KEY).connect()
