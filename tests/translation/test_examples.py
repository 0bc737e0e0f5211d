"""The translation examples run offline against the mock and do what they say.

``examples/translate_file.py`` runs as a user runs it (a subprocess without
``OPENAI_API_KEY``) and in-process; ``examples/flask_captions.py`` is driven through
Flask's test client and, like the chat page, in headless Chromium.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import realtime_sync as rs
from tests.examples.test_scripts import EXAMPLES, run

pytestmark = pytest.mark.timeout(60)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def _load(script: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"example_{Path(script).stem}", EXAMPLES / script
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_translate_file_as_a_script(tmp_path: Path) -> None:
    out = run("translate_file.py", "-o", "es.wav", "--to", "es", cwd=tmp_path)
    assert (
        "translation: [es] Where is the train station? [es] Thank you very much." in out
    )
    assert "source:      Where is the train station? Thank you very much." in out
    samples, rate = rs.audio.read_wav(tmp_path / "es.wav")
    assert rate == 24000 and samples.dtype == np.int16
    assert int(np.abs(samples).max()) > 1000  # speech, not silence


def test_translate_file_in_process_with_a_stereo_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    from realtime_sync.testing import synth_speech

    mono = np.frombuffer(synth_speech("Hello.", trail_ms=400), dtype="<i2")
    source = tmp_path / "in.wav"
    rs.audio.write_wav(source, np.stack([mono, mono], axis=1), 24000)
    module = _load("translate_file.py")
    assert module.main([str(source), "-o", str(tmp_path / "o.wav"), "--to", "de"]) == 0
    assert "translation: [de] Hello." in capsys.readouterr().out


# -- flask_captions -------------------------------------------------------------------


@pytest.fixture
def captions() -> Iterator[ModuleType]:
    pytest.importorskip("flask", reason="the Flask example needs the 'examples' extra")
    yield _load("flask_captions.py")


def _events(text: str) -> list[dict[str, Any]]:
    return [
        json.loads(line[len("data: ") :])
        for line in text.splitlines()
        if line.startswith("data: ")
    ]


def test_captions_routes(captions: ModuleType) -> None:
    app = captions.create_app({"CAPTIONS_BACKEND": "mock", "CAPTIONS_PACE": 8.0})
    try:
        web = app.test_client()
        assert b"Live captions" in web.get("/").data
        assert web.post("/start", json={"language": "xx"}).status_code == 400
        started = web.post("/start", json={"language": "es"}).get_json()
        stream = web.get(f"/events/{started['session']}")
        assert stream.mimetype == "text/event-stream"
        events = _events(stream.get_data(as_text=True))
        assert web.get("/events/999").status_code == 404
    finally:
        captions.shutdown_app(app)
    assert events[-1]["kind"] == "end"
    target = "".join(e["text"] for e in events if e["kind"] == "target")
    source = "".join(e["text"] for e in events if e["kind"] == "source")
    assert source == "Good evening, and welcome to the news. Tonight, the weather."
    assert target == (
        "[es] Good evening, and welcome to the news. [es] Tonight, the weather."
    )
    # Streamed: the first source fragment came before the last translated one.
    kinds = [e["kind"] for e in events]
    assert kinds.index("source") < len(kinds) - 1 - kinds[::-1].index("target")


@pytest.fixture
def live_url(captions: ModuleType) -> Iterator[str]:
    from werkzeug.serving import make_server

    app = captions.create_app(
        {"CAPTIONS_BACKEND": "mock", "CAPTIONS_PACE": 4.0, "SSE_KEEPALIVE": 1.0}
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, name="flask-test-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        captions.shutdown_app(app)
        server.shutdown()
        server.server_close()
        thread.join(10.0)
        assert not thread.is_alive()


def test_captions_page_in_chromium(live_url: str) -> None:
    """Headless Chromium: pick a language, Start, read both transcripts as they end."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing"
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(live_url)
            page.select_option("#language", "de")
            page.click("#start")
            # While streaming, the translation grows before the end.
            page.wait_for_selector("#status[data-state=streaming]", timeout=15000)
            page.wait_for_function(
                "document.getElementById('target').textContent.length > 0",
                timeout=15000,
            )
            partial = page.inner_text("#target")
            page.wait_for_selector("#status[data-state=done]", timeout=30000)
            source = page.inner_text("#source")
            target = page.inner_text("#target")
        finally:
            browser.close()
    print(f"browser read: source={source!r} target={target!r} partial={partial!r}")
    assert source == "Good evening, and welcome to the news. Tonight, the weather."
    assert (
        target
        == "[de] Good evening, and welcome to the news. [de] Tonight, the weather."
    )
    assert target.startswith(partial)
