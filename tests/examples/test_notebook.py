"""examples/notebook.ipynb runs top to bottom in a real IPython kernel, offline."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("websockets", reason="the notebook needs the 'mock' extra")
nbformat = pytest.importorskip("nbformat", reason="needs the 'notebook' extra")
nbclient = pytest.importorskip("nbclient", reason="needs the 'notebook' extra")
ipykernel_kernelspec = pytest.importorskip(
    "ipykernel.kernelspec", reason="needs the 'notebook' extra"
)
pytest.importorskip("matplotlib", reason="needs the 'notebook' extra")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "notebook.ipynb"


def _outputs(cell: Any) -> list[dict[str, Any]]:
    return [dict(o) for o in cell.get("outputs", [])]


def _text(output: dict[str, Any]) -> str:
    """Everything readable in one output: stream text and text-like display data."""
    if output["output_type"] == "stream":
        return str(output["text"])
    data = output.get("data", {})
    return "\n".join(
        str(data[kind])
        for kind in ("text/plain", "text/markdown", "text/html")
        if kind in data
    )


@pytest.mark.timeout(58)
def test_notebook_runs_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cell runs without error: streamed text, audio player, plot, tool call."""
    # A kernelspec named python3 for this interpreter, found first through
    # JUPYTER_PATH: nothing registered outside tmp_path, no other Python picked up.
    prefix = tmp_path / "prefix"
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    ipykernel_kernelspec.install(kernel_name="python3", prefix=str(prefix))
    monkeypatch.setenv(
        "JUPYTER_PLATFORM_DIRS", "1"
    )  # no jupyter_core migration warning
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # no user startup files
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    )
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit the notebook without outputs"
    )

    spec_dirs: list[str] = []
    client = nbclient.NotebookClient(
        nb,
        on_notebook_start=lambda notebook: spec_dirs.append(
            client.km.kernel_spec.resource_dir
        ),
        kernel_name="python3",
        timeout=30,  # per cell
        startup_timeout=30,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the traceback, on a failing cell

    # The kernel came from the kernelspec above (checked once it had started).
    assert Path(spec_dirs[0]).is_relative_to(prefix)
    code = [c for c in nb.cells if c.cell_type == "code"]
    outputs = [o for c in code for o in _outputs(c)]
    assert not [o for o in outputs if o["output_type"] == "error"]
    texts = [_text(o) for o in outputs]
    everything = "\n".join(texts)

    # The streamed text answer: a live display updated delta by delta into the answer.
    assert any(
        o.get("data", {}).get("text/markdown") == "You said: Hello! What can you do?"
        for o in outputs
    ), everything
    assert "[completed, " in everything
    # The spoken answer: transcript streamed, and an HTML <audio> player with a WAV.
    assert any(
        o.get("data", {}).get("text/markdown")
        == "You said: Tell me something about the Moon."
        for o in outputs
    ), everything
    players = [
        o["data"]["text/html"]
        for o in outputs
        if "<audio" in o.get("data", {}).get("text/html", "")
    ]
    assert players and "data:audio/wav;base64," in players[0]
    # The waveform: a real PNG.
    pngs = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 1
    assert base64.b64decode(pngs[0]).startswith(b"\x89PNG\r\n\x1a\n")
    # The tool: called by the model, run by the client, its result answered.
    assert "the model called roll_dice(" in everything
    assert "roll_dice ran: [(" in everything
    assert any(
        (o.get("data", {}).get("text/markdown") or "").startswith("The tool returned: ")
        for o in outputs
    ), everything
    assert "function_call_output" in everything
    assert everything.rstrip().endswith("closed")
