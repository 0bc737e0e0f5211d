"""The handler registry: keys, order, once, off (no sockets)."""

from __future__ import annotations

import pytest

from realtime_sync import events as ev
from realtime_sync.client._registry import HandlerRegistry


def _delta(text: str = "x") -> ev.ResponseOutputTextDelta:
    return ev.ResponseOutputTextDelta(
        event_id="e",
        response_id="r",
        item_id="i",
        output_index=0,
        content_index=0,
        delta=text,
    )


def _names(registry: HandlerRegistry, event: ev.ServerEvent) -> list[str]:
    return [e.handler.__name__ for e in registry.handlers_for(event)]


def test_specific_before_wildcard_in_registration_order() -> None:
    """Handlers of the class run first, in order, then wildcard and prefix handlers."""
    reg = HandlerRegistry()

    def w1(e: object) -> None: ...
    def s1(e: object) -> None: ...
    def p1(e: object) -> None: ...
    def s2(e: object) -> None: ...

    reg.add("*", w1, once=False)
    reg.add(ev.ResponseOutputTextDelta, s1, once=False)
    reg.add("response.*", p1, once=False)
    reg.add("response.output_text.delta", s2, once=False)
    assert _names(reg, _delta()) == ["s1", "s2", "w1", "p1"]


def test_beta_name_registers_the_same_class() -> None:
    """A beta type string and the GA class name the same handlers."""
    reg = HandlerRegistry()

    def h(e: object) -> None: ...

    reg.add("response.text.delta", h, once=False)
    assert _names(reg, _delta()) == ["h"]


def test_beta_prefix_matches_ga_events() -> None:
    """A beta prefix (``response.text.*``) matches the GA event it renames."""
    reg = HandlerRegistry()

    def h(e: object) -> None: ...

    reg.add("response.text.*", h, once=False)
    assert _names(reg, _delta()) == ["h"]
    assert _names(reg, ev.InputAudioBufferCleared(event_id="e")) == []


def test_once_runs_once_and_off_removes() -> None:
    """``once`` handlers are dropped after one event; ``remove`` unregisters."""
    reg = HandlerRegistry()

    def a(e: object) -> None: ...
    def b(e: object) -> None: ...

    reg.add(ev.ResponseOutputTextDelta, a, once=True)
    reg.add(ev.ResponseOutputTextDelta, b, once=False)
    assert _names(reg, _delta()) == ["a", "b"]
    assert _names(reg, _delta()) == ["b"]
    assert reg.remove(ev.ResponseOutputTextDelta, b) is True
    assert reg.remove(ev.ResponseOutputTextDelta, b) is False
    assert _names(reg, _delta()) == []


def test_unknown_type_string_matches_unknown_events() -> None:
    """A type string this version does not know matches UnknownServerEvent of it."""
    reg = HandlerRegistry()

    def h(e: object) -> None: ...

    reg.add("vendor.thing", h, once=False)
    assert _names(reg, ev.UnknownServerEvent(type="vendor.thing", data={})) == ["h"]
    assert _names(reg, ev.UnknownServerEvent(type="vendor.other", data={})) == []


def test_bad_keys_are_refused() -> None:
    """Non-event classes, empty strings and non-callables raise at registration."""
    reg = HandlerRegistry()
    with pytest.raises(TypeError):
        reg.add(ev.ResponseCreate, print, once=False)  # a client event
    with pytest.raises(ValueError):
        reg.add("", print, once=False)
    with pytest.raises(TypeError):
        reg.add("error", "not callable", once=False)  # type: ignore[arg-type]


def test_prefix_matches_are_remembered_but_every_change_is_seen() -> None:
    """With a "*" handler the match is cached per class; on/off/once still apply at once."""
    reg = HandlerRegistry()

    def w1(e: object) -> None: ...
    def s1(e: object) -> None: ...
    def o1(e: object) -> None: ...

    reg.add("*", w1, once=False)
    assert _names(reg, _delta()) == ["w1"]
    assert _names(reg, _delta()) == ["w1"]  # from the cache
    reg.add(ev.ResponseOutputTextDelta, s1, once=False)
    assert _names(reg, _delta()) == ["s1", "w1"]
    reg.add("response.*", o1, once=True)
    assert _names(reg, _delta()) == ["s1", "w1", "o1"]
    assert _names(reg, _delta()) == ["s1", "w1"]  # the once entry went
    assert reg.remove("*", w1)
    assert _names(reg, _delta()) == ["s1"]
    unknown = ev.UnknownServerEvent(type="vendor.thing", data={})
    reg.add("vendor.*", w1, once=False)
    assert _names(reg, unknown) == ["w1"]
    assert "vendor.thing" not in reg._cache  # server strings are never cached
