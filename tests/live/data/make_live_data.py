"""Rebuild tests/live/data/catalog-examples-live.jsonl from shared/protocol/events-live.json.

Run by hand from the repository root: ``python -m tests.live.data.make_live_data``.
The catalog has no literal examples: each payload is built from its field lists with
the Realtime tests' example maker (``tests/data/make_data.py``): ``required`` (only
required fields), ``full-nulls`` (every field, every other nullable optional one
``null``) and ``full-K`` (every field, member K of every union and enumeration).
Every event of the primary unions and of the sideband additions is covered.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tests.data.make_data import ExampleMaker, _write_jsonl, parse_type

HERE = Path(__file__).resolve().parent


def make_live_examples(catalog: dict[str, object]) -> list[dict[str, object]]:
    """Example payloads for every event of the Live catalog, both directions."""
    definitions = dict(catalog["definitions"])  # type: ignore[call-overload]
    # The Responses input items of response.item.create are only named in the
    # catalog: each gets its type and an id; a function call output, its fields.
    for name, ext in catalog["external_types"].items():  # type: ignore[attr-defined]
        fields = {
            "type": {"type": ext["type"], "required": True},
            "id": {"type": "string | null", "required": False},
        }
        if name == "FunctionCallOutput":
            fields["call_id"] = {"type": "string", "required": True}
            fields["output"] = {"type": "string", "required": True}
        definitions[name] = {"fields": fields}
    maker = ExampleMaker(definitions)
    # transport.dtmf.send is a server event in "events" and a client event in
    # "other_connection_events": keep both.
    events = [
        *catalog["events"].items(),  # type: ignore[attr-defined]
        *catalog["other_connection_events"].items(),  # type: ignore[attr-defined]
    ]
    out: list[dict[str, object]] = []
    for key, spec in events:
        wire_type = key.split("@")[0]
        fields = spec["fields"]
        width = max(maker.width(parse_type(f["type"])) for f in fields.values())
        variants = [("required", 0, False, False), ("full-nulls", 0, True, True)]
        variants += [(f"full-{k}", k, True, False) for k in range(width)]
        seen: list[dict[str, object]] = []
        for name, choice, full, nulls in variants:
            payload = maker.fields(fields, choice, full, nulls)
            if payload["type"] != wire_type:
                raise SystemExit(f"{key}: type field is {payload['type']!r}")
            if payload in seen:
                continue
            seen.append(payload)
            out.append(
                {
                    "direction": spec["direction"],
                    "variant": name,
                    "payload": payload,
                }
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parents[3] / "shared")
    args = parser.parse_args()
    catalog = json.loads((args.shared / "protocol/events-live.json").read_text())
    _write_jsonl(HERE / "catalog-examples-live.jsonl", make_live_examples(catalog))


if __name__ == "__main__":
    main()
