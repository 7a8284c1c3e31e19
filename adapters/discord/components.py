"""DynamicItems that route every advisor click by its custom_id, so buttons survive restarts.

A click carries `adv:<conversation>:<step>:<action>[:<option>]` (adapters/ids.py); the state is
in the store, so a fresh process rebuilds the item from the id alone and the engine decides.
Each client registers its own subclass, bound to its handler (`bound_item`), which keeps
two clients in one process (tests, a restart) apart without any module-level state.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, Self

import discord

from adapters.ids import ActionId
from bot.errors import AdvisorError

TEMPLATE = r"adv:.{1,96}"
"""Any id with our prefix, malformed ones too, so they get an answer rather than silence."""


class ClickHandler(Protocol):
    async def on_click(
        self, interaction: discord.Interaction, action: ActionId | None, values: Sequence[str]
    ) -> None:
        """`action` is None when the custom_id has our prefix but not our shape."""


def decode(custom_id: str) -> ActionId | None:
    try:
        return ActionId.decode(custom_id)
    except AdvisorError:
        return None


class AdvisorComponent(discord.ui.DynamicItem[discord.ui.Item[Any]], template=TEMPLATE):
    """Any advisor button or answer select, rebuilt from the component on the clicked message.

    One class for both kinds: discord.py offers every matching DynamicItem the clicked
    component whatever its type, so separate button and select classes would both answer.
    """

    handler: ClassVar[ClickHandler | None] = None

    def __init__(self, item: discord.ui.Item[Any]) -> None:
        super().__init__(item)
        self.action = decode(self.custom_id)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        # Only parsing here: the 3-second reply deadline runs from the click.
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        if self.handler is None:
            raise RuntimeError("AdvisorComponent is a template: register bound_item(handler) instead")
        values = tuple(self.item.values) if isinstance(self.item, discord.ui.Select) else ()
        await self.handler.on_click(interaction, self.action, values)


def bound_item(click_handler: ClickHandler) -> type[AdvisorComponent]:
    """A subclass whose callbacks go to `click_handler`; pass it to `client.add_dynamic_items`."""

    class BoundComponent(AdvisorComponent, template=TEMPLATE):
        handler = click_handler

    return BoundComponent
