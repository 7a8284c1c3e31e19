"""An INTERACTION_CREATE payload checked before discord.py reads it.

discord.py trusts the gateway: its parser indexes the payload directly (a KeyError there is
caught by `client.guard_interaction_parser`), but the command tree and the component store
read `data` later, in tasks of their own, where `"data": false` or an option of the wrong type
raises outside any handler and is logged at ERROR as "Task exception was never retrieved".
So the parts they read later are checked here, first, and a payload that fails is dropped
with one WARNING.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

COMMAND_TYPES: Final = (2, 4)
"""Application command and autocomplete: the command tree reads their `data`."""
COMPONENT: Final = 3
MODAL: Final = 5
MAX_CUSTOM_ID: Final = 100
MAX_OPTIONS: Final = 25
MAX_TOKEN: Final = 1000
MAX_DEPTH: Final = 32
"""Real interactions nest about 8 deep (a modal's labels, rows and inputs)."""
SNOWFLAKES: Final = ("id", "application_id", "guild_id", "channel_id")


def _too_deep(payload: object) -> bool:
    """Whether objects and lists nest deeper than MAX_DEPTH, found without recursion."""
    stack: list[tuple[object, int]] = [(payload, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_ABSENT: Final = object()
GROUPS: Final = (1, 2)
"""A subcommand or a group: options of its own, no value."""
OPTION_VALUES: Final[dict[int, Callable[[object], bool]]] = {
    1: lambda v: True,
    2: lambda v: True,
    3: lambda v: isinstance(v, str),
    4: lambda v: _is_int(v),
    5: lambda v: isinstance(v, bool),
    6: lambda v: _is_snowflake(v),
    7: lambda v: _is_snowflake(v),
    8: lambda v: _is_snowflake(v),
    9: lambda v: _is_snowflake(v),
    10: lambda v: _is_int(v) or isinstance(v, float),
    11: lambda v: _is_snowflake(v),
}
"""Option type -> the values discord.py reads without failing (string, integer, ..., number)."""


def _is_snowflake(value: object) -> bool:
    """Discord sends ids as decimal text; discord.py would read 1.5, True or "1_000" as ids."""
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20


def _option_problem(option: object, where: str) -> str | None:
    if not isinstance(option, Mapping):
        return f"{where} is not an object"
    if not isinstance(option.get("name"), str):
        return f"{where}.name is not text"
    kind = option.get("type")
    if not _is_int(kind) or kind not in OPTION_VALUES:
        return f"{where}.type is not an option type"
    if "focused" in option and not isinstance(option["focused"], bool):
        return f"{where}.focused is not true or false"
    if kind in GROUPS:
        nested = option.get("options", [])
        return _options_problem(nested, f"{where}.options")
    value = option.get("value", _ABSENT)
    if not OPTION_VALUES[kind](value):
        return f"{where}.value does not fit an option of type {kind}"
    return None


def _options_problem(options: object, where: str) -> str | None:
    if not isinstance(options, list) or len(options) > MAX_OPTIONS:
        return f"{where} is not a list of at most {MAX_OPTIONS} options"
    for index, option in enumerate(options):
        if (problem := _option_problem(option, f"{where}[{index}]")) is not None:
            return problem
    return None


def _command_problem(data: Mapping[str, Any]) -> str | None:
    if not isinstance(data.get("name"), str):
        return "data.name is not text"
    if data.get("type", 1) != 1 or not _is_int(data.get("type", 1)):
        return "data.type is not a slash command"  # the advisor has no context menus
    if "options" in data and (problem := _options_problem(data["options"], "data.options")) is not None:
        return problem
    if "resolved" in data and not isinstance(data["resolved"], Mapping):
        return "data.resolved is not an object"
    return None


def _component_problem(data: Mapping[str, Any]) -> str | None:
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
        return "data.custom_id is not text of 1 to 100 characters"
    if not _is_int(data.get("component_type")):
        return "data.component_type is not a number"
    values = data.get("values")
    if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
        return "data.values is not a list of text"
    return None


def interaction_problem(payload: object) -> str | None:
    """What discord.py would misread later in this payload, or None if it is safe to parse."""
    if not isinstance(payload, Mapping):
        return "the payload is not an object"
    if _too_deep(payload):
        return f"the payload nests deeper than {MAX_DEPTH}"  # walked recursively later on
    kind = payload.get("type")
    if not _is_int(kind):
        return "type is not a number"
    for key in SNOWFLAKES:
        if key in payload and not _is_snowflake(payload[key]):
            return f"{key} is not a Discord id"
    token = payload.get("token")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN or not token.isprintable():
        return "token is not the text Discord sends"  # it goes into every reply's URL
    if kind not in (*COMMAND_TYPES, COMPONENT, MODAL):
        return None  # discord.py dispatches nothing else to the tree or the components
    data = payload.get("data")
    if not isinstance(data, Mapping):
        return "data is not an object"
    if kind in COMMAND_TYPES:
        return _command_problem(data)
    if kind == COMPONENT:
        return _component_problem(data)
    return None if isinstance(data.get("custom_id"), str) else "data.custom_id is not text"
