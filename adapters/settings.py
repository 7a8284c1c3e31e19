"""Settings from an injected environment mapping; secrets are masked until they are sent."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.errors import SettingsError
from bot.store import default_sqlite_path

DEFAULT_ADVISOR = "python-web"


class Secret:
    """A token or signing secret: its repr and str never show the value (Starlette's Secret)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def reveal(self) -> str:
        """The real value, only where it is sent to the platform."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)


def default_knowledge_dir() -> Path:
    """The packs shipped with the project (the `knowledge` folder installed beside `bot`)."""
    import knowledge  # a namespace package of YAML folders

    return Path(next(iter(knowledge.__path__)))


def _secret(environ: Mapping[str, str], name: str) -> Secret | None:
    value = environ.get(name, "").strip()
    return Secret(value) if value else None


@dataclass(frozen=True, slots=True)
class Settings:
    db_url: str
    knowledge_dir: Path
    advisor: str
    idle_timeout: timedelta
    slack_bot_token: Secret | None = None
    slack_app_token: Secret | None = None
    slack_signing_secret: Secret | None = None
    slack_client_id: str | None = None
    slack_client_secret: Secret | None = None
    slack_api_url: str | None = None
    slack_command: str = "/choose-framework"
    discord_token: Secret | None = None
    port: int = 3000

    @property
    def pack_dir(self) -> Path:
        return self.knowledge_dir / self.advisor

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        hours_text = env.get("ADVISOR_IDLE_HOURS", "24")
        try:
            hours = float(hours_text)
        except ValueError:
            raise SettingsError(
                name="ADVISOR_IDLE_HOURS", expected="a number of hours, e.g. 24", got=hours_text
            ) from None
        if hours <= 0:
            raise SettingsError(
                name="ADVISOR_IDLE_HOURS", expected="a positive number of hours", got=hours_text
            )
        port_text = env.get("PORT", "3000")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise SettingsError(name="PORT", expected="a TCP port number 1..65535", got=port_text)
        command = env.get("SLACK_COMMAND", "/choose-framework")
        if not command.startswith("/"):
            command = "/" + command
        knowledge = env.get("ADVISOR_KNOWLEDGE")
        return cls(
            db_url=env.get("ADVISOR_DB") or str(default_sqlite_path(env)),
            knowledge_dir=Path(knowledge) if knowledge else default_knowledge_dir(),
            advisor=env.get("ADVISOR_PACK", DEFAULT_ADVISOR),
            idle_timeout=timedelta(hours=hours),
            slack_bot_token=_secret(env, "SLACK_BOT_TOKEN"),
            slack_app_token=_secret(env, "SLACK_APP_TOKEN"),
            slack_signing_secret=_secret(env, "SLACK_SIGNING_SECRET"),
            slack_client_id=env.get("SLACK_CLIENT_ID") or None,
            slack_client_secret=_secret(env, "SLACK_CLIENT_SECRET"),
            slack_api_url=env.get("SLACK_API_URL") or None,
            slack_command=command,
            discord_token=_secret(env, "DISCORD_TOKEN"),
            port=int(port_text),
        )
