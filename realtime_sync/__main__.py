"""``python -m realtime_sync``: the ``realtime-sync`` command (see :mod:`realtime_sync.cli`)."""

from __future__ import annotations

import sys

from realtime_sync.cli import main

if __name__ == "__main__":
    sys.exit(main())
