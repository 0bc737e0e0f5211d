"""Live captions with Flask: a speech stream translated as it plays, both transcripts.

    pip install flask
    python examples/flask_captions.py [--wav talk.wav]     # then open http://127.0.0.1:5000

A broadcast or a phone call arrives on the server as audio; the server streams it to
the Realtime Translation API with :class:`realtime_sync.TranslationClient` (its
input pump keeps the 200 ms appends flowing at real-time pace) and the page shows
the source transcript and its translation as they stream, over Server-Sent Events:
no JavaScript library, no WebSocket in the browser, no key on the page.

Pick a language and press Start: the server "plays" the source (``--wav``, or two
generated sentences) into a new translation session. Against OpenAI when
OPENAI_API_KEY is set, else against the embedded mock server, which translates the
generated sentences as ``[fr] <sentence>``.

Threads: Flask's request threads, one ``captions-feeder`` thread per session (it
appends the audio and calls ``finish()``), and the client's own. ``shutdown_app``
closes everything (the test suite calls it).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from flask import Flask, Response, jsonify, request

import realtime_sync as rs
from realtime_sync.translation import events as tev

SENTENCES = ("Good evening, and welcome to the news.", "Tonight, the weather.")
LANGUAGES = ("fr", "es", "de", "it", "ja", "pt-BR")


class Session:
    """One captioned stream: its caption events, in order, for any number of pages."""

    def __init__(self, number: int, language: str) -> None:
        self.number = number
        self.language = language
        self.events: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        self.client: rs.TranslationClient | None = None
        self.feeder: threading.Thread | None = None

    def push(self, kind: str, text: str = "") -> None:
        with self.cond:
            self.events.append({"kind": kind, "text": text})
            self.cond.notify_all()

    def stream(self, keepalive: float) -> Iterator[str]:
        """Server-Sent Events from the first caption; ends after ``end`` or ``error``."""
        sent = 0
        while True:
            with self.cond:
                if sent == len(self.events):
                    self.cond.wait(keepalive)
                new = self.events[sent:]
            if not new:
                yield ": keepalive\n\n"
                continue
            for event in new:
                sent += 1
                yield f"data: {json.dumps(event)}\n\n"
                if event["kind"] in ("end", "error"):
                    return


class Captioner:
    """The app's captioning: one session at a time, the mock server when needed."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._server: Any = None
        self.sessions: dict[int, Session] = {}
        self.backend = (
            "openai"
            if config["CAPTIONS_BACKEND"] == "openai"
            or (
                config["CAPTIONS_BACKEND"] == "auto"
                and os.environ.get("OPENAI_API_KEY")
            )
            else "mock"
        )

    def _client(self, language: str) -> rs.TranslationClient:
        settings: dict[str, Any] = {
            "target_language": language,
            "input_transcription": True,
            "pace": self._config["CAPTIONS_PACE"],
        }
        if self.backend == "openai":
            return rs.TranslationClient(**settings)
        if self._server is None:
            from realtime_sync.testing import MockRealtimeServer

            self._server = MockRealtimeServer(api="translation").start()
        return rs.TranslationClient(url=self._server.url, **settings)

    def start(self, language: str) -> Session:
        session = Session(next(self._numbers), language)
        client = self._client(language)
        client.on(tev.InputTranscriptDelta, lambda e: session.push("source", e.delta))
        client.on(tev.OutputTranscriptDelta, lambda e: session.push("target", e.delta))
        client.on_error(lambda exc: session.push("error", str(exc)))
        session.client = client
        with self._lock:
            self.sessions[session.number] = session
        client.connect()
        session.feeder = threading.Thread(
            target=self._feed, args=(session,), name="captions-feeder", daemon=True
        )
        session.feeder.start()
        return session

    def _feed(self, session: Session) -> None:
        client = session.client
        assert client is not None
        try:
            samples, rate = _source_audio(self._config["CAPTIONS_AUDIO"])
            client.append_audio(samples, sample_rate=rate)
            client.finish(timeout=self._config["CAPTIONS_TIMEOUT"])
            session.push("end")
        except rs.RealtimeError as exc:
            session.push("error", str(exc))
        finally:
            client.close()

    def close(self) -> None:
        with self._lock:
            sessions = list(self.sessions.values())
        for session in sessions:
            if session.client is not None:
                session.client.close()
            if session.feeder is not None:
                session.feeder.join(10.0)
            session.push("end")  # streams still open end now
        if self._server is not None:
            self._server.stop()


def _source_audio(path: str | None) -> tuple[Any, int]:
    """The stream to caption: a WAV file, or generated sentences (24 kHz)."""
    import numpy as np

    if path:
        samples, rate = rs.audio.read_wav(path)
        return (samples.mean(axis=1) if samples.ndim == 2 else samples), rate
    from realtime_sync.testing import synth_speech

    pcm = b"".join(synth_speech(s, lead_ms=300, trail_ms=500) for s in SENTENCES)
    return np.frombuffer(pcm, dtype="<i2"), 24000


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask app (``config`` overrides the ``CAPTIONS_*`` defaults)."""
    app = Flask(__name__)
    app.config.update(
        CAPTIONS_BACKEND="auto",  # "openai", "mock" or "auto" (OPENAI_API_KEY decides)
        CAPTIONS_AUDIO=None,  # a WAV file to caption; None: generated sentences
        CAPTIONS_PACE=1.0,  # 1.0 for the service; faster against the mock is fine
        CAPTIONS_TIMEOUT=120.0,
        SSE_KEEPALIVE=15.0,
    )
    app.config.update(config or {})
    captioner = Captioner(app.config)
    app.extensions["captioner"] = captioner

    @app.get("/")
    def page() -> str:
        options = "".join(f'<option value="{c}">{c}</option>' for c in LANGUAGES)
        return PAGE.replace("{{options}}", options).replace(
            "{{backend}}", captioner.backend
        )

    @app.post("/start")
    def start() -> Any:
        body = request.get_json(silent=True) or {}
        language = body.get("language", "fr")
        if language not in LANGUAGES:
            return jsonify(error=f"unknown language {language!r}"), 400
        try:
            session = captioner.start(language)
        except rs.RealtimeError as exc:
            return jsonify(error=str(exc)), 502
        return jsonify(session=session.number, language=language)

    @app.get("/events/<int:number>")
    def events(number: int) -> Any:
        session = captioner.sessions.get(number)
        if session is None:
            return jsonify(error="no such session"), 404
        keepalive = float(app.config["SSE_KEEPALIVE"])
        return Response(
            session.stream(keepalive),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return app


def shutdown_app(app: Flask) -> None:
    """Close every session (and the mock server) of ``app``."""
    app.extensions["captioner"].close()


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Live captions</title>
<style>
 body { font: 16px system-ui, sans-serif; margin: 2em; max-width: 50em; }
 .pane { border: 1px solid #ccc; border-radius: 6px; padding: 1em; min-height: 4em;
         margin: .5em 0 1.5em; white-space: pre-wrap; }
 #target { font-size: 1.3em; background: #f6f8ff; }
</style></head>
<body>
<h1>Live captions</h1>
<p><label>Translate into <select id="language">{{options}}</select></label>
<button id="start">Start</button>
<span id="status" data-state="idle">idle ({{backend}})</span></p>
<h2>Source</h2><div id="source" class="pane"></div>
<h2>Translation</h2><div id="target" class="pane"></div>
<script>
const $ = (id) => document.getElementById(id);
function setStatus(state, text) { $("status").dataset.state = state; $("status").textContent = text; }
$("start").addEventListener("click", async () => {
  $("start").disabled = true;
  $("source").textContent = ""; $("target").textContent = "";
  setStatus("starting", "starting...");
  const answer = await fetch("/start", {method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({language: $("language").value})});
  const body = await answer.json();
  if (!answer.ok) { setStatus("error", body.error); $("start").disabled = false; return; }
  setStatus("streaming", "streaming (" + body.language + ")");
  const events = new EventSource("/events/" + body.session);
  events.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.kind === "source" || event.kind === "target") {
      $(event.kind).textContent += event.text;   // fragments join as received
    } else {
      events.close();
      $("start").disabled = false;
      setStatus(event.kind === "end" ? "done" : "error", event.kind === "end" ? "done" : event.text);
    }
  };
});
</script>
</body></html>
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wav", help="the speech to caption (default: generated)")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    app = create_app({"CAPTIONS_AUDIO": args.wav})
    try:
        app.run(port=args.port, threaded=True)
    finally:
        shutdown_app(app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
