"""``realtime-sync translate`` against the embedded mock (no key, no network)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from realtime_sync.audio import read_wav, write_wav
from realtime_sync.cli import main
from realtime_sync.testing import synth_speech

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def speech(tmp_path: Path) -> Path:
    audio = synth_speech("Where is the station?", lead_ms=200, trail_ms=400)
    path = tmp_path / "in.wav"
    write_wav(path, np.frombuffer(audio, dtype="<i2"), 24_000)
    return path


def test_translate_a_wav_file_with_the_mock(
    speech: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    out = tmp_path / "out.wav"
    assert main(["translate", str(speech), str(out), "--to", "fr"]) == 0
    captured = capsys.readouterr()
    assert "source:      Where is the station?" in captured.out
    assert "translation: [fr] Where is the station?" in captured.out
    assert "100.0%" in captured.err  # the progress bar
    samples, rate = read_wav(out)
    assert rate == 24_000 and samples.dtype == np.int16 and len(samples) > rate


def test_a_stereo_file_at_another_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    mono = np.frombuffer(synth_speech("Hi.", trail_ms=400), dtype="<i2")
    stereo = np.stack([np.repeat(mono, 2)] * 2, axis=1)
    source = tmp_path / "in48.wav"
    write_wav(source, stereo, 48_000)
    assert (
        main(
            ["translate", str(source), str(tmp_path / "o.wav"), "--to", "es", "--mock"]
        )
        == 0
    )
    assert "translation: [es] [speech" in capsys.readouterr().out


def test_errors_are_one_line(
    speech: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert (
        main(
            [
                "translate",
                str(tmp_path / "nope.wav"),
                str(tmp_path / "o.wav"),
                "--to",
                "fr",
            ]
        )
        == 2
    )
    assert "file not found" in capsys.readouterr().err
    assert (
        main(["translate", str(speech), str(tmp_path / "no" / "o.wav"), "--to", "fr"])
        == 2
    )
    assert "no directory" in capsys.readouterr().err
    assert (
        main(["translate", str(speech), str(tmp_path / "o.wav"), "--to", "not a code"])
        == 2
    )
    err = capsys.readouterr().err
    assert "refused the settings" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["translate", str(speech), str(tmp_path / "o.wav")])  # --to is required
