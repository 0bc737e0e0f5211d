"""The realtime-sync command, run in-process against the embedded mock server."""

from __future__ import annotations

import io
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import realtime_sync as rs
from realtime_sync.audio import read_wav, write_wav
from realtime_sync.cli import main
from realtime_sync.testing import MockRealtimeServer


def test_demo_runs_a_whole_conversation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """demo: text, voice with VAD, a local tool, an interruption, a WAV, a summary."""
    out = tmp_path / "demo.wav"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "You said: Hello!" in text
    assert "[heard: 'Which city is the sunniest?']" in text
    assert "[tool call get_weather(" in text and "The tool returned:" in text
    assert "[interrupted: truncate" in text
    assert "latency (ms)" in text and "after barge-in" in text
    samples, rate = read_wav(out)
    assert rate == 24000 and len(samples) > 0


@pytest.mark.parametrize("command", ["demo", "mock-server", "chat", "say", "replay"])
def test_every_command_has_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--help works for each command."""
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "usage: realtime-sync" in capsys.readouterr().out


def test_chat_with_the_mock(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Chat --mock answers each line until an empty one."""
    monkeypatch.setattr("sys.stdin", io.StringIO("hi there\n\n"))
    assert main(["chat", "--mock"]) == 0
    assert "You said: hi there" in capsys.readouterr().out


def test_chat_without_key_or_url_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Chat with nothing to talk to exits 2 with one line on stderr."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["chat"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("realtime-sync: error:") and "OPENAI_API_KEY" in err
    assert "\n" not in err


def test_say_turns_a_wav_into_a_wav(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Say IN.wav OUT.wav: 48 kHz stereo in, 24 kHz audio answer out."""
    t = np.arange(48000) / 48000
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    write_wav(src, np.stack([tone, tone], axis=1), 48000)
    assert main(["say", "--mock", str(src), str(dst)]) == 0
    captured = capsys.readouterr()
    assert "100.0%" in captured.err
    samples, rate = read_wav(dst)
    assert rate == 24000 and len(samples) > 0


def test_say_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    """A missing input file is a one-line error."""
    assert main(["say", "--mock", "/nonexistent/in.wav", "/tmp/out.wav"]) == 2
    assert "file not found: /nonexistent/in.wav" in capsys.readouterr().err


def test_replay_prints_the_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replay FILE dispatches the recorded server frames and summarises them."""
    path = tmp_path / "rec.jsonl"
    with (
        MockRealtimeServer() as server,
        rs.RealtimeClient(url=server.url, record=path) as c,
    ):
        c.ask("record me", timeout=10, output_modalities=["text"])
    received = [json.loads(x) for x in path.read_text().splitlines() if '"recv"' in x]
    assert main(["replay", "--quiet", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"replayed {len(received)} server frames" in out
    assert "response.output_text.delta" in out
    assert main(["replay", str(tmp_path / "missing.jsonl")]) == 2


def test_demo_with_a_given_wav(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's --wav option speaks a 16 kHz file in the voice turn; the server hears it."""
    from realtime_sync.testing import speech_like

    wav = tmp_path / "q.wav"
    write_wav(wav, speech_like(1500, 16000), 16000)
    assert main(["demo", "--wav", str(wav), "--out", str(tmp_path / "o.wav")]) == 0
    assert "I heard 1" in capsys.readouterr().out


def test_mock_server_command_serves_a_conversation() -> None:
    """mock-server, run as a process, serves a whole turn and stops on Ctrl-C (SIGINT)."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "realtime_sync", "mock-server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read_stdout() -> None:
        for line in proc.stdout or ():
            lines.put(line)
        lines.put("")  # end of output: the process exited

    reader = threading.Thread(target=read_stdout, daemon=True)
    reader.start()
    try:
        banner = lines.get(timeout=30)
        match = re.search(r"ws://\S+", banner)
        if match is None:
            proc.wait(timeout=10)
            stderr = proc.stderr.read() if proc.stderr else ""
            pytest.fail(f"mock-server exited with {proc.returncode}: {stderr[-500:]}")
        with rs.RealtimeClient(url=match.group(0), api_key="test") as client:
            reply = client.ask("Hello from a process", timeout=10)
        assert reply.transcript == "You said: Hello from a process"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        reader.join(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()
