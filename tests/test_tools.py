"""Function tools: schemas from hints, the registry, and the executor (no sockets)."""

from __future__ import annotations

import enum
import json
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, Literal, Optional, TypedDict

import attrs
import pytest
from typing_extensions import NotRequired

from realtime_sync.events import UNSET, FunctionTool
from realtime_sync.tools import Tool, ToolExecutor, ToolRegistry, tool_from_function
from tests.helpers import EventRecorder

# -- types used by the tools under test (module level, so string hints resolve) -------


class Unit(enum.Enum):
    CELSIUS = "c"
    FAHRENHEIT = "f"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Mixed(enum.Enum):
    NAME = "name"
    NUMBER = 7


@attrs.frozen
class Point:
    """A point.

    Attributes:
        x: Horizontal position.
        y: Vertical position.
    """

    x: int
    y: float = 0.0


@attrs.frozen
class Route:
    """A route between points.

    Attributes:
        name: What to call it.
    """

    name: str
    stops: list[Point]
    start: Point | None = None


@attrs.frozen
class Positive:
    value: int = attrs.field(validator=attrs.validators.gt(0))


@attrs.frozen
class Node:
    child: Node | None = None


class Address(TypedDict):
    """A postal address.

    Attributes:
        street: Street and number.
    """

    street: str
    zip: NotRequired[str]


class Flags(TypedDict, total=False):
    verbose: bool
    level: Level


POINT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "x": {"type": "integer", "description": "Horizontal position."},
        "y": {"type": "number", "description": "Vertical position."},
    },
    "required": ["x"],
    "additionalProperties": False,
}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _params(fn: Callable[..., Any]) -> dict[str, Any]:
    return tool_from_function(fn).parameters


# -- schemas ------------------------------------------------------------------------------


def test_primitive_types_map_to_json_types() -> None:
    """str, int, float and bool become string, integer, number and boolean."""

    def f(s: str, i: int, x: float, b: bool) -> None: ...

    assert _params(f) == _object(
        {
            "s": {"type": "string"},
            "i": {"type": "integer"},
            "x": {"type": "number"},
            "b": {"type": "boolean"},
        },
        ["s", "i", "x", "b"],
    )


def test_enums_list_their_values_typed_by_value_type() -> None:
    """An Enum becomes an enum of its values; the type follows the values' JSON type."""

    def f(unit: Unit, level: Level, mixed: Mixed) -> None: ...

    assert _params(f)["properties"] == {
        "unit": {"type": "string", "enum": ["c", "f"]},
        "level": {"type": "integer", "enum": [1, 2]},
        "mixed": {"enum": ["name", 7]},
    }


def test_literal_becomes_enum() -> None:
    """Literal values become an enum, typed when they share one JSON type."""

    def f(
        mode: Literal["fast", "slow"], n: Literal[1, 2, 3], m: Literal["a", 1]
    ) -> None: ...

    assert _params(f)["properties"] == {
        "mode": {"type": "string", "enum": ["fast", "slow"]},
        "n": {"type": "integer", "enum": [1, 2, 3]},
        "m": {"enum": ["a", 1]},
    }


def test_list_and_dict_nest() -> None:
    """list[T] is an array of T and dict[str, T] an object of T, at any depth."""

    def f(
        grid: list[list[int]], scores: dict[str, float], tags: dict[str, list[Unit]]
    ) -> None: ...

    assert _params(f)["properties"] == {
        "grid": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "integer"}},
        },
        "scores": {"type": "object", "additionalProperties": {"type": "number"}},
        "tags": {
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": {"type": "string", "enum": ["c", "f"]},
            },
        },
    }


def test_optional_and_unions_become_any_of() -> None:
    """Optional[T] and T | None add a null branch; other unions list their members."""

    def f(
        a: Optional[int],  # noqa: UP045 - the typing spelling is what is under test
        b: str | None = None,
        c: int | str = 0,
    ) -> None: ...

    assert _params(f) == _object(
        {
            "a": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "b": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "c": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        },
        ["a"],
    )


def test_attrs_classes_become_closed_objects_with_field_docs() -> None:
    """An attrs class is an object of its fields, described by its Attributes section."""

    def f(route: Route) -> None: ...

    assert _params(f)["properties"]["route"] == _object(
        {
            "name": {"type": "string", "description": "What to call it."},
            "stops": {"type": "array", "items": POINT_SCHEMA},
            "start": {"anyOf": [POINT_SCHEMA, {"type": "null"}]},
        },
        ["name", "stops"],
    )


def test_typeddicts_mark_required_keys() -> None:
    """TypedDict keys are required unless NotRequired or the dict is total=False."""

    def f(address: Address, flags: Flags) -> None: ...

    assert _params(f)["properties"] == {
        "address": _object(
            {
                "street": {"type": "string", "description": "Street and number."},
                "zip": {"type": "string"},
            },
            ["street"],
        ),
        "flags": _object(
            {
                "verbose": {"type": "boolean"},
                "level": {"type": "integer", "enum": [1, 2]},
            },
            [],
        ),
    }


def test_parameters_with_defaults_are_optional() -> None:
    """Required means no default; a None default does not make a type nullable by itself."""

    def f(a: int, *, b: int = 1, c: int | None = None, d: int | None) -> None: ...

    params = _params(f)

    assert params["required"] == ["a", "d"]
    assert params["properties"]["b"] == {"type": "integer"}
    assert params["additionalProperties"] is False


def test_docstring_gives_description_and_parameter_docs() -> None:
    """The first paragraph is the description; Args entries describe parameters."""

    def get_weather(city: str, unit: Unit = Unit.CELSIUS, days: int = 1) -> None:  # noqa: D417 - days is undocumented on purpose
        """Get the weather
        for a city.

        Uses a made-up service.

        Args:
            city: The city name,
                e.g. Paris.
            unit (Unit): Temperature unit.

        Returns:
            Nothing.
        """  # noqa: D205 - a two-line summary on purpose

    tool = tool_from_function(get_weather)

    assert tool.name == "get_weather"
    assert tool.description == "Get the weather for a city."
    assert tool.parameters["properties"] == {
        "city": {"type": "string", "description": "The city name, e.g. Paris."},
        "unit": {
            "type": "string",
            "enum": ["c", "f"],
            "description": "Temperature unit.",
        },
        "days": {"type": "integer"},
    }


def test_name_description_and_timeout_overrides() -> None:
    """Explicit name, description and timeout win over the function's."""

    def f() -> None:
        """Ignored."""

    tool = tool_from_function(f, name="lookup", description="Look it up.", timeout=2.5)

    assert (tool.name, tool.description, tool.timeout) == ("lookup", "Look it up.", 2.5)
    assert tool.parameters == _object({}, [])


def test_to_function_tool_builds_the_session_entry() -> None:
    """to_function_tool gives a FunctionTool with a copy of the schema."""

    def ping(host: str) -> str:
        """Ping a host."""
        return host

    tool = tool_from_function(ping)
    function_tool = tool.to_function_tool()
    schema: dict[str, Any] = function_tool.parameters  # type: ignore[assignment]
    schema["properties"]["host"]["type"] = "integer"

    assert function_tool.name == "ping"
    assert function_tool.type == "function"
    assert function_tool.description == "Ping a host."
    assert tool.parameters == _object({"host": {"type": "string"}}, ["host"])


def test_missing_docstring_leaves_description_unset() -> None:
    """Without a docstring the description is empty and left out of the FunctionTool."""

    def bare(x: int) -> int:
        return x

    tool = tool_from_function(bare)

    assert tool.description == ""
    assert tool.to_function_tool() == FunctionTool(
        name="bare",
        description=UNSET,
        parameters=_object({"x": {"type": "integer"}}, ["x"]),
    )


def _varargs(*args: int) -> None: ...


def _varkw(**kwargs: int) -> None: ...


def _posonly(a: int, /) -> None: ...


def _unannotated(a) -> None:  # type: ignore[no-untyped-def,unused-ignore]
    ...


def _any(payload: Any) -> None: ...


def _set(items: set[int]) -> None: ...


def _bare_list(items: list) -> None:  # type: ignore[type-arg]
    ...


def _int_keys(m: dict[int, str]) -> None: ...


def _tuple(t: tuple[int, int]) -> None: ...


def _nested_bad(route: list[dict[str, Any]]) -> None: ...


def _recursive(node: Node) -> None: ...


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (_varargs, "parameter 'args' of '_varargs': *args is not supported"),
        (_varkw, "parameter 'kwargs' of '_varkw': **kwargs is not supported"),
        (_posonly, "parameter 'a' of '_posonly': positional-only parameters"),
        (
            _unannotated,
            "parameter 'a' of '_unannotated': a type annotation is required",
        ),
        (_any, "parameter 'payload' of '_any': unsupported type annotation typing.Any"),
        (_set, "parameter 'items' of '_set': unsupported type annotation set[int]"),
        (_bare_list, "parameter 'items' of '_bare_list': list needs an element type"),
        (_int_keys, "parameter 'm' of '_int_keys': dict needs str keys"),
        (_tuple, "parameter 't' of '_tuple': unsupported type annotation"),
        (
            _nested_bad,
            "parameter 'route' of '_nested_bad': unsupported type annotation",
        ),
        (_recursive, "parameter 'node' of '_recursive' > Node.child: recursive type"),
    ],
)
def test_unsupported_signatures_raise_type_error(
    fn: Callable[..., Any], message: str
) -> None:
    """Unsupported parameters raise TypeError naming the parameter."""
    with pytest.raises(TypeError) as info:
        tool_from_function(fn)

    assert str(info.value).startswith(message)


def test_invalid_name_or_timeout_raises_value_error() -> None:
    """A lambda's name or a non-positive timeout is refused."""
    with pytest.raises(ValueError, match="tool name '<lambda>'"):
        tool_from_function(lambda: None)
    with pytest.raises(ValueError, match="timeout must be a positive"):
        _tool("x", timeout=0)


# -- argument parsing ------------------------------------------------------------------


def _everything(
    unit: Unit,
    level: Level,
    point: Point,
    route: Route | None = None,
    address: Address | None = None,
    ratio: float = 1.0,
    counts: dict[str, list[int]] | None = None,
) -> None: ...


EVERYTHING = tool_from_function(_everything)


def test_arguments_convert_to_enums_attrs_and_floats() -> None:
    """Enums come by value, attrs classes from objects, TypedDicts stay dicts."""
    arguments = {
        "unit": "f",
        "level": 2,
        "point": {"x": 1, "y": 2},
        "route": {"name": "r", "stops": [{"x": 3}], "start": None},
        "address": {"street": "Main St 1"},
        "ratio": 3,
        "counts": {"a": [1, 2]},
    }

    kwargs = EVERYTHING.parse_arguments(json.dumps(arguments))

    assert kwargs == {
        "unit": Unit.FAHRENHEIT,
        "level": Level.HIGH,
        "point": Point(x=1, y=2.0),
        "route": Route(name="r", stops=[Point(x=3)], start=None),
        "address": {"street": "Main St 1"},
        "ratio": 3.0,
        "counts": {"a": [1, 2]},
    }
    assert type(kwargs["ratio"]) is float
    assert type(kwargs["point"].y) is float


def test_omitted_optional_arguments_are_left_to_defaults() -> None:
    """Absent optional parameters are not passed; an empty string is {}."""

    def f(a: int = 5) -> None: ...

    tool = tool_from_function(f)

    assert tool.parse_arguments('{"a": 1}') == {"a": 1}
    assert tool.parse_arguments("{}") == {}
    assert tool.parse_arguments("") == {}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("{", "arguments are not valid JSON: Expecting property name"),
        ('{"unit": NaN}', "arguments are not valid JSON: NaN is not allowed"),
        ("[1]", "arguments must be a JSON object, got array"),
        ('{"level": 1, "point": {"x": 1}}', "missing required argument 'unit'"),
        (
            '{"unit": "c", "level": 1, "point": {"x": 1}, "z": 0}',
            "unexpected argument 'z'",
        ),
        (
            '{"unit": "k", "level": 1, "point": {"x": 1}}',
            'expected one of ["c", "f"] at $.unit, got string "k"',
        ),
        (
            '{"unit": "c", "level": true, "point": {"x": 1}}',
            "expected one of [1, 2] at $.level, got boolean true",
        ),
        (
            '{"unit": "c", "level": 1, "point": {"x": 3.0}}',
            "expected integer at $.point.x, got number 3.0",
        ),
        (
            '{"unit": "c", "level": 1, "point": {"x": "3"}}',
            'expected integer at $.point.x, got string "3"',
        ),
        (
            '{"unit": "c", "level": 1, "point": {"y": 1}}',
            "missing required key 'x' at $.point",
        ),
        (
            '{"unit": "c", "level": 1, "point": {"x": 1, "w": 1}}',
            "unexpected key 'w' at $.point",
        ),
        (
            '{"unit": "c", "level": 1, "point": [1]}',
            "expected object at $.point, got array",
        ),
        (
            '{"unit": "c", "level": 1, "point": {"x": 1}, "route": {"name": "r", "stops": [{"x": 1}, {"x": null}]}}',
            "expected integer at $.route.stops[1].x, got null",
        ),
        (
            '{"unit": "c", "level": 1, "point": {"x": 1}, "ratio": "1"}',
            'expected number at $.ratio, got string "1"',
        ),
        (
            '{"unit": "c", "level": 1, "point": {"x": 1}, "counts": {"a b": [true]}}',
            'expected integer at $.counts["a b"][0], got boolean true',
        ),
        (
            '{"unit": "c", "level": 1, "point": null}',
            "expected object at $.point, got null",
        ),
    ],
)
def test_invalid_arguments_name_the_path(arguments: str, message: str) -> None:
    """Bad JSON or values that do not fit the hints raise ValueError with the path."""
    with pytest.raises(ValueError) as info:
        EVERYTHING.parse_arguments(arguments)

    assert str(info.value).startswith(message)


def test_attrs_validators_become_invalid_arguments() -> None:
    """An attrs validator that rejects a value is reported as a bad argument."""

    def f(p: Positive) -> None: ...

    with pytest.raises(
        ValueError, match=r"invalid Positive: ValueError: 'value' must be > 0"
    ):
        tool_from_function(f).parse_arguments('{"p": {"value": -1}}')


# -- registry ---------------------------------------------------------------------------


def _tool(name: str, fn: Callable[..., Any] | None = None, **kwargs: Any) -> Tool:
    def default() -> str:
        return name

    return tool_from_function(fn or default, name=name, **kwargs)


def test_registry_keeps_registration_order() -> None:
    """Tools are listed, iterated and converted in registration order."""
    registry = ToolRegistry([_tool("b"), _tool("a")])
    registry.add(_tool("c"))

    assert [t.name for t in registry] == ["b", "a", "c"]
    assert [t.name for t in registry.function_tools()] == ["b", "a", "c"]
    assert len(registry) == 3
    assert "a" in registry


def test_registry_add_remove_get() -> None:
    """Duplicates raise unless replaced; remove returns the tool; get gives None."""
    registry = ToolRegistry()
    first, second = _tool("t"), _tool("t", description="new")
    registry.add(first)

    with pytest.raises(ValueError, match="already registered"):
        registry.add(second)
    registry.add(second, replace=True)

    assert registry.get("t") is second
    assert registry.remove("t") is second
    assert registry.get("t") is None
    with pytest.raises(KeyError):
        registry.remove("t")
    with pytest.raises(TypeError, match="expected a Tool"):
        registry.add(print)  # type: ignore[arg-type]


def test_registry_is_thread_safe() -> None:
    """Concurrent adds from several threads lose no tool."""
    registry = ToolRegistry()
    start = threading.Event()

    def add_many(prefix: str) -> None:
        start.wait(5.0)
        for i in range(50):
            registry.add(_tool(f"{prefix}{i}"))

    threads = [threading.Thread(target=add_many, args=(f"t{n}_",)) for n in range(4)]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(5.0)

    assert len(registry) == 200
    assert len({t.name for t in registry}) == 200


# -- executor ---------------------------------------------------------------------------


class Results:
    """on_result recorder: (call_id, output, thread name) per answer."""

    def __init__(self) -> None:
        self.recorder = EventRecorder()

    def __call__(self, call_id: str, output: str) -> None:
        self.recorder((call_id, output, threading.current_thread().name))

    def wait(self, count: int = 1) -> list[tuple[str, str, str]]:
        return self.recorder.wait_until(lambda items: len(items) >= count)

    def outputs(self, count: int = 1) -> dict[str, Any]:
        return {call_id: json.loads(out) for call_id, out, _ in self.wait(count)}


@pytest.fixture
def registry() -> ToolRegistry:
    return ToolRegistry()


@pytest.fixture
def executor(registry: ToolRegistry) -> Iterator[ToolExecutor]:
    executor = ToolExecutor(registry)
    yield executor
    executor.shutdown()


def test_result_is_json_of_the_return_value(
    registry: ToolRegistry, executor: ToolExecutor
) -> None:
    """Return values become JSON: attrs via asdict, Enums by value, None as null."""
    registry.add(_tool("route", lambda: Route(name="r", stops=[Point(x=1)])))
    registry.add(
        _tool("plain", lambda: {"unit": Unit.CELSIUS, "when": 1.5, "text": "é"})
    )
    registry.add(_tool("nothing", lambda: None))
    registry.add(_tool("other", lambda: {"x": Unknown()}))
    results = Results()

    for name in ("route", "plain", "nothing", "other"):
        executor.submit(name, name, "{}", results)
    raw = {call_id: out for call_id, out, _ in results.wait(4)}

    assert json.loads(raw["route"]) == {
        "name": "r",
        "stops": [{"x": 1, "y": 0.0}],
        "start": None,
    }
    assert raw["plain"] == '{"unit": "c", "when": 1.5, "text": "é"}'
    assert raw["nothing"] == "null"
    assert json.loads(raw["other"]) == {"x": "<unknown>"}


class Unknown:
    def __str__(self) -> str:
        return "<unknown>"


def test_exception_becomes_error_output(
    registry: ToolRegistry, executor: ToolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    """A raising tool answers {"error", "type": "exception"} and is logged."""

    def boom(x: int) -> None:
        raise ValueError(f"bad x {x}")

    registry.add(_tool("boom", boom))
    results = Results()

    with caplog.at_level(logging.ERROR, logger="realtime_sync.tools"):
        executor.submit("c1", "boom", '{"x": 7}', results)
        outputs = results.outputs()

    assert outputs == {"c1": {"error": "ValueError: bad x 7", "type": "exception"}}
    assert "tool 'boom' (call c1) raised" in caplog.text


def test_unserializable_result_becomes_error_output(
    registry: ToolRegistry, executor: ToolExecutor
) -> None:
    """A result JSON cannot hold (NaN) answers an exception error."""
    registry.add(_tool("nan", lambda: math.nan))
    results = Results()

    executor.submit("c1", "nan", "", results)

    assert results.outputs()["c1"]["type"] == "exception"


def test_timeout_answers_within_the_timeout(
    registry: ToolRegistry, executor: ToolExecutor
) -> None:
    """A slow tool answers a timeout error after ``timeout``; its late result is dropped."""
    release = threading.Event()

    def slow() -> str:
        release.wait(10.0)
        return "late"

    registry.add(_tool("slow", slow, timeout=0.2))
    results = Results()
    started = time.monotonic()

    executor.submit("c1", "slow", "{}", results)
    outputs = results.outputs()
    elapsed = time.monotonic() - started
    release.set()
    executor.shutdown()

    assert outputs == {
        "c1": {
            "error": "tool 'slow' did not finish within 0.2 seconds",
            "type": "timeout",
        }
    }
    assert 0.15 <= elapsed < 2.0
    assert len(results.wait()) == 1


def test_queued_call_that_times_out_never_runs(registry: ToolRegistry) -> None:
    """A call still queued at its deadline is answered with a timeout and skipped."""
    release = threading.Event()
    ran: list[str] = []

    def block() -> None:
        release.wait(10.0)

    def quick() -> None:
        ran.append("quick")

    registry.add(_tool("block", block, timeout=30.0))
    registry.add(_tool("quick", quick, timeout=0.1))
    executor = ToolExecutor(registry, max_workers=1)
    results = Results()

    executor.submit("c1", "block", "{}", results)
    executor.submit("c2", "quick", "{}", results)
    outputs = results.outputs()
    release.set()
    executor.shutdown()

    assert outputs["c2"]["type"] == "timeout"
    assert ran == []
    assert [call_id for call_id, _, _ in results.wait(2)] == ["c2", "c1"]


def test_unknown_tool(registry: ToolRegistry, executor: ToolExecutor) -> None:
    """An unregistered name answers unknown_tool, listing the available tools."""
    registry.add(_tool("known"))
    results = Results()

    executor.submit("c1", "nope", "{}", results)

    assert results.outputs() == {
        "c1": {
            "error": "unknown tool 'nope'; available tools: 'known'",
            "type": "unknown_tool",
        }
    }


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (
            '{"x": ',
            "arguments are not valid JSON: Expecting value: line 1 column 7 (char 6)",
        ),
        ('{"x": 3.0}', "expected integer at $.x, got number 3.0"),
        ('{"x": 1, "y": 2}', "unexpected argument 'y'"),
        ("{}", "missing required argument 'x'"),
    ],
)
def test_invalid_arguments_answer_an_error(
    registry: ToolRegistry, executor: ToolExecutor, arguments: str, error: str
) -> None:
    """Unparseable or ill-typed arguments answer invalid_arguments; the tool never runs."""
    ran = threading.Event()

    def f(x: int) -> None:
        ran.set()

    registry.add(_tool("f", f))
    results = Results()

    executor.submit("c1", "f", arguments, results)

    assert results.outputs() == {"c1": {"error": error, "type": "invalid_arguments"}}
    assert not ran.is_set()


def test_executor_converts_enum_and_attrs_arguments(
    registry: ToolRegistry, executor: ToolExecutor
) -> None:
    """The function receives Enum members and attrs instances."""
    seen: list[Any] = []

    def move(unit: Unit, to: Point) -> dict[str, Any]:
        seen.extend([unit, to])
        return {"unit": unit, "to": to}

    registry.add(_tool("move", move))
    results = Results()

    executor.submit("c1", "move", '{"unit": "f", "to": {"x": 2, "y": 1}}', results)

    assert results.outputs() == {"c1": {"unit": "f", "to": {"x": 2, "y": 1.0}}}
    assert seen == [Unit.FAHRENHEIT, Point(x=2, y=1.0)]


def test_never_runs_on_the_submitting_thread(
    registry: ToolRegistry, executor: ToolExecutor
) -> None:
    """The function and on_result run on realtime-sync-tool threads, not the caller's."""
    threads: list[threading.Thread] = []
    registry.add(_tool("where", lambda: threads.append(threading.current_thread())))
    results = Results()

    executor.submit("c1", "where", "{}", results)
    executor.submit("c2", "missing", "{}", results)
    answers = results.wait(2)

    assert threads[0] is not threading.current_thread()
    assert threads[0].name.startswith("realtime-sync-tool")
    assert all(name.startswith("realtime-sync-tool") for _, _, name in answers)


def test_exactly_one_answer_per_call_under_concurrency(registry: ToolRegistry) -> None:
    """50 calls from 5 threads, racing a tight timeout, get exactly one answer each."""

    def add(a: int, b: int) -> int:
        return a + b

    registry.add(_tool("add", add, timeout=0.005))
    executor = ToolExecutor(registry, max_workers=8)
    results = Results()
    go = threading.Event()

    def submit_ten(first: int) -> None:
        go.wait(5.0)
        for i in range(first, first + 10):
            executor.submit(f"c{i}", "add", json.dumps({"a": i, "b": 1}), results)

    submitters = [threading.Thread(target=submit_ten, args=(n * 10,)) for n in range(5)]
    for thread in submitters:
        thread.start()
    go.set()
    for thread in submitters:
        thread.join(5.0)
    outputs = results.outputs(50)
    executor.shutdown()

    assert Counter(call_id for call_id, _, _ in results.wait(50)) == {
        f"c{i}": 1 for i in range(50)
    }
    for i in range(50):
        assert outputs[f"c{i}"] == i + 1 or outputs[f"c{i}"]["type"] == "timeout"


def test_on_result_that_raises_is_logged(
    registry: ToolRegistry, executor: ToolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    """An on_result that raises is logged and the executor keeps working."""
    registry.add(_tool("t"))
    results = Results()

    def bad_callback(call_id: str, output: str) -> None:
        raise RuntimeError("callback failed")

    with caplog.at_level(logging.ERROR, logger="realtime_sync.tools"):
        executor.submit("c1", "t", "{}", bad_callback)
        executor.submit("c2", "t", "{}", results)
        outputs = results.outputs()
        executor.shutdown()

    assert outputs == {"c2": "t"}
    assert "on_result raised for tool 't' (call c1)" in caplog.text


def test_submit_after_shutdown_raises(registry: ToolRegistry) -> None:
    """Submitting to a shut-down executor is a RuntimeError; shutdown is idempotent."""
    executor = ToolExecutor(registry)
    executor.shutdown()
    executor.shutdown()

    with pytest.raises(RuntimeError, match="after the executor has been shut down"):
        executor.submit("c1", "t", "{}", Results())


def test_shutdown_with_timeout_cancels_unanswered_calls(registry: ToolRegistry) -> None:
    """shutdown(timeout=...) answers calls still running with a cancelled error."""
    release = threading.Event()
    started = threading.Event()

    def stuck() -> None:
        started.set()
        release.wait(10.0)

    registry.add(_tool("stuck", stuck, timeout=30.0))
    executor = ToolExecutor(registry, max_workers=1)
    results = Results()
    executor.submit("c1", "stuck", "{}", results)
    executor.submit("c2", "stuck", "{}", results)
    assert started.wait(5.0)

    executor.shutdown(timeout=0.05)
    outputs = results.outputs(2)
    release.set()

    assert outputs == {
        "c1": {"error": "the tool executor was shut down", "type": "cancelled"},
        "c2": {"error": "the tool executor was shut down", "type": "cancelled"},
    }


def test_shutdown_from_a_tool_does_not_wait_for_itself(registry: ToolRegistry) -> None:
    """A tool may shut its own executor down: it returns, is answered, its thread ends."""
    holder: list[ToolExecutor] = []
    registry.add(_tool("stop", lambda: holder[0].shutdown()))
    executor = ToolExecutor(registry)
    holder.append(executor)
    results = Results()

    executor.submit("c1", "stop", "{}", results)
    outputs = results.outputs()
    executor.shutdown()

    assert outputs == {"c1": None}  # its own answer (None), not "cancelled"
    with pytest.raises(RuntimeError):
        executor.submit("c2", "stop", "{}", results)


@pytest.mark.parametrize(
    "kwargs",
    [{"default_timeout": 0}, {"default_timeout": -1.0}, {"max_workers": 0}],
)
def test_executor_arguments_are_checked(
    registry: ToolRegistry, kwargs: dict[str, Any]
) -> None:
    """Non-positive timeouts and pool sizes are refused."""
    with pytest.raises(ValueError):
        ToolExecutor(registry, **kwargs)


def _bare_dict(m: dict) -> None:  # type: ignore[type-arg]
    ...


def test_bare_dict_is_refused() -> None:
    """A dict without key and value types raises TypeError naming the parameter."""
    with pytest.raises(
        TypeError, match="parameter 'm' of '_bare_dict': dict needs str keys"
    ):
        tool_from_function(_bare_dict)
