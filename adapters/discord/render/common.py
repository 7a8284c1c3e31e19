"""Discord message parts, and the limits every message is kept within (pure, no I/O).

discord.py does not check label, custom_id or embed lengths (Discord answers HTTP 400 instead),
so every string is clipped to its limit here (shared/reference/platforms.md B3) and a view has
at most 5 rows. The views are layouts only: clicks are routed by the client's DynamicItems
(components.py), which read everything they need from the custom_id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar
from urllib.parse import quote

import discord

from adapters.escaping import escape_all
from adapters.ids import Action, ActionId
from bot.matching import Choice
from bot.pack import limits

BUTTON_LABEL: Final = 80
SELECT_LABEL: Final = 100
SELECT_PLACEHOLDER: Final = 150
CONTENT: Final = 2000
EMBED_FOOTER: Final = 2048
EMBED_FIELDS: Final = 25
EMBED_FIELD_NAME: Final = 256
ROW_WIDTH: Final = 5
COLOUR: Final = discord.Colour.blurple()
ELLIPSIS: Final = "…"
SHORT_FOOTER: Final = 200
SHORT_DESCRIPTION: Final = 1000
MIN_FIELD: Final = 80
SECTION_NAME: Final = 100
"""A field name that says what a list is ("Points for Django"); a long pack name is cut here."""


class InertView(discord.ui.View):
    """A view that only lays out components and never listens.

    discord.py keeps every sent, unfinished view in memory (15 minutes for an ephemeral
    message, for ever otherwise) and dispatches each click to it besides the DynamicItems.
    Reporting "finished" keeps it out of the view store; the DynamicItems do the routing.
    """

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_finished(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message's parts; `content=None` and an empty `embeds` clear them on an edit."""

    content: str | None
    embeds: tuple[discord.Embed, ...] = ()
    view: InertView | None = None


T = TypeVar("T")
ZWSP: Final = "\u200b"
_INERT: Final = re.compile(r"\]\(|@(?=everyone|here)|<(?=[@#/:]|a:|t:)")


def escape(text: str) -> str:
    """Discord's one escaping for text from a user or a pack: no masked link, no mention.

    A zero-width space breaks `](` (so `[x](https://evil)` can't hide where it goes),
    `@everyone`/`@here` and `<@id>`, `<#id>`, `</cmd:id>`, `<:emoji:id>`, `<t:...>`. It is
    invisible, so plain-text places (button labels, footers) look the same. Every message
    also goes out with mentions disabled (respond.py), which would stop a ping anyway.
    """
    return _INERT.sub(lambda m: m.group(0)[0] + ZWSP + m.group(0)[1:], text)


def inert(reply: T) -> T:
    """The reply with `escape` applied to every string in it (see adapters/escaping.py)."""
    return escape_all(reply, escape)


def masked_link(label: str, url: str) -> str:
    """`[label](url)` from a pack's source; the URL can't end the link early. Not http(s): the label."""
    if not url.startswith(("https://", "http://")):
        return label
    safe = "".join(c if c.isprintable() and c not in "()<> " else quote(c, safe="") for c in url)
    return f"[{label}]({safe})"


def clip(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def clip_lines(lines: Iterable[str], limit: int) -> str:
    """Join whole lines while they fit; a line that does not fit ends the text with an ellipsis."""
    out: list[str] = []
    used = 0
    for line in lines:
        extra = len(line) + (1 if out else 0)
        if used + extra > limit:
            room = limit - used - (1 if out else 0)
            if room > 1 and not out:
                out.append(clip(line, room))
            elif out and used + 2 <= limit:
                out.append(ELLIPSIS)
            break
        out.append(line)
        used += extra
    return "\n".join(out)


def fit_embed(embed: discord.Embed, *, protected: int = 0) -> discord.Embed:
    """Keep the embed within Discord's 6000-character total.

    The fields carry the reasons and the sources, so the footer and description give way
    first; then every field is shortened by an even share, the first `protected` ones (a
    result's points, answer by answer) only once the others can give no more; a field is
    dropped only when none can shrink any further.
    """
    if len(embed) <= limits.EMBED_TOTAL:
        return embed
    if embed.footer.text:
        embed.set_footer(text=clip(embed.footer.text, SHORT_FOOTER))
    if embed.description and len(embed) > limits.EMBED_TOTAL:
        over = len(embed) - limits.EMBED_TOTAL
        embed.description = clip(embed.description, max(SHORT_DESCRIPTION, len(embed.description) - over))
    while len(embed) > limits.EMBED_TOTAL and embed.fields:
        if not _shrink_fields(embed, first=protected) and not _shrink_fields(embed, first=0):
            embed.remove_field(len(embed.fields) - 1)
    if len(embed) > limits.EMBED_TOTAL and embed.description:
        over = len(embed) - limits.EMBED_TOTAL
        embed.description = clip(embed.description, max(1, len(embed.description) - over))
    return embed


def _shrink_fields(embed: discord.Embed, *, first: int) -> bool:
    """Shorten fields `first`.. by an even share of what is over; whether any could shrink."""
    fields = list(enumerate(embed.fields))[first:]
    if not fields:
        return False
    share = -(-(len(embed) - limits.EMBED_TOTAL) // len(fields))
    shrunk = False
    for index, f in fields:
        value = f.value or ""
        target = max(MIN_FIELD, len(value) - share)
        if target < len(value):
            new = clip_lines(value.split("\n"), target)
            embed.set_field_at(index, name=f.name or "", value=new or ELLIPSIS, inline=False)
            shrunk = True
    return shrunk


def fit_lines(lines: Sequence[tuple[str, str, str]], budget: int) -> list[str]:
    """Lines of (kept start, shortenable middle, kept end) within `budget` characters, newlines
    counted: whole while they fit; else the longest middles are cut to one length, as long as
    the budget allows, so every line keeps what it must say (points, which answer) and gives up
    only words of its reason."""
    whole = [start + middle + end for start, middle, end in lines]
    if sum(len(line) for line in whole) + max(len(whole) - 1, 0) <= budget:
        return whole
    room = budget - sum(len(start) + len(end) for start, _, end in lines) - max(len(lines) - 1, 0)
    lengths = sorted(len(middle) for _, middle, _ in lines)
    cap = 0
    for count, length in enumerate(lengths):
        # Every middle from here on gets the same cap; the shorter ones before it stay whole.
        left = len(lengths) - count
        if length * left > room:
            cap = max(room // left, 0)
            break
        room -= length
    else:
        cap = lengths[-1] if lengths else 0
    return [start + (clip(middle, cap) if cap else "") + end for start, middle, end in lines]


def add_field(embed: discord.Embed, name: str, lines: Sequence[str]) -> None:
    if lines and len(embed.fields) < EMBED_FIELDS:
        value = clip_lines(lines, limits.EMBED_FIELD_VALUE)
        if value:
            embed.add_field(name=clip(name, EMBED_FIELD_NAME), value=value, inline=False)


def add_fields(embed: discord.Embed, name: str, lines: Sequence[str]) -> None:
    """`lines` in as many fields as they take (1,024 characters each), so a long list is not cut
    at the first field; within the 25 fields an embed may hold. A line never splits across two,
    and the fields after the first have a blank name, so they read as one list."""
    chunk: list[str] = []
    used = 0
    part = 0

    def flush() -> None:
        nonlocal chunk, used, part
        if chunk:
            # A continuation has a blank name (Discord needs one), so it reads as one list.
            add_field(embed, clip(name, SECTION_NAME) if part == 0 else ZWSP, chunk)
            part += 1
        chunk, used = [], 0

    for line in lines:
        line = clip(line, limits.EMBED_FIELD_VALUE)
        extra = len(line) + (1 if chunk else 0)
        if used + extra > limits.EMBED_FIELD_VALUE:
            flush()
            extra = len(line)
        chunk.append(line)
        used += extra
    flush()


def button(
    action: ActionId, label: str, *, row: int, style: discord.ButtonStyle
) -> discord.ui.Button[InertView]:
    return discord.ui.Button(custom_id=action.encode(), label=clip(label, BUTTON_LABEL), style=style, row=row)


def add_choices(
    view: InertView,
    choices: Sequence[Choice],
    *,
    key: str,
    step: int,
    action: Action,
    question_id: str,
    placeholder: str,
    row: int = 0,
    label_prefix: str = "",
    style: discord.ButtonStyle = discord.ButtonStyle.primary,
) -> None:
    """Buttons on one row while they fit (5), else one select; for answers, team votes, tie decisions.

    The select carries the question id where a button carries the option id; the option
    chosen arrives in the interaction's `values`.
    """
    choices = choices[: limits.MAX_OPTIONS]
    if len(choices) <= ROW_WIDTH:
        for choice in choices:
            chosen = ActionId(key, step, action, choice.id)
            view.add_item(button(chosen, label_prefix + choice.label, row=row, style=style))
        return
    view.add_item(
        discord.ui.Select(
            custom_id=ActionId(key, step, action, question_id).encode(),
            placeholder=clip(placeholder, SELECT_PLACEHOLDER),
            options=[discord.SelectOption(label=clip(c.label, SELECT_LABEL), value=c.id) for c in choices],
            row=row,
        )
    )


def summary(*lines: str) -> str:
    """The plain-text `content` every message carries beside its embed: what screen readers read
    and notifications show, which is nothing for an embed alone. Whole lines while they fit."""
    return clip_lines([line for line in lines if line], CONTENT)


def render_text(text: str) -> Rendered:
    """An explanation (an error, help): plain content, nothing to click.

    Error messages quote pack text and names, so the text is escaped like any reply.
    """
    return Rendered(content=clip(escape(text), CONTENT))
