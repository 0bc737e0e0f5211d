"""The event classes themselves: frozen, slotted, keyword-only, named after TYPE."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import attrs
import pytest
from hypothesis import given, settings

import realtime_sync.events as ev
from realtime_sync.events import (
    CLIENT_EVENTS,
    SERVER_EVENTS,
    UNSET,
    ClientEvent,
    Event,
    Model,
    ResponseOutputAudioDelta,
    ServerEvent,
)
from realtime_sync.protocol import Codec, _json
from realtime_sync.protocol import codec as codec_module
from tests.data import all_payloads, ga_conversation_lines
from tests.strategies import json_values

EVENT_CLASSES: list[type[Event]] = [
    *SERVER_EVENTS.values(),
    *CLIENT_EVENTS.values(),
    ev.UnknownServerEvent,
    ev.UnknownClientEvent,
]
BASE_CLASSES: list[type[Model]] = [Model, Event, ServerEvent, ClientEvent]
MODEL_CLASSES: list[type[Model]] = sorted(
    {
        v
        for v in vars(ev).values()
        if isinstance(v, type) and attrs.has(v) and issubclass(v, Model)
    }
    - set(EVENT_CLASSES)
    - set(BASE_CLASSES),
    key=lambda c: c.__name__,
)
ALL_CLASSES = EVENT_CLASSES + BASE_CLASSES + MODEL_CLASSES


def _name(cls: type) -> str:
    return cls.__name__


def _instance(cls: type[Any]) -> Any:
    """An instance with every field that has no default set to UNSET."""
    required = {
        f.name: UNSET
        for f in attrs.fields(cls)
        if f.init and f.default is attrs.NOTHING
    }
    return cls(**required)


def _cap_words(wire_type: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[._]", wire_type))


def test_event_counts() -> None:
    """48 server classes (beta-only ones included) and 12 client classes."""
    assert len(SERVER_EVENTS) == 48
    assert len(CLIENT_EVENTS) == 12
    assert len(set(SERVER_EVENTS.values())) == 48
    assert len(set(CLIENT_EVENTS.values())) == 12


@pytest.mark.parametrize(
    "cls", [*SERVER_EVENTS.values(), *CLIENT_EVENTS.values()], ids=_name
)
def test_class_name_is_cap_words_of_type(cls: type[Event]) -> None:
    """The class name is the CapWords of its wire type, and the tables agree."""
    assert cls.__name__ == _cap_words(cls.TYPE)
    table: dict[str, Any] = (
        SERVER_EVENTS if issubclass(cls, ServerEvent) else CLIENT_EVENTS
    )
    assert table[cls.TYPE] is cls


def test_cap_words_examples() -> None:
    """CapWords as the style guide spells it."""
    assert _cap_words("response.output_audio.delta") == "ResponseOutputAudioDelta"
    assert _cap_words("error") == "Error"
    assert SERVER_EVENTS["error"] is ev.Error


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=_name)
def test_class_is_frozen(cls: type[Any]) -> None:
    """Assigning to any field of an instance raises FrozenInstanceError."""
    instance = _instance(cls)

    for field in attrs.fields(cls):
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(instance, field.name, UNSET)


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=_name)
def test_class_is_slotted(cls: type[Any]) -> None:
    """Every class in the hierarchy defines ``__slots__``; instances have no dict."""
    instance = _instance(cls)

    assert "__slots__" in vars(cls)
    assert not hasattr(instance, "__dict__")
    for base in cls.__mro__:
        if attrs.has(base):
            assert "__slots__" in vars(base), base


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=_name)
def test_class_is_keyword_only(cls: type[Any]) -> None:
    """Positional construction is a TypeError; every field is keyword-only."""
    with pytest.raises(TypeError):
        cls(UNSET)
    for field in attrs.fields(cls):
        assert field.kw_only, field.name


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=_name)
def test_class_has_a_docstring(cls: type[Any]) -> None:
    """Every class has a non-empty docstring of its own."""
    doc = vars(cls).get("__doc__")

    assert doc
    assert doc.strip()


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_name)
def test_event_type_property_is_the_ga_type(cls: type[Event]) -> None:
    """``event.type`` is ``TYPE`` (Unknown events carry the received type)."""
    instance = _instance(cls)

    if cls in (ev.UnknownServerEvent, ev.UnknownClientEvent):
        assert instance.type is UNSET
    else:
        assert instance.type == cls.TYPE


# -- lazy audio ------------------------------------------------------------------------


def test_audio_delta_decodes_pcm16() -> None:
    """``ResponseOutputAudioDelta.audio`` is the base64 PCM16 as an int16 array."""
    audio = pytest.importorskip("realtime_sync.audio")
    if not hasattr(audio, "b64decode_pcm16"):
        pytest.skip("realtime_sync.audio.b64decode_pcm16 is not there yet")
    np = pytest.importorskip("numpy")
    samples = np.array([0, 1, -1, 12345, 32767, -32768], dtype="<i2")
    delta = base64.b64encode(samples.tobytes()).decode("ascii")
    event = ResponseOutputAudioDelta(
        response_id="r", item_id="i", output_index=0, content_index=0, delta=delta
    )

    decoded = event.audio

    assert decoded.dtype == np.int16
    assert decoded.tolist() == samples.tolist()


def test_recorded_audio_delta_is_100ms_at_24khz() -> None:
    """A recorded 100 ms delta decodes to 2400 samples."""
    audio = pytest.importorskip("realtime_sync.audio")
    if not hasattr(audio, "b64decode_pcm16"):
        pytest.skip("realtime_sync.audio.b64decode_pcm16 is not there yet")
    codec = Codec()
    first = next(
        line
        for line in ga_conversation_lines()
        if '"response.output_audio.delta"' in line
    )

    event = codec.decode_server(first)

    assert isinstance(event, ResponseOutputAudioDelta)
    assert event.audio.shape == (2400,)


# -- JSON backends ---------------------------------------------------------------------


def _decode_and_encode_all() -> list[tuple[Any, str]]:
    out = []
    for example in all_payloads():
        codec = Codec(example.dialect)  # type: ignore[arg-type]
        text = json.dumps(example.payload, ensure_ascii=False)
        if example.direction == "server":
            event: Any = codec.decode_server(text)
            out.append((event, codec.encode_server(event)))
        else:
            event = codec.decode_client(text)
            out.append((event, codec.encode_client(event)))
    return out


def test_orjson_and_stdlib_agree_on_every_example(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Events and encoded JSON are the same with orjson and with the stdlib backend."""
    orjson = pytest.importorskip("orjson")
    assert _json.raw_loads is orjson.loads
    with_orjson = _decode_and_encode_all()

    monkeypatch.setattr(codec_module, "_loads", _json._std_loads)
    monkeypatch.setattr(_json, "dumps", _json._std_dumps)
    with_stdlib = _decode_and_encode_all()

    assert len(with_orjson) == len(with_stdlib) > 600
    for (event_o, text_o), (event_s, text_s) in zip(
        with_orjson, with_stdlib, strict=True
    ):
        assert event_o == event_s
        assert json.loads(text_o) == json.loads(text_s)
        assert text_o == text_s


@pytest.mark.parametrize("line", ga_conversation_lines()[:40])
def test_backend_loads_agree_on_recorded_frames(line: str) -> None:
    """``_std_loads`` and orjson parse recorded frames (text and bytes) alike."""
    pytest.importorskip("orjson")

    assert _json._std_loads(line) == _json.loads(line)
    assert _json._std_loads(line.encode()) == _json.loads(line.encode())


@settings(max_examples=300)
@given(value=json_values(12))
def test_backends_agree_on_json_values(value: Any) -> None:
    """For any JSON value both backends parse the same value and write the same text."""
    pytest.importorskip("orjson")
    text = json.dumps(value, ensure_ascii=False)

    assert _json._std_loads(text) == _json.loads(text)
    assert _json._std_loads(_json._std_dumps(value)) == _json.loads(_json.dumps(value))


@pytest.mark.parametrize(
    "text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e999", "{"]
)
def test_both_backends_reject_what_is_not_json(text: str) -> None:
    """Non-finite numbers and broken text raise JSONDecodeError in both backends."""
    with pytest.raises(_json.JSONDecodeError):
        _json._std_loads(text)
    with pytest.raises(_json.JSONDecodeError):
        _json.loads(text)
