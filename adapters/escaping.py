"""One escaping applied to every string a reply carries, before any renderer sees it.

A reply is frozen data holding text from a pack (prompts, reasons, labels, sources) and from
users (a team topic, member names). Escaping that text where each renderer interpolates it
would depend on every future line of every renderer remembering to; walking the reply once
and escaping every string in it makes injection impossible by construction. The escaping
itself is the medium's own: `adapters.discord.render.common.escape`,
`adapters.console.controls.strip_controls`. (Slack escapes at each interpolation instead:
its plain-text fields would show `&lt;` literally.) Ids and numbers are never changed, as the
escapings leave ids' characters alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar, cast

T = TypeVar("T")


def escape_all(value: T, escape: Callable[[str], str]) -> T:
    """`value` with `escape` applied to every string inside it, however deeply nested."""
    return cast(T, _walk(value, escape))


def _walk(value: Any, escape: Callable[[str], str]) -> Any:
    if type(value) is str:  # exactly str: a StrEnum member keeps its identity
        return escape(value)
    if isinstance(value, tuple):
        return tuple(_walk(item, escape) for item in value)
    if isinstance(value, Mapping):
        return MappingProxyType({key: _walk(item, escape) for key, item in value.items()})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _walk(getattr(value, f.name), escape) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value
