"""Rasa's event classes looked up by name once each, not once per event read.

Every event read back from the tracker store goes through ``Event.resolve_by_type``,
which walks the whole ``Event`` class tree (``all_subclasses``, ``inspect.isabstract``
at every level) to find the class whose ``type_name`` matches. That cost about 150 µs
per event, so a turn paid it for every event of the conversation so far: more than
half of the growth of a turn over a 120-message conversation (docs/benchmarks.md,
"Long conversations"). The answer for a name never changes once the classes are
imported, so it is remembered; an unknown name still raises, and is not remembered.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event

_original = Event.resolve_by_type
_found: dict[tuple[str, Any], Any] = {}


def resolve_by_type(type_name: str, default: Any = None) -> Any:
    key = (type_name, default)
    try:
        return _found[key]
    except KeyError:
        pass
    found = _original(type_name, default)  # raises ValueError for an unknown name
    _found[key] = found
    return found


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)
