"""Sphinx configuration for the realtime_sync documentation.

Build (warnings are errors)::

    python -m sphinx -W --keep-going -b html docs /tmp/docs-out
"""

from __future__ import annotations

import os
import re
import sys

# Document the checkout this file belongs to, not some other installed copy.
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

from sphinx.application import Sphinx

import realtime_sync

project = "realtime_sync"
author = "The realtime_sync developers"
copyright = "the realtime_sync developers"
release = realtime_sync.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build"]
templates_path: list[str] = []
html_theme = "alabaster"
html_static_path: list[str] = []
html_theme_options = {
    "description": "A synchronous, threaded SDK for the OpenAI Realtime API",
    "fixed_sidebar": True,
}


# -- autodoc -------------------------------------------------------------------------

# Types go into the parameter descriptions rather than the signatures: the signatures
# of RealtimeClient and the audio helpers are long unions (numpy.typing aliases,
# attrs classes) that read badly inline.
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_member_order = "bysource"
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
}
autodoc_class_signature = "mixed"
# Not ``autodoc_preserve_defaults``: attrs generates ``__init__`` from source text such
# as ``attr_dict['extra'].default``; the evaluated defaults read better.
# Render ``str | Unset`` as written instead of expanding the alias to
# ``Literal[_UnsetType.UNSET]``.
autodoc_type_aliases = {"Unset": "realtime_sync.events.Unset"}

# -- napoleon (Google style, as STYLE.md asks) ---------------------------------------

napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_include_init_with_doc = False
# ``Attributes:`` sections become ``:ivar:`` fields of the class rather than separate
# ``.. attribute::`` entries: attrs classes also expose their fields to autodoc, and the
# two would otherwise describe the same object twice.
napoleon_use_ivar = True
napoleon_use_rtype = False

# -- the event tables of api/events.rst ----------------------------------------------
#
# The events page opens with two tables (wire type, class, what it means) built here
# from ``SERVER_EVENTS`` and ``CLIENT_EVENTS``, so they can never fall behind the code.
# The marker is an reST comment, harmless if a build ever skips this hook.

_EVENT_TABLES_MARKER = ".. event-tables"


def _summary(cls: type) -> str:
    import inspect

    doc = inspect.getdoc(cls) or ""
    paragraphs = [" ".join(p.split()) for p in doc.split("\n\n") if p.strip()]
    # The first paragraph only repeats the wire type ("Server event ``x``.").
    text = paragraphs[1] if len(paragraphs) > 1 else ""
    if text.endswith(":") or text.startswith(("Attributes", "Args")):
        return ""
    return text


def _event_table(title: str, table: dict[str, type]) -> list[str]:
    lines = [
        f".. list-table:: {title}",
        "   :header-rows: 1",
        "   :widths: 35 30 35",
        "",
        "   * - Wire type (GA)",
        "     - Class",
        "     - Meaning",
    ]
    for wire_type, cls in sorted(table.items()):
        lines += [
            f"   * - ``{wire_type}``",
            f"     - :class:`~realtime_sync.events.{cls.__name__}`",
            f"     - {_summary(cls)}",
        ]
    return [*lines, ""]


def _insert_event_tables(app: object, docname: str, source: list[str]) -> None:
    if docname != "api/events" or _EVENT_TABLES_MARKER not in source[0]:
        return
    from realtime_sync import events

    tables = _event_table("Server events", events.SERVER_EVENTS)
    tables += _event_table("Client events", events.CLIENT_EVENTS)
    source[0] = source[0].replace(_EVENT_TABLES_MARKER, "\n".join(tables))


# -- hiding private parts that Python still exposes ------------------------------------

# attrs fields that are implementation details of the Codec, not protocol fields.
_INTERNAL_MEMBERS = frozenset({"wire_hints"})
# ``, _name=default`` and ``, wire_hints=None`` in a signature (defaults here are
# simple: no commas or parentheses).
_PRIVATE_PARAMETER = re.compile(
    r",\s*(?:_[A-Za-z]\w*|" + "|".join(sorted(_INTERNAL_MEMBERS)) + r")"
    r"(?:\s*=\s*[^,()]*)?(?=\s*[,)])"
)


def _hide_private_parameters(
    app: object,
    what: str,
    name: str,
    obj: object,
    options: object,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None] | None:
    # ``RealtimeClient(..., _endpoint_factory=None)`` is a test seam, not API.
    if signature is None:
        return None
    return _PRIVATE_PARAMETER.sub("", signature), return_annotation


def _skip_internal_members(
    app: object, what: str, name: str, obj: object, skip: bool, options: object
) -> bool | None:
    return True if name in _INTERNAL_MEMBERS else None


def setup(app: Sphinx) -> dict[str, object]:
    """Connect the hooks above."""
    app.connect("source-read", _insert_event_tables)
    app.connect("autodoc-process-signature", _hide_private_parameters)
    app.connect("autodoc-skip-member", _skip_internal_members)
    return {"parallel_read_safe": True}
