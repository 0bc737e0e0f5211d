"""Regenerate ``catalog-examples-translation.jsonl`` from ``../shared`` (run by hand).

    python tests/translation/make_examples.py [--shared ../shared]

The catalog (``shared/protocol/events-translation.json``) has no literal examples:
as for the Realtime catalogs (``tests/data/make_data.py``), each payload is built
from the field lists (``required``, ``full-nulls``, ``full-K`` variants). CI reads
the committed file only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tests.data.make_data import _write_jsonl, make_catalog_examples

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parents[2] / "shared")
    args = parser.parse_args()
    catalog = json.loads(
        (args.shared / "protocol/events-translation.json").read_text(encoding="utf-8")
    )
    _write_jsonl(
        HERE / "catalog-examples-translation.jsonl",
        make_catalog_examples(catalog, "translation"),
    )


if __name__ == "__main__":
    main()
