"""Tool call synthesis: arguments for a function tool from its schema and the user's words.

The mock has no model, but its tool calls should look like a model's: for
``get_weather(city)`` and "Use get_weather for Paris." the arguments are
``{"city": "Paris"}``, for ``roll_dice(sides: integer)`` and "roll dice with six
sides" they are ``{"sides": 6}``. The rules, walking the tool's JSON schema:

* an object gets its required properties, always, and an optional property only when
  the text names one of its ``enum`` values;
* a string takes the most plausible word: a capitalised name that does not start a
  sentence ("Paris", "New York"), else a word after a preposition ("weather in
  paris"), else the longest other word; the words of the tool's name and common
  words are skipped. Several string parameters take successive candidates;
* an ``integer`` or ``number`` takes a number said next to the parameter's name
  ("8 sides"), else the first number said ("6", "six", "2.5"; the next one for the
  next parameter), else the schema's ``default``, else 1; clamped to
  ``minimum``/``maximum``;
* an ``enum`` takes a value the text names, else its first value; ``const`` its
  value; ``anyOf``/``oneOf`` their first non-null choice;
* a boolean is true when the text names the parameter, else its ``default`` or false;
* an array gets ``minItems`` items (at least one), each by the rules above.

The result validates against the schema for the keywords above (``pattern`` and
``format`` are not interpreted).
"""

from __future__ import annotations

import json
import re
from typing import Any

from realtime_sync.events import FunctionTool

__all__ = ["tool_arguments"]

_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}

_PREPOSITION_WORDS = """
    for in at about of to from near on with called named into by
"""
_PREPOSITIONS = frozenset(_PREPOSITION_WORDS.split())

# Words that are never the value of a parameter: function words, politeness, and the
# verbs people use to ask for a tool.
_COMMON_WORDS = """
    a an the this that these those it its i me my we us our you your he she they
    them is are was were be been am do does did have has had will would can
    could should shall may might must please thanks thank hi hello hey ok okay
    yes no not and or but so if then than what whats what's which who whom whose
    when where why how there here use using call run get set tell give show find
    check look let make want need like some any all each every much many more
    most very just also now today tomorrow tonight currently current weather
    time there's it's i'm
"""
_COMMON = frozenset(_COMMON_WORDS.split()) | _PREPOSITIONS

_TOKEN = re.compile(r"[A-Za-z][\w'-]*|-?\d+(?:\.\d+)?")


class _Words:
    """The user's text, read for values: names and words, numbers, mentions."""

    def __init__(self, text: str, skip: frozenset[str]) -> None:
        self.text = text
        self.lowered = " " + re.sub(r"[^a-z0-9]+", " ", text.lower()) + " "
        tokens = [(m.group(0), m.start()) for m in _TOKEN.finditer(text)]
        initial = set()
        for i, (_, start) in enumerate(tokens):
            before = text[tokens[i - 1][1] : start] if i else text[:start]
            if i == 0 or re.search(r"[.!?]", before):
                initial.add(i)
        self.numbers: list[float] = []
        self._lower_tokens = [w.lower() for w, _ in tokens]
        self._number_at: dict[int, float] = {}
        for i, (word, _) in enumerate(tokens):
            if re.fullmatch(r"-?\d+(?:\.\d+)?", word):
                self._number_at[i] = float(word)
            elif word.lower() in _NUMBER_WORDS:
                self._number_at[i] = float(_NUMBER_WORDS[word.lower()])
        self.numbers = list(self._number_at.values())

        def usable(i: int) -> bool:
            word = tokens[i][0].lower()
            return (
                word not in _COMMON
                and word not in skip
                and word not in _NUMBER_WORDS
                and not word[0].isdigit()
                and not word.startswith("-")
            )

        names: list[str] = []
        run: list[str] = []
        for i, (word, _) in enumerate(tokens):
            capital = word[0].isupper() and usable(i)
            if capital and (i not in initial or run or self._next_capital(tokens, i)):
                run.append(word)
                continue
            if run:
                names.append(" ".join(run))
                run = []
        if run:
            names.append(" ".join(run))
        after_prep = [
            tokens[i][0]
            for i in range(1, len(tokens))
            if tokens[i - 1][0].lower() in _PREPOSITIONS and usable(i)
        ]
        others = sorted(
            (tokens[i][0] for i in range(len(tokens)) if usable(i)),
            key=len,
            reverse=True,
        )
        last = sorted(
            (w for w, _ in tokens if not w[0].isdigit() and w[0] != "-"),
            key=len,
            reverse=True,
        )
        self.candidates = _unique([*names, *after_prep, *others, *last])
        self._word_pos = 0
        self._number_pos = 0

    @staticmethod
    def _next_capital(tokens: list[tuple[str, int]], i: int) -> bool:
        return i + 1 < len(tokens) and tokens[i + 1][0][0].isupper()

    def next_word(self) -> str | None:
        """The next string candidate (they repeat from the first when used up)."""
        if not self.candidates:
            return None
        word = self.candidates[self._word_pos % len(self.candidates)]
        self._word_pos += 1
        return word

    def number_near(self, name: str) -> float | None:
        """A number said right before or after the parameter's name ("8 sides")."""
        stems = {p.rstrip("s") for p in re.split(r"[^a-z0-9]+", name.lower()) if p}
        for i, word in enumerate(self._lower_tokens):
            if word.rstrip("s") in stems:
                for j in (i - 1, i + 1):
                    if j in self._number_at:
                        return self._number_at[j]
        return None

    def next_number(self) -> float | None:
        """The next number said, or ``None`` once all were taken."""
        if self._number_pos >= len(self.numbers):
            return None
        number = self.numbers[self._number_pos]
        self._number_pos += 1
        return number

    def mentions(self, phrase: str) -> bool:
        """Whether the text names ``phrase`` (case, ``_`` and ``-`` ignored)."""
        words = re.sub(r"[^a-z0-9]+", " ", phrase.lower()).strip()
        return bool(words) and f" {words} " in self.lowered

    def named_choice(self, choices: list[Any]) -> Any:
        """The choice the text names first, else ``None``."""
        best: tuple[int, Any] | None = None
        for choice in choices:
            if isinstance(choice, str) and self.mentions(choice):
                words = re.sub(r"[^a-z0-9]+", " ", choice.lower()).strip()
                at = self.lowered.find(f" {words} ")
                if best is None or at < best[0]:
                    best = (at, choice)
            elif (
                isinstance(choice, (int, float))
                and not isinstance(choice, bool)
                and float(choice) in self.numbers
            ):
                at = self.numbers.index(float(choice))
                if best is None:
                    best = (at, choice)
        return None if best is None else best[1]


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        if value.lower() not in seen:
            seen.add(value.lower())
            out.append(value)
    return out


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _value(schema: Any, words: _Words, name: str) -> Any:
    """A value for one schema, by the rules of the module docstring."""
    if not isinstance(schema, dict):
        return words.next_word() or ""
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        named = words.named_choice(enum)
        return enum[0] if named is None else named
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            usable = [
                o
                for o in options
                if not (isinstance(o, dict) and o.get("type") == "null")
            ]
            choice = usable[0] if usable else options[0]
            return _value(choice, words, name)
    kind = _kind(schema)
    if kind == "object":
        return _object(schema, words)
    if kind == "array":
        return _array(schema, words, name)
    if kind in ("integer", "number"):
        return _number(schema, words, name, integer=kind == "integer")
    if kind == "boolean":
        if name and words.mentions(name):
            return True
        default = schema.get("default")
        return default if isinstance(default, bool) else False
    if kind == "null":
        return None
    return _string(schema, words)


def _object(schema: dict[str, Any], words: _Words) -> dict[str, Any]:
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    required = schema.get("required")
    required = (
        [r for r in required if isinstance(r, str)]
        if isinstance(required, list)
        else []
    )
    out: dict[str, Any] = {}
    for name, spec in props.items():
        if name in required:
            out[name] = _value(spec, words, name)
        elif isinstance(spec, dict) and isinstance(spec.get("enum"), list):
            named = words.named_choice(spec["enum"])
            if named is not None:
                out[name] = named
    for name in required:
        if name not in out:  # required but not described: a string
            out[name] = _value({}, words, name)
    return out


def _array(schema: dict[str, Any], words: _Words, name: str) -> list[Any]:
    low = schema.get("minItems")
    high = schema.get("maxItems")
    count = max(1, low if isinstance(low, int) else 0)
    if isinstance(high, int):
        count = min(count, high)
    return [_value(schema.get("items", {}), words, name) for _ in range(count)]


def _number(
    schema: dict[str, Any], words: _Words, name: str, *, integer: bool
) -> int | float:
    said = words.number_near(name) if name else None
    if said is None:
        said = words.next_number()
    default = schema.get("default")
    if said is not None:
        value: float = said
    elif isinstance(default, (int, float)) and not isinstance(default, bool):
        value = default
    else:
        value = 1
    low, high = schema.get("minimum"), schema.get("maximum")
    step = 1 if integer else 0
    if isinstance(schema.get("exclusiveMinimum"), (int, float)):
        low = schema["exclusiveMinimum"] + (step or 1e-6)
    if isinstance(schema.get("exclusiveMaximum"), (int, float)):
        high = schema["exclusiveMaximum"] - (step or 1e-6)
    if isinstance(low, (int, float)) and value < low:
        value = low
    if isinstance(high, (int, float)) and value > high:
        value = high
    if integer:
        return round(value)
    return int(value) if float(value).is_integer() else value


def _string(schema: dict[str, Any], words: _Words) -> str:
    default = schema.get("default")
    word = words.next_word()
    if word is None:
        word = default if isinstance(default, str) else ""
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(word) < low:
        word = word + "x" * (low - len(word))
    if isinstance(high, int):
        word = word[:high]
    return word


def tool_arguments(tool: FunctionTool, user_text: str) -> str:
    """The JSON arguments of a mock call of ``tool``, read from ``user_text``.

    Args:
        tool: The function tool (its ``parameters`` JSON schema).
        user_text: What the user said (text, or the text of a synth_speech marker).

    Returns:
        A JSON object, as ``response.function_call_arguments.done`` carries it.
    """
    name = tool.name if isinstance(tool.name, str) else ""
    skip = frozenset(p for p in re.split(r"[^a-z0-9]+", name.lower()) if p)
    skip |= {name.lower()}
    words = _Words(user_text, skip)
    params = tool.parameters if isinstance(tool.parameters, dict) else {}
    args = _object(params, words) if _kind(params) == "object" else {}
    return json.dumps(args, separators=(", ", ": "))
