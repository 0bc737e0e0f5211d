"""Regenerate the golden data files of ``tests/data/`` from ``../shared`` (run by hand).

CI never runs this script and never reads ``../shared``: the files it writes are
committed. Run it from the repository root when the shared inputs change::

    python tests/data/make_data.py [--shared ../shared]

It writes:

* ``ga-conversation.jsonl``: the first 150 lines of the recorded GA conversation plus
  every line whose type occurs fewer than 3 times in it; audio deltas after the first
  ten are cut to 1600 base64 characters (25 ms) to keep the file small;
* ``beta-docs-examples.jsonl``: every JSON example of the beta API reference docs,
  with its direction (client or server) and line in the source;
* ``protocol-examples.json``: the four JSON blocks of ``REALTIME_PROTOCOL.md``;
* ``catalog-examples-ga.jsonl`` and ``catalog-examples-beta.jsonl``: generated example
  payloads for every event type of the two catalogs, built from their field lists.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# -- the recorded GA conversation ----------------------------------------------------


def make_ga_conversation(shared: Path) -> list[str]:
    """The first 150 lines plus the rare types, audio deltas shortened."""
    lines = (shared / "bench/ga-conversation-100ms.jsonl").read_text().splitlines()
    types = [json.loads(line)["type"] for line in lines]
    counts = collections.Counter(types)
    keep = [i for i in range(len(lines)) if i < 150 or counts[types[i]] < 3]
    out = []
    deltas = 0
    for i in keep:
        event = json.loads(lines[i])
        if event["type"] == "response.output_audio.delta":
            deltas += 1
            if deltas > 10:
                event["delta"] = event["delta"][:1600]
                out.append(json.dumps(event, ensure_ascii=False))
                continue
        out.append(lines[i])
    return out


# -- the beta reference docs ---------------------------------------------------------


def make_beta_docs(shared: Path) -> list[dict[str, Any]]:
    """Every JSON example of the beta docs (printed unindented after a type line)."""
    src = shared / "seeds/002-realtime-beta-api-reference-docs.txt"
    lines = src.read_text(encoding="utf-8").splitlines()
    direction = None
    out = []
    i = 0
    while i < len(lines):
        low = lines[i].strip().lower()
        if low == "client events":
            direction = "client"
        elif low == "server events":
            direction = "server"
        if lines[i].startswith("{"):
            header = lines[i - 1].strip()
            j = i
            while True:
                try:
                    obj = json.loads("\n".join(lines[i : j + 1]))
                    break
                except json.JSONDecodeError:
                    j += 1
            if obj.get("type") != header:
                raise SystemExit(f"example at line {i + 1} is not a {header!r}")
            out.append(
                {
                    "dialect": "beta",
                    "direction": direction,
                    "line": i + 1,
                    "payload": obj,
                }
            )
            i = j + 1
            continue
        i += 1
    return out


# -- REALTIME_PROTOCOL.md ------------------------------------------------------------

_BLOCK_META: list[dict[str, Any]] = [
    {
        "section": "1.6",
        "kind": "client_secret_request",
        "dialect": "ga",
        "direction": None,
        "note": "REST body of POST /v1/realtime/client_secrets, not an event; "
        "its session is a GA realtime session",
    },
    {"section": "7.3", "kind": "event", "dialect": "ga", "direction": "client"},
    {"section": "7.3", "kind": "event", "dialect": "beta", "direction": "client"},
    {"section": "8.1", "kind": "event", "dialect": "ga", "direction": "server"},
]


def make_protocol_examples(shared: Path) -> list[dict[str, Any]]:
    """The ```json blocks of the protocol reference, with their dialect."""
    text = (shared / "protocol/REALTIME_PROTOCOL.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```json\n(.*?)^```", text, flags=re.S | re.M)
    if len(blocks) != len(_BLOCK_META):
        raise SystemExit(f"expected {len(_BLOCK_META)} json blocks, not {len(blocks)}")
    return [
        {**meta, "payload": json.loads(block)}
        for meta, block in zip(_BLOCK_META, blocks, strict=True)
    ]


# -- catalog examples ----------------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:("(?:[^"\\]|\\.)*")|(array<|map<)|(-?\d+(?:\.\d+)?)'
    r"|([A-Za-z_][\w.]*)|([|(),>]))"
)
_PRIMITIVES = ("string", "integer", "number", "boolean", "any", "null")


def parse_type(text: str) -> Any:
    """Parse the catalogs' type notation into a small tree of tuples."""
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot parse {text!r} at {pos}")
        pos = m.end()
        if m.group(1):
            tokens.append(("lit", json.loads(m.group(1))))
        elif m.group(2):
            tokens.append(("gen", m.group(2)[:-1]))
        elif m.group(3):
            tokens.append(("lit", json.loads(m.group(3))))
        elif m.group(4):
            tokens.append(("name", m.group(4)))
        else:
            tokens.append(("p", m.group(5)))
    at = [0]

    def take() -> tuple[str, Any]:
        tok = tokens[at[0]]
        at[0] += 1
        return tok

    def union() -> Any:
        alts = [atom()]
        while at[0] < len(tokens) and tokens[at[0]] == ("p", "|"):
            take()
            alts.append(atom())
        return alts[0] if len(alts) == 1 else ("union", alts)

    def atom() -> Any:
        tok = take()
        if tok[0] == "lit":
            return tok
        if tok[0] == "gen":
            first = union()
            if tok[1] == "array":
                take()  # >
                return ("array", first)
            take()  # ,
            second = union()
            take()  # >
            return ("map", first, second)
        if tok == ("p", "("):
            inner = union()
            take()  # )
            return inner
        if tok[0] == "name":
            if tok[1] in _PRIMITIVES:
                return ("prim", tok[1])
            return ("ref", tok[1])
        raise ValueError(f"unexpected {tok} in {text!r}")

    tree = union()
    if at[0] != len(tokens):
        raise ValueError(f"trailing tokens in {text!r}")
    return tree


class ExampleMaker:
    """Build example payloads from a catalog's field lists.

    ``choice`` picks the member of every union and enumeration (modulo its size), so
    that successive variants cover every kind of item, content part, tool, format, ...;
    ``full`` adds the optional fields, and ``nulls`` sets every other nullable optional
    field to ``null``.
    """

    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions

    def width(self, tree: Any, seen: frozenset[str] = frozenset()) -> int:
        """The largest union or enumeration reachable from ``tree``."""
        kind = tree[0]
        if kind == "union":
            members = [m for m in tree[1] if m != ("prim", "null")]
            return max([len(members), *(self.width(m, seen) for m in members)])
        if kind == "array":
            return self.width(tree[1], seen)
        if kind == "map":
            return self.width(tree[2], seen)
        if kind == "ref" and tree[1] not in seen:
            fields = self.definitions[tree[1]]["fields"]
            return max(
                [1]
                + [
                    self.width(parse_type(f["type"]), seen | {tree[1]})
                    for f in fields.values()
                ]
            )
        return 1

    def value(self, tree: Any, name: str, choice: int, full: bool, nulls: bool) -> Any:
        kind = tree[0]
        if kind == "lit":
            return tree[1]
        if kind == "prim":
            return self.primitive(tree[1], name)
        if kind == "union":
            members = [m for m in tree[1] if m != ("prim", "null")]
            return self.value(members[choice % len(members)], name, choice, full, nulls)
        if kind == "array":
            inner = tree[1]
            if inner[0] == "union" and all(m[0] == "lit" for m in inner[1]) and full:
                # An array of an enumeration: every member, rotated by choice.
                values = [m[1] for m in inner[1]]
                k = choice % len(values)
                return values[k:] + values[:k]
            return [self.value(inner, "[]", choice, full, nulls)]
        if kind == "map":
            return {"key": self.value(tree[2], "[]", choice, full, nulls)}
        return self.obj(tree[1], choice, full, nulls)

    @staticmethod
    def primitive(prim: str, name: str) -> Any:
        if prim == "string":
            if name in ("delta", "audio") or name.endswith("_data"):
                return "AAAAAA=="
            if name == "arguments":
                return '{"x":1}'
            if name.endswith("id") or name == "event_id":
                return f"{name}_123"
            return "x"
        if prim == "integer":
            return 0
        if prim == "number":
            return 0.5
        if prim == "boolean":
            return True
        if prim == "any":
            return {"type": "object", "properties": {}}
        return None

    def obj(self, ref: str, choice: int, full: bool, nulls: bool) -> dict[str, Any]:
        fields = self.definitions[ref]["fields"]
        return self.fields(fields, choice, full, nulls)

    def fields(
        self, fields: dict[str, Any], choice: int, full: bool, nulls: bool
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        flip = False
        for name, spec in fields.items():
            tree = parse_type(spec["type"])
            if not spec["required"] and not full:
                continue
            nullable = tree[0] == "union" and ("prim", "null") in tree[1]
            if not spec["required"] and nullable and nulls:
                flip = not flip
                if flip:
                    out[name] = None
                    continue
            out[name] = self.value(tree, name, choice, full, nulls)
        return out


def make_catalog_examples(
    catalog: dict[str, Any], dialect: str
) -> list[dict[str, Any]]:
    """Example payloads for every event of a catalog (supplementary events included)."""
    maker = ExampleMaker(catalog["definitions"])
    events = {**catalog["events"], **catalog.get("supplementary_server_events", {})}
    out = []
    for wire_type, spec in events.items():
        fields = spec["fields"]
        width = max(maker.width(parse_type(f["type"])) for f in fields.values())
        variants = [("required", 0, False, False), ("full-nulls", 0, True, True)]
        variants += [(f"full-{k}", k, True, False) for k in range(width)]
        seen = []
        for name, choice, full, nulls in variants:
            payload = maker.fields(fields, choice, full, nulls)
            if payload["type"] != wire_type:
                raise SystemExit(f"{wire_type}: type field is {payload['type']!r}")
            if payload in seen:
                continue
            seen.append(payload)
            out.append(
                {
                    "dialect": dialect,
                    "direction": spec["direction"],
                    "variant": name,
                    "payload": payload,
                }
            )
    return out


def _write_jsonl(path: Path, rows: list[Any]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            text = row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)
            f.write(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parents[2] / "shared")
    args = parser.parse_args()
    shared: Path = args.shared
    _write_jsonl(HERE / "ga-conversation.jsonl", make_ga_conversation(shared))
    _write_jsonl(HERE / "beta-docs-examples.jsonl", make_beta_docs(shared))
    (HERE / "protocol-examples.json").write_text(
        json.dumps(make_protocol_examples(shared), indent=1, ensure_ascii=False) + "\n"
    )
    for dialect in ("ga", "beta"):
        catalog = json.loads((shared / f"protocol/events-{dialect}.json").read_text())
        _write_jsonl(
            HERE / f"catalog-examples-{dialect}.jsonl",
            make_catalog_examples(catalog, dialect),
        )


if __name__ == "__main__":
    main()
