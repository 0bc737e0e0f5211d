"""examples/flask_app: the routes, the session registry, and the page in real Chromium."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

pytest.importorskip("flask", reason="the Flask example needs the 'examples' extra")

import realtime_sync as rs
from realtime_sync.testing import MockRealtimeServer, speech_like

ROOT = Path(__file__).resolve().parents[2]
APP_PATH = ROOT / "examples" / "flask_app" / "app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _load_app_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("flask_chat_example", APP_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def chat() -> ModuleType:
    return _load_app_module()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(chat: ModuleType, clock: FakeClock) -> Iterator[Any]:
    app = chat.create_app(
        {
            "TESTING": True,
            "REALTIME_BACKEND": "mock",
            "MOCK_DELTA_INTERVAL": 0.0,
            "JANITOR_INTERVAL": None,
            "IDLE_TIMEOUT": 60.0,
            "SSE_KEEPALIVE": 0.5,
            "CLOCK": clock,
        }
    )
    yield app
    chat.shutdown_app(app)


class SSEReader:
    """Parses a streamed ``text/event-stream`` body of the Flask test client."""

    def __init__(self, response: Any) -> None:
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/event-stream"
        self.response = response
        self._chunks = iter(response.response)
        self._buffer = ""

    def next(self, timeout: float = 10.0) -> tuple[str, dict[str, Any]] | None:
        """The next event (keep-alive comments skipped), or None at the stream's end."""
        deadline = time.monotonic() + timeout
        while True:
            while "\n\n" in self._buffer:
                block, self._buffer = self._buffer.split("\n\n", 1)
                fields = dict(
                    line.split(": ", 1)
                    for line in block.splitlines()
                    if not line.startswith(":")
                )
                if fields:
                    return fields["event"], json.loads(fields["data"])
            # Each chunk comes within SSE_KEEPALIVE (a keep-alive comment at worst).
            assert time.monotonic() < deadline, f"no event within {timeout} s"
            try:
                chunk = next(self._chunks)
            except StopIteration:
                return None
            self._buffer += chunk.decode() if isinstance(chunk, bytes) else chunk

    def until(
        self, kind: str, timeout: float = 10.0
    ) -> list[tuple[str, dict[str, Any]]]:
        """Events up to and including the first of ``kind``."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(0.0, deadline - time.monotonic()))
            assert event is not None, f"stream ended before {kind!r}: {seen}"
            seen.append(event)
            if event[0] == kind:
                return seen

    def close(self) -> None:
        self.response.close()


def _open_events(client: Any) -> SSEReader:
    reader = SSEReader(client.get("/api/events", buffered=False))
    kind, data = reader.next()
    assert (kind, data) == ("ready", {"backend": "mock"})
    return reader


def _answer(events: list[tuple[str, dict[str, Any]]]) -> str:
    return "".join(d["text"] for kind, d in events if kind == "delta")


def test_index_renders_the_chat_page(app: Any) -> None:
    """GET / renders the page with its form, the backend badge and a session cookie."""
    client = app.test_client()

    response = client.get("/")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<form id="composer"' in page and 'id="message"' in page
    assert '<span id="backend" class="badge">mock</span>' in page
    assert "/static/app.js" in page
    assert client.get_cookie("session") is not None
    with client.get("/static/pcm-capture.js") as worklet:
        assert worklet.status_code == 200
        assert b'registerProcessor("pcm-capture"' in worklet.data


@pytest.mark.parametrize(("key", "backend"), [(None, "mock"), ("sk-test", "openai")])
def test_backend_follows_openai_api_key(
    chat: ModuleType, monkeypatch: pytest.MonkeyPatch, key: str | None, backend: str
) -> None:
    """Without REALTIME_BACKEND, OPENAI_API_KEY picks OpenAI, else the mock starts."""
    if key is None:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    else:
        monkeypatch.setenv("OPENAI_API_KEY", key)
    app = chat.create_app({"JANITOR_INTERVAL": None})
    try:
        state = app.extensions[chat.EXTENSION]
        page = app.test_client().get("/").get_data(as_text=True)

        assert state.backend == backend
        assert (state.mock is not None) == (backend == "mock")
        assert f'class="badge">{backend}</span>' in page
    finally:
        chat.shutdown_app(app)


def test_posted_message_streams_the_answer_over_sse(app: Any) -> None:
    """POST /api/message answers 202 and the answer streams over /api/events."""
    client = app.test_client()
    client.get("/")
    events = _open_events(client)

    posted = client.post("/api/message", json={"text": "hello"})
    seen = events.until("done")
    events.close()

    assert posted.status_code == 202
    kinds = [kind for kind, _ in seen]
    assert kinds[0] == "created" and kinds.count("delta") >= 2
    assert _answer(seen) == "You said: hello"
    assert seen[-1][1]["status"] == "completed"
    assert "audio" not in kinds  # a text answer


def test_spoken_answer_streams_transcript_and_audio(app: Any) -> None:
    """With speak=true the stream carries the transcript and pcm16 audio deltas."""
    client = app.test_client()
    events = _open_events(client)

    client.post("/api/message", json={"text": "hi there", "speak": True})
    seen = events.until("done")
    events.close()

    audio = b"".join(base64.b64decode(d["pcm16"]) for k, d in seen if k == "audio")
    samples = np.frombuffer(audio, dtype="<i2")
    assert _answer(seen) == "You said: hi there"
    assert len(samples) > 24000 // 10  # more than 100 ms at 24 kHz
    assert np.abs(samples).max() > 1000  # speech-like, not silence


def test_microphone_chunks_get_a_voice_turn(app: Any) -> None:
    """PCM16 chunks at 48 kHz are resampled, the mock's VAD ends the turn and answers."""
    client = app.test_client()
    events = _open_events(client)
    voice = np.concatenate(
        [speech_like(1000, 48000), np.zeros(48000 * 6 // 10, np.int16)]
    )
    chunk = 4800  # 100 ms, as the page sends them

    statuses = [
        client.post(
            "/api/audio?rate=48000",
            data=voice[i : i + chunk].astype("<i2").tobytes(),
            content_type="application/octet-stream",
        ).status_code
        for i in range(0, len(voice), chunk)
    ]
    stopped = client.post("/api/audio/stop")
    seen = events.until("done")
    events.close()

    kinds = [kind for kind, _ in seen]
    assert set(statuses) == {204} and stopped.status_code == 204
    assert kinds[0] == "speech"
    user = [d["text"] for k, d in seen if k == "user"]
    assert len(user) == 1 and re.fullmatch(r"\[speech \d\.\d\d s\]", user[0])
    assert re.fullmatch(r"I heard \d+ ms of audio\.", _answer(seen))
    assert "audio" in kinds  # voice turns are answered aloud


def test_bad_requests_are_refused(app: Any) -> None:
    """Missing text, a missing rate and odd-length PCM give 400 with a reason."""
    client = app.test_client()

    no_text = client.post("/api/message", json={"text": "  "})
    no_rate = client.post("/api/audio", data=b"\0\0")
    odd = client.post("/api/audio?rate=16000", data=b"\0\0\0")

    assert no_text.status_code == 400 and "text" in no_text.get_json()["error"]
    assert no_rate.status_code == 400 and "rate" in no_rate.get_json()["error"]
    assert odd.status_code == 400 and "even" in odd.get_json()["error"]


def test_registry_keeps_one_client_per_session_and_closes_idle_ones(
    chat: ModuleType, clock: FakeClock
) -> None:
    """get() reuses a session's client; reap() closes those idle for idle_timeout."""
    with MockRealtimeServer() as server:
        registry = chat.ClientRegistry(
            lambda: rs.RealtimeClient(url=server.url), idle_timeout=5.0, clock=clock
        )
        try:
            a = registry.get("a")
            assert registry.get("a") is a
            b = registry.get("b")
            assert server.total_connections == 2
            clock.advance(4.0)
            assert registry.get("b") is b  # touched at t=4
            clock.advance(1.0)  # a idle 5 s, b idle 1 s

            reaped = registry.reap()

            assert reaped == ["a"]
            assert a.closed.is_set() and a.client.state is rs.ClientState.CLOSED
            assert b.client.is_connected and registry.sids() == ["b"]
            again = registry.get("a")
            assert again is not a and again.client.is_connected
            assert server.total_connections == 3
        finally:
            registry.close()
        assert b.closed.is_set() and again.closed.is_set()
        assert registry.sids() == []
        with pytest.raises(RuntimeError, match="registry is closed"):
            registry.get("c")


def test_idle_session_is_closed_on_the_next_request(
    app: Any, chat: ModuleType, clock: FakeClock
) -> None:
    """A request reaps idle sessions: their stream gets 'closed' and ends."""
    idle, other = app.test_client(), app.test_client()
    events = _open_events(idle)
    state = app.extensions[chat.EXTENSION]
    assert len(state.registry.sids()) == 1

    clock.advance(61.0)
    other.get("/")

    assert events.next() == ("closed", {"reason": "idle"})
    assert events.next() is None
    assert state.registry.sids() == []
    # The next message of that browser starts a new session.
    assert idle.post("/api/message", json={"text": "back"}).status_code == 202
    assert len(state.registry.sids()) == 1


def test_janitor_thread_reaps_idle_sessions_and_stops(
    chat: ModuleType, clock: FakeClock
) -> None:
    """The flask-chat-janitor thread closes idle sessions and is joined by stop()."""
    with MockRealtimeServer() as server:
        registry = chat.ClientRegistry(
            lambda: rs.RealtimeClient(url=server.url), idle_timeout=5.0, clock=clock
        )
        session = registry.get("a")
        janitor = chat.Janitor(registry, interval=0.01)
        janitor.start()
        try:
            clock.advance(5.0)
            assert session.closed.wait(5.0)
        finally:
            janitor.stop()
            registry.close()
    assert registry.sids() == []
    assert "flask-chat-janitor" not in [t.name for t in threading.enumerate()]


def test_shutdown_closes_every_client_and_the_mock(
    chat: ModuleType, clock: FakeClock
) -> None:
    """shutdown_app ends every stream with 'closed' and stops the mock server."""
    app = chat.create_app(
        {"REALTIME_BACKEND": "mock", "SSE_KEEPALIVE": 0.5, "CLOCK": clock}
    )
    state = app.extensions[chat.EXTENSION]
    readers = [_open_events(app.test_client()) for _ in range(2)]
    sessions = [state.registry.get(sid) for sid in state.registry.sids()]
    assert len(sessions) == 2 and state.janitor is not None

    chat.shutdown_app(app)
    chat.shutdown_app(app)  # idempotent

    for reader in readers:
        assert reader.next() == ("closed", {"reason": "shutdown"})
        assert reader.next() is None
    assert all(s.client.state is rs.ClientState.CLOSED for s in sessions)
    assert "flask-chat-janitor" not in [t.name for t in threading.enumerate()]
    with pytest.raises(rs.ConnectError):
        rs.RealtimeClient(url=state.mock.url, connect_timeout=2.0).connect()


# -- surviving the Realtime server going away ---------------------------------------------


def test_session_survives_a_server_restart(app: Any, chat: ModuleType) -> None:
    """The ReconnectPolicy carries a browser session over a restart of the server.

    A message sent while the server is down is held and answered afterwards, on the
    same event stream, and the new session knows the conversation so far.
    """
    state = app.extensions[chat.EXTENSION]
    client = app.test_client()
    events = _open_events(client)
    assert client.post("/api/message", json={"text": "before"}).status_code == 202
    assert _answer(events.until("done")) == "You said: before"
    port = state.mock.port

    state.mock.stop()  # the service goes away: every connection gets 1001
    assert events.until("status")[-1][1]["state"] == "reconnecting"
    during = client.post("/api/message", json={"text": "during the outage"})
    server = MockRealtimeServer(port=port, delta_interval=0.0).start()
    state.mock = server  # stopped by shutdown_app
    seen = events.until("done")
    after = client.post("/api/message", json={"text": "after"})
    answered = events.until("done")
    events.close()

    assert during.status_code == 202 and after.status_code == 202
    assert ("status", {"state": "connected", "restored_items": 2}) in seen
    assert _answer(seen) == "You said: during the outage"
    assert _answer(answered) == "You said: after"
    assert len(state.registry.sids()) == 1  # the same browser session throughout
    restored = [
        part.text
        for event in server.received
        if isinstance(event, rs.events.ConversationItemCreate)
        for part in event.item.content
    ]
    assert restored[:2] == ["before", "You said: before"]


@pytest.mark.parametrize(
    "policy",
    [rs.ReconnectPolicy(max_attempts=1, initial_delay=0.0), None],
    ids=["policy gave up", "no policy"],
)
def test_next_request_reopens_a_session_the_server_ended(
    chat: ModuleType, clock: FakeClock, policy: rs.ReconnectPolicy | None
) -> None:
    """When reconnecting gave up (or is off), the browser's next request reopens."""
    app = chat.create_app(
        {
            "REALTIME_BACKEND": "mock",
            "MOCK_DELTA_INTERVAL": 0.0,
            "JANITOR_INTERVAL": None,
            "SSE_KEEPALIVE": 0.5,
            "CLOCK": clock,
            "RECONNECT": policy,
        }
    )
    try:
        state = app.extensions[chat.EXTENSION]
        client = app.test_client()
        old = _open_events(client)
        port = state.mock.port

        state.mock.stop()
        assert old.until("failure")  # the lost connection, reported to the page
        state.mock = MockRealtimeServer(port=port, delta_interval=0.0).start()
        # What the page does after a failure: open the stream, then post.
        new = _open_events(client)
        posted = client.post("/api/message", json={"text": "hello again"})
        answer = _answer(new.until("done"))
        new.close()

        assert old.until("closed")[-1] == ("closed", {"reason": "disconnected"})
        assert posted.status_code == 202
        assert answer == "You said: hello again"
        assert state.mock.total_connections == 1
    finally:
        chat.shutdown_app(app)


def _guide_example() -> str:
    """The first Python block of docs/flask.rst ("One request, one answer")."""
    text = (ROOT / "docs" / "flask.rst").read_text(encoding="utf-8")
    after = text[text.index("One request, one answer") :]
    lines = after[after.index(".. code-block:: python") :].splitlines()[2:]
    body = []
    for line in lines:
        if line and not line.startswith("   "):
            break
        body.append(line[3:])
    return "\n".join(body)


def test_flask_guide_client_survives_a_server_restart() -> None:
    """The guide's app answers after its server restarts, and reopens a dead client."""
    code = _guide_example()
    assert 'model="gpt-realtime",' in code
    first = MockRealtimeServer().start()
    namespace: dict[str, Any] = {"__name__": "flask_guide"}
    code = code.replace('model="gpt-realtime",', f"url={first.url!r},")
    exec(compile(code, "docs/flask.rst", "exec"), namespace)
    web, assistant = namespace["app"].test_client(), namespace["assistant"]
    second = None
    try:
        one = web.post("/ask", json={"text": "one"})
        client = assistant.client

        first.stop()  # every connection gets 1001, as when a session expires
        second = MockRealtimeServer(port=first.port).start()
        two = web.post("/ask", json={"text": "two"})
        client.close()  # as if its policy had given up
        three = web.post("/ask", json={"text": "three"})

        assert one.get_json()["text"] == "You said: one"
        assert two.status_code == 200, two.get_json()
        assert two.get_json()["text"] == "You said: two"
        assert assistant.client is not client  # reopened on demand
        assert three.get_json()["text"] == "You said: three"
        assert second.total_connections == 2
    finally:
        assistant.close()
        first.stop()
        if second is not None:
            second.stop()


# -- the page in a real browser ---------------------------------------------------------


@pytest.fixture
def live_url(chat: ModuleType) -> Iterator[str]:
    """The app on a real werkzeug server on 127.0.0.1, in a thread."""
    from werkzeug.serving import make_server

    app = chat.create_app(
        {"REALTIME_BACKEND": "mock", "MOCK_DELTA_INTERVAL": 0.02, "SSE_KEEPALIVE": 1.0}
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, name="flask-test-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        chat.shutdown_app(app)  # ends the event streams first
        server.shutdown()
        server.server_close()
        thread.join(10.0)
        assert not thread.is_alive()


def _chromium() -> Any:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing (pip install playwright)"
    )
    return sync_api.sync_playwright()


def test_page_in_chromium_streams_the_typed_answer(live_url: str) -> None:
    """Headless Chromium: type a message, click Send, read the streamed answer."""
    with _chromium() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(live_url)
            page.wait_for_selector("#message:enabled", timeout=15000)
            page.fill("#message", "hello from Chromium")
            page.click("#send")
            answer = page.locator('.msg.assistant[data-status="completed"]')
            answer.wait_for(timeout=15000)
            text = answer.inner_text()
            user = page.locator(".msg.user").inner_text()
            status = page.inner_text("#status")
        finally:
            browser.close()
    print(f"browser read back: user={user!r} assistant={text!r} status={status!r}")
    assert user == "hello from Chromium"
    assert text == "You said: hello from Chromium"
    assert status == "connected (mock)"


def test_page_in_chromium_streams_the_microphone(live_url: str, tmp_path: Path) -> None:
    """Headless Chromium with a fake microphone: speak, get a transcript and an answer."""
    wav = tmp_path / "speech.wav"
    voice = np.concatenate(
        [np.zeros(4800, np.int16), speech_like(1200, 48000), np.zeros(96000, np.int16)]
    )
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(voice.astype("<i2").tobytes())
    with _chromium() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}%noloop",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        try:
            page = browser.new_page()
            page.goto(live_url)
            page.wait_for_selector("#mic:enabled", timeout=15000)
            page.click("#mic")
            answer = page.locator('.msg.assistant[data-status="completed"]').first
            answer.wait_for(timeout=20000)
            text = answer.inner_text()
            heard = page.locator(".msg.user").first.inner_text()
            page.click("#mic")  # stop
        finally:
            browser.close()
    print(f"browser read back: user={heard!r} assistant={text!r}")
    assert re.fullmatch(r"🎤 \[speech \d\.\d\d s\]", heard)
    assert re.fullmatch(r"I heard \d+ ms of audio\.", text)
