"""The shared end-to-end harness with one more column: the shared reader transport.

``../shared/bench/e2e`` (read-only) builds ``rs.RealtimeClient(url=...)`` with the
default transport, a reader thread per connection. This script runs the same
harness, unchanged, with an extra client kind, ``realtime_sync_shared``: the same
adapter with ``transport=SharedReaderTransport.default()``, so that every session
of the client process is read by one thread
(:class:`realtime_sync.transport.SharedReaderTransport`).

How: the harness spawns its server and client processes as
``python <e2e_bench.py> --serve`` / ``--run-client KIND``, naming itself with its
module's ``__file__``. This script points that name at itself, so the spawned
processes run this script too: they register the extra kind, then hand over to
the harness's ``main()``.

Usage (from anywhere; the harness's folder is found from ``--harness`` or
``$RS_E2E_HARNESS``, by default ``/work/shared/bench/e2e``)::

    PYTHONPATH=. python benchmarks/e2e_shared.py \\
        --clients floor,realtime_sync,realtime_sync_shared --parts ramp \\
        --ramp-sessions 135,200,300,400,450 --budget 1500 --out /tmp/ramp.json

Every other option is the harness's own (``--parts rt --sessions 50``, ...).
Compare ratios within one run: the machines are shared and noisy.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any

_DEFAULT_HARNESS = "/work/shared/bench/e2e"
_SCRIPT = os.path.abspath(__file__)


def _harness_dir() -> str:
    """Where e2e_bench.py lives (``--harness DIR`` is taken out of argv)."""
    path = os.environ.get("RS_E2E_HARNESS", _DEFAULT_HARNESS)
    if "--harness" in sys.argv:
        i = sys.argv.index("--harness")
        path = sys.argv[i + 1]
        del sys.argv[i : i + 2]
        os.environ["RS_E2E_HARNESS"] = path  # for the processes it spawns
    return os.path.abspath(path)


def _register(ec: Any) -> None:
    """Add the ``realtime_sync_shared`` kind to the harness's registry."""
    base = ec.REGISTRY["realtime_sync"]

    class RealtimeSyncSharedSession(base):  # type: ignore[misc, valid-type]
        """``realtime_sync`` with every session on one shared reader thread."""

        name = "realtime_sync_shared"

        def __init__(self, url: str, sink: Any) -> None:
            import realtime_sync as rs
            from realtime_sync.transport import SharedReaderTransport

            original = rs.RealtimeClient

            def shared_client(*args: Any, **kwargs: Any) -> Any:
                kwargs.setdefault("transport", SharedReaderTransport.default())
                return original(*args, **kwargs)

            # The harness's adapter builds rs.RealtimeClient(url=...); give it
            # the transport without copying the adapter.
            rs.RealtimeClient = shared_client  # type: ignore[assignment, misc]
            try:
                super().__init__(url, sink)
            finally:
                rs.RealtimeClient = original  # type: ignore[misc]

    ec.register(RealtimeSyncSharedSession)


def main() -> None:
    harness = _harness_dir()
    sys.path.insert(0, harness)
    import e2e_bench  # type: ignore[import-not-found]
    import e2e_clients  # type: ignore[import-not-found]

    _register(e2e_clients)
    if "--out" not in sys.argv and not {"--serve", "--run-client"} & set(sys.argv):
        # The harness would write into its own folder, which is read-only here.
        out = os.path.join(tempfile.mkdtemp(prefix="rs-e2e-"), "e2e.json")
        sys.argv += ["--out", out]
    # Spawned server and client processes run this script, not e2e_bench.py.
    e2e_bench.__file__ = _SCRIPT
    e2e_bench.main()


if __name__ == "__main__":
    main()
