"""JSON and base64 backends: orjson and pybase64 when installed, the stdlib otherwise.

Both backends give identical results on valid input: compact separators, UTF-8 output,
and non-finite numbers (``NaN``, ``Infinity``), which are not JSON, rejected on decode.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from realtime_sync import _b64

__all__ = [
    "HAVE_ORJSON",
    "HAVE_PYBASE64",
    "JSONDecodeError",
    "b64decode",
    "b64encode",
    "dumps",
    "loads",
    "raw_dumps",
    "raw_loads",
]


class JSONDecodeError(ValueError):
    """The text is not valid JSON (raised by both backends)."""


def _reject_constant(name: str) -> Any:
    # json.loads accepts NaN/Infinity, which are not JSON; orjson rejects them.
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    # json.loads turns an out-of-range number (1e400) into inf; orjson rejects it.
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text} is out of range")
    return value


_std_decoder = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_finite_float
)
_std_encoder = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False
)


def _std_loads(data: str | bytes) -> Any:
    try:
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data).decode("utf-8")
        return _std_decoder.decode(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise JSONDecodeError(str(exc)) from exc


def _std_dumps(obj: Any) -> str:
    return _std_encoder.encode(obj)


def _std_dumps_bytes(obj: Any) -> bytes:
    return _std_encoder.encode(obj).encode("utf-8")


try:
    import orjson
except ImportError:  # pragma: no cover - exercised when the fast extra is missing
    HAVE_ORJSON = False
    loads: Callable[[str | bytes], Any] = _std_loads
    dumps: Callable[[Any], str] = _std_dumps
    raw_loads: Callable[[str | bytes], Any] = _std_loads
    raw_dumps: Callable[[Any], bytes] = _std_dumps_bytes
else:
    HAVE_ORJSON = True
    _orjson_loads = orjson.loads
    _orjson_dumps = orjson.dumps
    _OrjsonError = orjson.JSONDecodeError
    #: The backend's own loads; raises the backend's errors (for the hot path).
    raw_loads = orjson.loads
    #: The backend's own dumps, to UTF-8 bytes; raises the backend's errors (orjson:
    #: a TypeError, also for documents nested deeper than 254 levels).
    raw_dumps = orjson.dumps

    def loads(data: str | bytes) -> Any:
        """Parse JSON text or UTF-8 bytes."""
        try:
            return _orjson_loads(data)
        except _OrjsonError as exc:
            raise JSONDecodeError(str(exc)) from exc

    _OrjsonEncodeError = orjson.JSONEncodeError

    def dumps(obj: Any) -> str:
        """Serialise to compact JSON text."""
        try:
            return _orjson_dumps(obj).decode("utf-8")
        except _OrjsonEncodeError:
            # orjson refuses documents nested deeper than 254 levels although its
            # loads() accepts 1024: what was decoded must encode again. The stdlib
            # encoder goes as deep as the recursion limit; its own errors stand.
            return _std_dumps(obj)


#: Base64 (strict), from the package's one backend.
HAVE_PYBASE64 = _b64.HAVE_PYBASE64
b64encode = _b64.encode


def b64decode(text: str | bytes) -> bytes:
    """Decode standard base64 (padded); ValueError on bad input."""
    return _b64.decode(text, validate=True)
