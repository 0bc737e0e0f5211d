"""The realtime-sync command, run in-process against the embedded mock server."""

from __future__ import annotations

import argparse
import io
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import realtime_sync as rs
from realtime_sync.audio import read_wav, write_wav
from realtime_sync.cli import _parser, main
from realtime_sync.testing import MockRealtimeServer

ROOT = Path(__file__).resolve().parent.parent


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


def test_demo_with_a_given_wav(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's --wav option speaks a 16 kHz file in the voice turn; the server hears it."""
    from realtime_sync.testing import speech_like

    wav = tmp_path / "q.wav"
    write_wav(wav, speech_like(1500, 16000), 16000)
    assert main(["demo", "--wav", str(wav), "--out", str(tmp_path / "o.wav")]) == 0
    assert "I heard 1" in capsys.readouterr().out


# -- help, version -------------------------------------------------------------------


def _options(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.Action]]:
    """Every option and positional of the parser and its subcommands."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                for where, inner in _options(sub):
                    yield f"{name} {where}", inner
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield action.dest, action


def test_every_option_has_help_and_shows_its_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each option is explained; a default that is not "nothing" is printed."""
    for where, action in _options(_parser()):
        assert action.help, f"{where} has no help text"
    with pytest.raises(SystemExit):
        main(["mock-server", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--port PORT the TCP port to listen on (default: 8765)" in text
    assert "(default: 127.0.0.1)" in text and "(default: instant)" in text
    with pytest.raises(SystemExit):
        main(["chat", "--help"])
    assert "(default: gpt-realtime)" in capsys.readouterr().out


def test_top_level_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    """The description has no reST markup; the epilog keeps its examples' layout."""
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    text = capsys.readouterr().out
    assert info.value.code == 0
    assert "``" not in text and ":class:" not in text
    assert "\n  realtime-sync demo " in text
    for command in ("demo", "mock-server", "chat", "say", "replay"):
        assert command in text


def test_version_from_the_installed_entry_point_module() -> None:
    """``python -m realtime_sync --version`` prints the package version."""
    done = subprocess.run(
        [sys.executable, "-m", "realtime_sync", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"realtime-sync {rs.__version__}"


# -- connecting ------------------------------------------------------------------------


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A ws:// URL on 127.0.0.1 where nothing listens: connecting is refused."""
    # Bound but not listening: the port stays ours, and the kernel answers RST.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/v1/realtime"


@pytest.fixture
def question_wav(tmp_path: Path) -> Path:
    """A short spoken-like WAV file at 16 kHz."""
    from realtime_sync.testing import speech_like

    path = tmp_path / "question.wav"
    write_wav(path, speech_like(600, 16000), 16000)
    return path


def _one_error_line(err: str) -> str:
    line = err.strip()
    assert line.startswith("realtime-sync: error: "), err
    assert "\n" not in line and "Traceback" not in line, err
    return line


@pytest.mark.parametrize("command", ["chat", "say"])
def test_refused_connection_is_one_line_naming_the_server_once(
    command: str,
    refused_url: str,
    question_wav: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Chat and say report a refused connection alike: one line, the URL once."""
    monkeypatch.setattr("sys.stdin", io.StringIO("hello\n"))
    argv = [command, "--url", refused_url]
    if command == "say":
        argv += [str(question_wav), str(tmp_path / "answer.wav")]

    assert main(argv) == 2

    line = _one_error_line(capsys.readouterr().err)
    assert line.count(refused_url) == 1
    assert len(re.findall(r"connect to", line, re.IGNORECASE)) == 1
    assert "refused" in line
    assert not (tmp_path / "answer.wav").exists()


def test_say_without_key_refuses_like_chat(
    question_wav: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Say with no key, no --url and no --mock does not fall back to the mock."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    assert main(["say", str(question_wav), str(tmp_path / "answer.wav")]) == 2

    line = _one_error_line(capsys.readouterr().err)
    assert "OPENAI_API_KEY" in line and "--mock" in line


@pytest.mark.parametrize("problem", ["missing directory", "a directory"])
def test_say_checks_the_output_path_before_the_round_trip(
    problem: str,
    question_wav: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An output path that cannot be written fails before anything is sent."""
    out = (
        tmp_path / "nowhere" / "answer.wav"
        if problem == "missing directory"
        else tmp_path
    )
    with MockRealtimeServer() as server:
        code = main(["say", "--url", server.url, str(question_wav), str(out)])
        connections = server.total_connections

    captured = capsys.readouterr()
    assert code == 2
    line = _one_error_line(captured.err)
    assert f"cannot write {out}" in line
    assert "sending" not in captured.out
    assert connections == 0


# -- demo --------------------------------------------------------------------------------


def test_demo_writes_no_file_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --out the demo leaves the current directory as it was."""
    monkeypatch.chdir(tmp_path)

    assert main(["demo"]) == 0

    assert list(tmp_path.iterdir()) == []
    assert "s of assistant audio (--out FILE.wav saves it)" in capsys.readouterr().out


# -- replay ------------------------------------------------------------------------------


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """A recorded session: a text answer, then a spoken one."""
    path = tmp_path / "rec.jsonl"
    with (
        MockRealtimeServer() as server,
        rs.RealtimeClient(url=server.url, record=path) as c,
    ):
        c.ask("record me", timeout=10, output_modalities=["text"])
        c.ask("and speak", timeout=10)
    return path


def test_replay_prints_the_text_of_each_event(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replay shows text and transcript deltas, items' text and audio sizes."""
    frames = [
        json.loads(json.loads(line)["frame"])
        for line in recording.read_text().splitlines()
        if '"recv"' in line
    ]

    assert main(["replay", str(recording)]) == 0

    lines = capsys.readouterr().out.splitlines()
    for frame in frames:
        if frame["type"] in (
            "response.output_text.delta",
            "response.output_audio_transcript.delta",
        ):
            assert f"{frame['type']}  {frame['delta']!r}" in lines
    assert "response.output_text.done  'You said: record me'" in lines
    assert "conversation.item.added  user: 'record me'" in lines
    assert any(
        re.fullmatch(r"response\.output_audio\.delta  \(\d+ bytes of audio\)", ln)
        for ln in lines
    )
    assert lines[-1].startswith(f"replayed {len(frames)} server frames: ")


def test_replay_of_an_empty_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty recording says there is nothing to replay (no dangling summary)."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")

    assert main(["replay", str(empty)]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no server frames in" in _one_error_line(captured.err)


def test_paced_quiet_replay_shows_progress(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replay --pace --quiet, which lasts as long as the session did, shows progress."""
    assert main(["replay", "--pace", "--quiet", str(recording)]) == 0

    captured = capsys.readouterr()
    assert captured.err.rstrip().endswith("100.0%")
    assert captured.out.startswith("replayed ")


def test_replay_into_a_closed_pipe_exits_quietly(recording: Path) -> None:
    """``realtime-sync replay FILE | head``: no traceback when the reader goes."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "realtime_sync", "replay", str(recording)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    # Closed long before the interpreter has started: its first write breaks the pipe.
    proc.stdout.close()
    _, err = proc.communicate(timeout=30)

    assert proc.returncode == 141
    assert b"Traceback" not in err and b"Broken pipe" not in err


def test_mock_server_command_records_nothing() -> None:
    """mock-server runs for hours: its server keeps no frame (record=False)."""
    from realtime_sync.cli import _mock_server_of, _parser

    args = _parser().parse_args(["mock-server", "--port", "0", "--dialect", "beta"])
    server = _mock_server_of(args)
    assert server.record is False
    assert (server.dialect, server.pace) == ("beta", "instant")


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
