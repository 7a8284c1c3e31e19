"""Who a conversation belongs to and what it holds between clicks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Actor:
    """Whoever clicked or typed, as the adapter identified them."""

    platform: str
    workspace: str
    user: str


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """One personal conversation per (platform, workspace, user, advisor)."""

    platform: str
    workspace: str
    user: str
    advisor: str

    @classmethod
    def personal(cls, actor: Actor, advisor: str) -> ConversationKey:
        return cls(actor.platform, actor.workspace, actor.user, advisor)

    def is_owned_by(self, actor: Actor) -> bool:
        return (
            self.user == actor.user and self.workspace == actor.workspace and self.platform == actor.platform
        )


@dataclass(frozen=True, slots=True)
class Conversation:
    """The state of one walk through a pack.

    The current question is derived from `answers` (see walker.position), so it can never
    disagree with them. `step` counts every change, `back` included, so a button rendered
    for an earlier step is always recognisably stale. `version` is the store's row version
    for the conditional save.
    """

    id: str
    key: ConversationKey
    pack_version: str
    answers: tuple[tuple[str, str], ...]
    step: int
    version: int
    created_at: datetime
    updated_at: datetime
    expires_at: datetime

    def at_version(self, version: int) -> Conversation:
        """This conversation as the store holds it once saved as row `version` (a constructor,
        not dataclasses.replace: it runs on every click)."""
        return Conversation(
            self.id,
            self.key,
            self.pack_version,
            self.answers,
            self.step,
            version,
            self.created_at,
            self.updated_at,
            self.expires_at,
        )

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at
