"""Secrets never leak: not in logs, reprs, exceptions, tracebacks or recordings.

Every credential used here contains ``SECRET``, so a check for that word also catches
a key that leaked in part (truncated, or split by a formatter). Each scenario also
checks that the key was really sent (the server saw it), so the test can fail.
All traffic stays on 127.0.0.1; the DNS failure is simulated locally.
"""

from __future__ import annotations

import json
import logging
import socket
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import realtime_sync as rs
from realtime_sync import client_secrets
from realtime_sync.client import _endpoints
from realtime_sync.client_secrets import ClientSecret
from realtime_sync.testing import MockRealtimeServer
from tests.test_client_secrets import HTTPStub, Reply, error_body, free_port, ok_body

KEY = "sk-test-SECRET-0123456789abcdef"
EPHEMERAL = "ek_SECRET_68af0123456789abcdef"  # what HTTPStub's ok_body() mints
TOKEN = "eyJ-entra-SECRET-token-0123456789"
MARK = "SECRET"  # in every credential above, and nowhere else


class Capture(logging.Handler):
    """Keeps every record's formatted text (message, exc_text, stack) as emitted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Format now: the record's args could change later."""
        text = self.format(record)  # also fills record.exc_text
        self.texts.append(text + "\n" + (record.exc_text or ""))


@pytest.fixture
def logs() -> Iterator[Capture]:
    """Every record of every logger at DEBUG, from the root logger."""
    handler = Capture()
    root = logging.getLogger()
    names = ("realtime_sync", "websocket", "websockets", "urllib3")
    old = [root.level] + [logging.getLogger(n).level for n in names]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old[0])
    for name, level in zip(names, old[1:], strict=True):
        logging.getLogger(name).setLevel(level)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stub() -> Iterator[HTTPStub]:
    with HTTPStub() as s:
        yield s


def assert_clean(*texts: str) -> None:
    """No text contains a credential (or a part of one)."""
    for text in texts:
        for secret in (MARK, KEY, EPHEMERAL, TOKEN, KEY[-16:], TOKEN[-16:]):
            assert secret not in text, f"secret leaked in: {text[:2000]!r}"


def exception_texts(exc: BaseException) -> list[str]:
    """Texts of ``exc``: traceback, and str/repr/args/attributes along its chain."""
    texts = ["".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        texts += [str(e), repr(e), *(repr(a) for a in e.args)]
        for name in (
            "body",
            "server_message",
            "reason",
            "raw",
            "resp_body",
            "strerror",
        ):
            value = getattr(e, name, None)
            if value is not None:
                texts.append(repr(value))
        stack += [e.__cause__, e.__context__]
    return texts


def stub_ws_url(stub: HTTPStub) -> str:
    """The stub as a WebSocket URL."""
    return f"ws://127.0.0.1:{stub.port}/v1/realtime?model=gpt-realtime"


# -- a full session ------------------------------------------------------------------------


def test_full_session_leaks_nothing(logs: Capture, tmp_path: Path) -> None:
    """Connect, ask, audio, close with record=: key in no log, repr or recording."""
    path = tmp_path / "session.jsonl"
    with MockRealtimeServer(require_api_key=KEY) as server:
        client = rs.RealtimeClient(url=server.url, api_key=KEY, record=path)
        with client:
            reply = client.ask("Hello", timeout=10)
            client.append_audio(np.zeros(4800, np.float32), sample_rate=24000)
            client.commit_audio()
            handle = client.create_response()
            handle.wait(timeout=10)
            repr_open = repr(client)
        assert reply.status == "completed"  # the key was sent: the server let us in
        assert server.total_connections == 1
    recording = path.read_text(encoding="utf-8")
    assert "response.done" in recording  # the recording was written
    assert_clean(*logs.texts, repr(client), repr_open, str(client), recording)
    assert any("realtime_sync" in t for t in logs.texts)  # the capture works


def test_endpoint_reprs_hide_keys() -> None:
    """Endpoint reprs of every kind show neither key nor token."""
    endpoints = [
        _endpoints.openai_endpoint(model="gpt-realtime", api_key=KEY, dialect="ga"),
        _endpoints.url_endpoint(
            url="ws://127.0.0.1:1/v1/realtime", api_key=KEY, dialect="beta"
        ),
        _endpoints.azure_endpoint(
            endpoint="https://res.openai.azure.com",
            deployment="d",
            api_version=None,
            api_key=KEY,
            token=TOKEN,
        ),
    ]
    for endpoint in endpoints:
        assert_clean(repr(endpoint), str(endpoint))
        assert KEY in "".join(endpoint.headers.values())  # it is there, though


# -- handshake failures -------------------------------------------------------------------


def test_401_echoing_the_key(logs: Capture, stub: HTTPStub) -> None:
    """A 401 whose JSON body contains the key: redacted everywhere."""
    stub.reply = Reply(
        status=401,
        body=error_body(
            f"Incorrect API key provided: {KEY}. Bearer {KEY}",
            "invalid_request_error",
            "invalid_api_key",
        ),
    )
    client = rs.RealtimeClient(url=stub_ws_url(stub), api_key=KEY, connect_timeout=5)
    with pytest.raises(rs.AuthenticationError) as info:
        client.connect()
    assert stub.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert info.value.status == 401
    assert info.value.body is not None and "***" in info.value.body
    assert_clean(*logs.texts, *exception_texts(info.value), repr(client))


def test_connect_refused(logs: Capture) -> None:
    """A refused connection: no key in the error or the logs."""
    url = f"ws://127.0.0.1:{free_port()}/v1/realtime?model=gpt-realtime"
    client = rs.RealtimeClient(url=url, api_key=KEY, connect_timeout=5)
    with pytest.raises(rs.ConnectError) as info:
        client.connect()
    assert_clean(*logs.texts, *exception_texts(info.value), repr(client))


def test_dns_failure(logs: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unresolvable host (resolved locally, no resolver asked): nothing leaks."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def fake_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".invalid"):
            asked.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    client = rs.RealtimeClient(
        url="wss://nonexistent.invalid/v1/realtime?model=gpt-realtime",
        api_key=KEY,
        connect_timeout=5,
    )
    with pytest.raises(rs.ConnectError) as info:
        client.connect()
    assert asked == ["nonexistent.invalid"]
    assert_clean(*logs.texts, *exception_texts(info.value), repr(client))


def test_server_drops_during_handshake(logs: Capture, stub: HTTPStub) -> None:
    """A server closing the TCP connection instead of answering the upgrade."""
    stub.reply = Reply(drop=True)
    client = rs.RealtimeClient(url=stub_ws_url(stub), api_key=KEY, connect_timeout=5)
    with pytest.raises(rs.ConnectError) as info:
        client.connect()
    assert stub.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert_clean(*logs.texts, *exception_texts(info.value), repr(client))


def test_server_drops_mid_session(logs: Capture) -> None:
    """An abrupt drop after connecting: the ConnectionClosed chain is clean."""
    errors: list[rs.RealtimeError] = []
    with MockRealtimeServer(require_api_key=KEY) as server:
        client = rs.RealtimeClient(url=server.url, api_key=KEY)
        client.on_error(errors.append)
        try:
            client.connect()
            server.drop_all()
            with pytest.raises(rs.RealtimeError) as info:
                client.wait_for("response.done", timeout=10)
        finally:
            client.close()
    assert isinstance(info.value, rs.ConnectionClosed)
    texts = exception_texts(info.value)
    for error in errors:
        texts += exception_texts(error)
    assert_clean(*logs.texts, *texts, repr(client))


# -- Azure -------------------------------------------------------------------------------


def _azure_session(server: MockRealtimeServer, client: rs.RealtimeClient) -> None:
    with client:
        reply = client.ask("Hi Azure", timeout=10, output_modalities=["text"])
    assert reply.text == "You said: Hi Azure"  # the credential was accepted


def test_azure_api_key(logs: Capture) -> None:
    """Azure with api-key: accepted by the server, in no log or repr."""
    with MockRealtimeServer(require_api_key=KEY) as server:
        client = rs.RealtimeClient.azure(
            endpoint=f"http://127.0.0.1:{server.port}",
            deployment="gpt-realtime",
            api_key=KEY,
        )
        _azure_session(server, client)
    assert_clean(*logs.texts, repr(client))


def test_azure_token_provider(logs: Capture) -> None:
    """Azure with an Entra token provider: accepted, in no log or repr."""
    with MockRealtimeServer(require_api_key=TOKEN) as server:
        client = rs.RealtimeClient.azure(
            endpoint=f"http://127.0.0.1:{server.port}",
            deployment="gpt-realtime",
            token_provider=lambda: TOKEN,
        )
        _azure_session(server, client)
    assert_clean(*logs.texts, repr(client))


@pytest.mark.parametrize("kind", ["api_key", "token"])
def test_azure_401_echoing_the_credential(
    logs: Capture, stub: HTTPStub, kind: str
) -> None:
    """An Azure 401 echoing the api-key or the token: redacted."""
    secret = KEY if kind == "api_key" else TOKEN
    stub.reply = Reply(
        status=401,
        body=error_body(f"Access denied for {secret}", "invalid_request_error", "401"),
    )
    if kind == "api_key":
        client = rs.RealtimeClient.azure(
            endpoint=stub.url, deployment="d", api_key=KEY, connect_timeout=5
        )
    else:
        client = rs.RealtimeClient.azure(
            endpoint=stub.url,
            deployment="d",
            token_provider=lambda: TOKEN,
            connect_timeout=5,
        )
    with pytest.raises(rs.AuthenticationError) as info:
        client.connect()
    headers = stub.requests[0].headers
    assert (
        headers.get("api-key") == KEY
        if kind == "api_key"
        else headers.get("authorization") == f"Bearer {TOKEN}"
    )
    assert_clean(*logs.texts, *exception_texts(info.value), repr(client))


# -- client secrets ---------------------------------------------------------------------


def test_client_secret_success_leaks_nothing(logs: Capture, stub: HTTPStub) -> None:
    """Minting logs neither the key nor the minted value; repr hides the value."""
    secret = client_secrets.create(
        api_key=KEY, base_url=stub.url, expires_after_seconds=60
    )
    assert secret.value == EPHEMERAL
    assert stub.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert_clean(*logs.texts, repr(secret), str(secret))


def test_ephemeral_key_session_leaks_nothing(logs: Capture, stub: HTTPStub) -> None:
    """A session started with the minted value logs it nowhere."""
    secret = client_secrets.create(api_key=KEY, base_url=stub.url)
    with MockRealtimeServer(require_api_key=secret.value) as server:
        client = rs.RealtimeClient(url=server.url, api_key=secret.value)
        with client:
            client.ask("Hi", timeout=10, output_modalities=["text"])
    assert_clean(*logs.texts, repr(client), repr(secret))


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (
            Reply(
                status=401,
                body=error_body(
                    f"Incorrect API key provided: {KEY}", "x", "invalid_api_key"
                ),
            ),
            rs.AuthenticationError,
        ),
        (
            Reply(status=500, body=f"<html>upstream said Bearer {KEY}</html>".encode()),
            rs.ConnectError,
        ),
        (
            Reply(status=200, body=b'{"value": "' + EPHEMERAL.encode() + b'"}'),
            rs.ProtocolError,
        ),
        (Reply(status=200, body=ok_body()[:-5]), rs.ProtocolError),
        (Reply(drop=True), rs.ConnectError),
        (Reply(delay=5.0, body=ok_body()), rs.Timeout),
    ],
    ids=["401-echo", "500-echo", "no-expiry", "truncated", "dropped", "slow"],
)
def test_client_secret_errors_leak_nothing(
    logs: Capture, stub: HTTPStub, reply: Reply, error: type[Exception]
) -> None:
    """Every failure of create(): the key and the value appear nowhere."""
    stub.reply = reply
    with pytest.raises(error) as info:
        client_secrets.create(api_key=KEY, base_url=stub.url, timeout=0.5)
    assert stub.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert_clean(*logs.texts, *exception_texts(info.value))


def test_client_secret_refused_and_azure_token(logs: Capture, stub: HTTPStub) -> None:
    """Refused port (OpenAI) and an Azure 403 echoing the token: clean."""
    with pytest.raises(rs.ConnectError) as refused:
        client_secrets.create(api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}")
    stub.reply = Reply(
        status=403, body=json.dumps({"error": {"message": TOKEN}}).encode()
    )
    with pytest.raises(rs.AuthenticationError) as denied:
        client_secrets.create(azure_endpoint=stub.url, token_provider=lambda: TOKEN)
    assert stub.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert_clean(
        *logs.texts, *exception_texts(refused.value), *exception_texts(denied.value)
    )


def test_client_secret_repr() -> None:
    """ClientSecret's repr and str show the expiry, never the value."""
    secret = ClientSecret(value=EPHEMERAL, expires_at=1, session={"id": "sess_1"})
    assert "sess_1" in repr(secret)
    assert_clean(repr(secret), str(secret), repr([secret]), f"{secret}")


def test_capture_would_see_a_leak(logs: Capture) -> None:
    """Self-check: a key logged at DEBUG from any logger is caught."""
    logging.getLogger("websocket").debug("header: Authorization: Bearer %s", KEY)
    with pytest.raises(AssertionError):
        assert_clean(*logs.texts)


@pytest.fixture
def websocket_trace() -> Iterator[None]:
    """websocket-client's own trace on (what users turn on to debug a handshake)."""
    import websocket

    handler = logging.NullHandler()  # records still propagate to the root capture
    websocket.enableTrace(True, handler=handler)
    yield
    websocket.enableTrace(False)
    logging.getLogger("websocket").removeHandler(handler)


def test_websocket_trace_does_not_leak_the_key(
    logs: Capture, websocket_trace: None
) -> None:
    """With websocket.enableTrace(True), the handshake dump hides the key."""
    with MockRealtimeServer(require_api_key=KEY) as server:
        client = rs.RealtimeClient(url=server.url, api_key=KEY)
        with client:
            client.ask("Hi", timeout=10, output_modalities=["text"])
    assert any("request header" in t for t in logs.texts)  # the trace was on
    assert_clean(*logs.texts)


def test_key_in_url_query(logs: Capture) -> None:
    """A key passed in the URL query (?api-key=, as Azure accepts) leaks nowhere."""
    errors: list[BaseException] = []
    with MockRealtimeServer(require_api_key=KEY) as server:
        client = rs.RealtimeClient(url=f"{server.url}&api-key={KEY}")
        with client:
            client.ask("Hi", timeout=10, output_modalities=["text"])
        repr_client = repr(client)
    refused = rs.RealtimeClient(
        url=f"ws://127.0.0.1:{free_port()}/v1/realtime?api-key={KEY}", connect_timeout=5
    )
    try:
        refused.connect()
    except rs.ConnectError as exc:
        errors.append(exc)
    assert len(errors) == 1
    assert_clean(*logs.texts, repr_client, *exception_texts(errors[0]))


def test_credential_in_extra_headers_is_redacted(logs: Capture, stub: HTTPStub) -> None:
    """A key passed only in headers= (no api_key) is redacted from an echoing 401."""
    stub.reply = Reply(
        status=401, body=error_body(f"bad key {KEY} (Bearer)", "x", "invalid_api_key")
    )
    with pytest.raises(rs.AuthenticationError) as info:
        client_secrets.create(
            api_key="sk-other-key-1",
            base_url=stub.url,
            headers={"Authorization": f"Bearer {KEY}"},
        )
    assert stub.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert info.value.server_message == "bad key *** (Bearer)"
    assert_clean(*logs.texts, *exception_texts(info.value))
