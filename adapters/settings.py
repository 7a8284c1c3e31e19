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


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """$XDG_CACHE_HOME/framework-advisor, or ~/.cache/framework-advisor when unset."""
    base = environ.get("XDG_CACHE_HOME") or os.path.join(environ.get("HOME") or str(Path.home()), ".cache")
    return Path(base) / "framework-advisor"


def _cache_dir(environ: Mapping[str, str]) -> Path | None:
    """ADVISOR_CACHE_DIR: a folder, `off` for no pack cache, or unset for the default."""
    text = environ.get("ADVISOR_CACHE_DIR", "").strip()
    if text.lower() == "off":
        return None
    return Path(text).expanduser() if text else default_cache_dir(environ)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _seconds(environ: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= minimum or value == float("inf"):
        raise SettingsError(name=name, expected=f"a number of seconds of at least {minimum:g}", got=text)
    return value


DISCORD_DEADLINE = 3.0
"""Seconds Discord waits for an interaction's initial response."""


def _defer_seconds(environ: Mapping[str, str]) -> float:
    name = "ADVISOR_DISCORD_DEFER_SECONDS"
    value = _seconds(environ, name, 1.5, minimum=0.0)
    if value > DISCORD_DEADLINE - 0.5:
        raise SettingsError(
            name=name,
            expected=f"seconds from 0 to {DISCORD_DEADLINE - 0.5:g} (Discord's deadline is 3 s)",
            got=environ[name],
        )
    return value


def _secret(environ: Mapping[str, str], name: str) -> Secret | None:
    value = environ.get(name, "").strip()
    return Secret(value) if value else None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the advisor reads from its environment, checked once at start."""

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
    log_level: str = "INFO"
    log_format: str = "text"
    shutdown_seconds: float = 10.0
    """How long a stopping bot gives the work in flight before it exits anyway."""
    health_port: int | None = None
    pack_poll_seconds: float = 2.0
    """How often a running bot looks at its pack files for changes (0: only on SIGHUP)."""
    delivery_lease_seconds: float = 30.0
    discord_defer_seconds: float = 1.5
    """How long a Discord interaction waits for the engine before it is deferred (0: at once,
    which makes every interaction Discord accepted resumable after a crash)."""
    db_is_default: bool = False
    """ADVISOR_DB was not set: the default data directory may be created on first use."""
    cache_dir: Path | None = None
    """Where loaded and linted packs are kept by content hash (None: no cache); safe to delete."""

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
        level = env.get("ADVISOR_LOG_LEVEL", "INFO").strip().upper()
        if level not in LOG_LEVELS:
            raise SettingsError(
                name="ADVISOR_LOG_LEVEL", expected=" or ".join(LOG_LEVELS), got=env["ADVISOR_LOG_LEVEL"]
            )
        log_format = env.get("ADVISOR_LOG_FORMAT", "text").strip().lower()
        if log_format not in ("text", "json"):
            raise SettingsError(name="ADVISOR_LOG_FORMAT", expected="text or json", got=log_format)
        health = env.get("ADVISOR_HEALTH_PORT", "").strip()
        if health and (not health.isdigit() or not 0 < int(health) < 65536):
            raise SettingsError(name="ADVISOR_HEALTH_PORT", expected="a TCP port number 1..65535", got=health)
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
            log_level=level,
            log_format=log_format,
            shutdown_seconds=_seconds(env, "ADVISOR_SHUTDOWN_SECONDS", 10.0, minimum=0.0),
            health_port=int(health) if health else None,
            pack_poll_seconds=_seconds(env, "ADVISOR_PACK_POLL_SECONDS", 2.0, minimum=0.0),
            delivery_lease_seconds=_seconds(env, "ADVISOR_DELIVERY_LEASE_SECONDS", 30.0, minimum=0.1),
            discord_defer_seconds=_defer_seconds(env),
            db_is_default=not env.get("ADVISOR_DB"),
            cache_dir=_cache_dir(env),
        )
