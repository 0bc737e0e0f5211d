"""The example scripts run offline against the mock server and do what they say.

Each script runs as a user would run it (a subprocess of this Python, without
``OPENAI_API_KEY``) and its output and files are checked; each is also called
in-process through its ``main(argv)``, which the thread-leak check then covers.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import realtime_sync as rs

pytest.importorskip("websockets", reason="the examples need the 'mock' extra")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# Variables that would send a script to a real service instead of the mock.
_LIVE_VARIABLES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LIVE_VARIABLES}
    # The checkout first, so that the scripts import this realtime_sync even when
    # it is not installed.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH")) if p
    )
    return env


def run(script: str, *args: str, cwd: Path, timeout: float = 30.0) -> str:
    """Run ``examples/<script>`` offline; assert it exits 0; return its stdout."""
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=cwd,
        env=_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, (
        f"{script} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    )
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


def _reply_wav(path: Path, rate: int) -> np.ndarray:
    samples, actual = rs.audio.read_wav(path)
    assert actual == rate
    assert samples.dtype == np.int16 and samples.ndim == 1
    assert len(samples) > 0 and int(np.abs(samples).max()) > 1000  # not silence
    return samples


def test_text_chat(tmp_path: Path) -> None:
    """text_chat.py streams the mock's answer to each message."""
    out = run("text_chat.py", "Hello", "What is the capital of France?", cwd=tmp_path)

    assert "no OPENAI_API_KEY: using the mock server at ws://127.0.0.1:" in out
    assert "assistant> You said: Hello\n" in out
    assert "assistant> You said: What is the capital of France?\n" in out
    assert out.count("[completed, ") == 2


def test_resilient_session(tmp_path: Path) -> None:
    """resilient_session.py survives the mock dropping its connection mid-conversation."""
    out = run("resilient_session.py", cwd=tmp_path)

    assert "assistant> You said: My name is Ada.\n" in out
    assert "[connection lost (" in out and "attempt 1 in " in out
    assert "session restored=True, 2 items re-created, 2 held events sent]" in out
    assert "assistant> You said: What is my name?\n" in out
    assert "conversation: 4 items, first: 'My name is Ada.'" in out
    assert "reconnects: 1" in out


def test_voice_file_generated_question(tmp_path: Path) -> None:
    """voice_file.py with no input speaks a generated question and writes the answer."""
    out = run("voice_file.py", cwd=tmp_path)

    assert "no input given: generated question.wav" in out
    assert "input: question.wav, 24000 Hz, 1 ch, " in out
    assert "the model heard: 'What is the weather like on Mars?'" in out
    assert "assistant: You said: What is the weather like on Mars?" in out
    seconds = float(re.search(r"wrote reply\.wav: 24000 Hz, ([\d.]+) s", out)[1])  # type: ignore[index]
    samples = _reply_wav(tmp_path / "reply.wav", 24000)
    assert abs(len(samples) / 24000 - seconds) < 0.01


def test_voice_file_resamples_any_input(tmp_path: Path) -> None:
    """A 16 kHz stereo WAV is downmixed and resampled: the server hears 1 s of audio."""
    t = np.arange(16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16)
    rs.audio.write_wav(tmp_path / "in.wav", np.stack([tone, tone], axis=1), 16000)

    out = run("voice_file.py", "in.wav", "-o", "out.wav", cwd=tmp_path)

    assert "input: in.wav, 16000 Hz, 2 ch, 1.00 s" in out
    heard_ms = int(re.search(r"assistant: I heard (\d+) ms of audio\.", out)[1])  # type: ignore[index]
    assert abs(heard_ms - 1000) <= 50
    _reply_wav(tmp_path / "out.wav", 24000)


def test_microphone_simulated_turn(tmp_path: Path) -> None:
    """microphone.py --simulate: server VAD ends the turn, the answer is played."""
    out = run("microphone.py", "--simulate", cwd=tmp_path)

    assert "simulating a voice saying 'Hello, can you hear me?'" in out
    lines = out.splitlines()
    started = next(i for i, ln in enumerate(lines) if ln.startswith("[speech started"))
    stopped = next(i for i, ln in enumerate(lines) if ln.startswith("[speech stopped"))
    assert started < stopped
    assert "you: Hello, can you hear me?" in lines
    assert "assistant: You said: Hello, can you hear me?" in lines
    assert "[response completed]" in lines
    played = int(re.search(r"\[played (\d+) ms of item_", out)[1])  # type: ignore[index]
    assert played > 0


def test_tools(tmp_path: Path) -> None:
    """tools.py: the model calls the registered function and answers with its result."""
    out = run("tools.py", cwd=tmp_path)

    assert "tool in the session: current_time " in out
    schema = out.split("tool in the session: current_time ", 1)[1].splitlines()[0]
    assert '"utc_offset_hours": {"type": "number"' in schema
    assert '"enum": ["iso", "clock"]' in schema
    assert "[model] calls current_time({})" in out
    assert re.search(
        r"\[tool\] current_time\(0\.0, 'clock'\) -> \{'time': '\d\d:\d\d'", out
    )
    assert re.search(r'assistant> The tool returned: \{"time": "\d\d:\d\d"', out)


def test_telephony(tmp_path: Path) -> None:
    """telephony.py: mu-law in and out at 8 kHz; the reply is decoded to an 8 kHz WAV."""
    out = run("telephony.py", "-o", "call.wav", cwd=tmp_path)

    assert "session audio: audio/pcmu in and out, 8000 Hz" in out
    assert "caller: I would like to check my order status." in out
    assert "agent: You said: I would like to check my order status." in out
    sent = int(re.search(r"agent audio: (\d+) mu-law bytes -> call\.wav", out)[1])  # type: ignore[index]
    samples = _reply_wav(tmp_path / "call.wav", 8000)
    assert len(samples) == sent  # one mu-law byte per sample


def test_telephony_from_a_wav_at_another_rate(tmp_path: Path) -> None:
    """A 16 kHz caller WAV is brought down to the phone line's 8 kHz mu-law."""
    t = np.arange(16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 300 * t) * 32767).astype(np.int16)
    rs.audio.write_wav(tmp_path / "caller.wav", tone, 16000)

    out = run("telephony.py", "caller.wav", cwd=tmp_path)

    # 1 s of speech + 0.6 s of silence, at one byte per 8 kHz sample.
    assert "caller audio: 12800 mu-law bytes (1.60 s)" in out
    assert re.search(r"agent: I heard \d+ ms of audio\.", out)
    _reply_wav(tmp_path / "reply_8k.wav", 8000)


def test_azure_paths_against_the_mock(tmp_path: Path) -> None:
    """azure.py: the GA and classic Azure paths, the api-key header and a 401."""
    out = run("azure.py", cwd=tmp_path)

    assert "GA path (ga dialect):" in out
    assert "the server saw: GET /openai/v1/realtime?model=gpt-realtime" in out
    assert "classic path (beta dialect):" in out
    assert (
        "the server saw: GET /openai/realtime?api-version=2025-04-01-preview"
        "&deployment=gpt-realtime" in out
    )
    assert out.count("assistant> You said: Hello from Azure!") == 2
    assert "a wrong key: AuthenticationError (HTTP 401)" in out
    assert "azure-demo-key" not in out


def test_compatible_server_beta_and_auto(tmp_path: Path) -> None:
    """compatible_server.py: beta on the wire, GA classes in the code, beta and auto."""
    out = run("compatible_server.py", cwd=tmp_path)

    for dialect in ("beta", "auto"):
        section = out.split(f"dialect={dialect!r}", 1)[1]
        assert "assistant> You said: Hi there   [completed]" in section
        assert "assistant (speaking)> You said: Now say it out loud." in section
        wire = section.split("on the wire: ", 1)[1].splitlines()[0].split(", ")
        assert "response.text.delta" in wire and "response.audio.delta" in wire
        assert "response.output_text.delta" not in wire


def test_transcription_session(tmp_path: Path) -> None:
    """transcription.py: a transcription session transcribes each turn, no response."""
    out = run("transcription.py", cwd=tmp_path)

    assert "session: TranscriptionSession (realtime.transcription_session)" in out
    assert out.count("[speech at ") == 2
    assert "transcript: The quick brown fox jumps over the lazy dog." in out
    assert "transcript: It was not amused." in out
    assert "2 transcript(s), no responses" in out
    assert "a response was created" not in out


@pytest.mark.parametrize(
    "script, argv, expected",
    [
        ("text_chat.py", ["Hi"], "assistant> You said: Hi"),
        ("voice_file.py", ["-o", "{tmp}/r.wav"], "assistant: You said: What is"),
        ("microphone.py", ["--simulate"], "you: Hello, can you hear me?"),
        ("tools.py", [], "assistant> The tool returned: "),
        ("telephony.py", ["-o", "{tmp}/r.wav"], "agent: You said: I would like"),
        ("azure.py", [], "a wrong key: AuthenticationError (HTTP 401)"),
        ("compatible_server.py", [], "dialect='auto'"),
        ("transcription.py", [], "2 transcript(s), no responses"),
        ("resilient_session.py", [], "reconnects: 1"),
    ],
)
def test_main_in_process(
    script: str,
    argv: list[str],
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each script's ``main(argv)`` returns 0 in-process and stops every thread."""
    for name in _LIVE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    main = _load(script).main

    status = main([a.format(tmp=tmp_path) for a in argv])

    assert status == 0
    assert expected in capsys.readouterr().out
