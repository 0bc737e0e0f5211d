"""``realtime-sync live`` and the Live examples, offline against the embedded mock."""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import realtime_sync as rs
from realtime_sync.cli import main
from realtime_sync.testing import synth_speech

pytest.importorskip("websockets", reason="the mock server needs the 'mock' extra")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
_LIVE_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY")


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _LIVE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LIVE_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH")) if p
    )
    return env


def run(script: str, *args: str, cwd: Path) -> str:
    """Run ``examples/<script>`` as a user would, offline; return its stdout."""
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=cwd,
        env=_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"{script}: {proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def _load(script: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"example_{Path(script).stem}", EXAMPLES / script
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _question(path: Path, text: str, rate: int = 24000, stereo: bool = False) -> None:
    pcm = np.frombuffer(synth_speech(text, lead_ms=100, trail_ms=800), "<i2")
    if stereo:
        pcm = np.stack([pcm, pcm], axis=1)
    rs.audio.write_wav(path, pcm, rate)


def test_live_wav_example(tmp_path: Path) -> None:
    out = run("live_wav.py", cwd=tmp_path)
    assert "no OPENAI_API_KEY: using the mock server at ws://127.0.0.1:" in out
    assert "the model heard: 'How far away is the Moon?'" in out
    assert "assistant: You said: How far away is the Moon?\n" in out
    assert "session ended: close_requested" in out
    samples, rate = rs.audio.read_wav(tmp_path / "answer.wav")
    assert rate == 24000 and len(samples) > 0 and int(np.abs(samples).max()) > 1000


def test_live_wav_example_in_process(tmp_path: Path) -> None:
    question = tmp_path / "q.wav"
    _question(question, "Is the sea salty?", stereo=True)
    module = _load("live_wav.py")
    assert module.main([str(question), "-o", str(tmp_path / "a.wav")]) == 0
    assert (tmp_path / "a.wav").stat().st_size > 44


def test_live_delegation_example(tmp_path: Path) -> None:
    out = run("live_delegation.py", cwd=tmp_path)
    assert "[delegation deleg_0001: 'Can you check my order 42?']" in out
    assert "[result placed on the timeline at " in out
    assert "Order 42 is on its way, arriving Friday." in out
    assert (
        _load("live_delegation.py").look_up("order 7?")
        == "Order 7 is waiting for stock."
    )


def test_cli_live_typed_lines_against_the_mock(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Hello there\nIs it late?\n\n"))
    assert main(["live"]) == 0
    out = capsys.readouterr().out
    assert "with the embedded mock server" in out
    assert "you> Hello there\nassistant> You said: Hello there." in out
    assert "assistant> You said: Is it late?\n" in out
    assert "[session ended: close_requested;" in out


def test_cli_live_wav_writes_the_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    question = tmp_path / "q.wav"
    _question(question, "Tell me a joke", rate=16000)
    answer = tmp_path / "a.wav"
    assert main(["live", "--wav", str(question), "--out", str(answer)]) == 0
    out = capsys.readouterr().out
    assert "assistant> You said: [speech" in out  # the marker does not survive 16 kHz
    assert "wrote " in out and answer.exists()


def test_cli_live_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["live", "--wav", str(tmp_path / "missing.wav")]) == 2
    assert "realtime-sync: error: file not found" in capsys.readouterr().err
    assert main(["live", "--out", str(tmp_path / "a.wav")]) == 2
    assert "--out needs --wav" in capsys.readouterr().err
    assert main(["live", "--url", "ws://127.0.0.1:9/v1/live/sessions"]) == 2
    assert "cannot start a Live session" in capsys.readouterr().err
