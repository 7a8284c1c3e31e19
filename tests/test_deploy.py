"""The Dockerfile and compose.yaml, checked by reading them (no container engine runs here)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml

from adapters.cli import _build_parser

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_the_image_has_a_healthcheck_that_names_a_real_command() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    (check,) = [line for line in lines if line.startswith("HEALTHCHECK")]
    command = check.split("CMD", 1)[1].strip()
    words = yaml.safe_load(command)  # the exec (JSON array) form
    assert words[0] == "advisor"
    _build_parser().parse_args(words[1:])  # `advisor health` exists and parses
    assert any(line.startswith("ENV") or "ADVISOR_HEALTH_PORT=" in line for line in lines)
    assert any("ADVISOR_HEALTH_PORT=" in line for line in lines)
    assert "metrics" in next(line for line in lines if line.startswith("RUN pip install"))


def test_every_bot_service_has_a_healthcheck_and_waits_for_what_it_needs() -> None:
    services = compose()["services"]
    bots = {
        name: spec for name, spec in services.items() if spec.get("command", [""])[0] in ("slack", "discord")
    }
    assert {"slack", "discord", "discord-0", "discord-1"} <= set(bots)
    for name, spec in bots.items():
        assert spec["healthcheck"]["test"] == ["CMD", "advisor", "health"], name
        assert spec["environment"]["ADVISOR_HEALTH_PORT"] == "8081", name
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy", name
        grace = spec["stop_grace_period"]
        assert int(grace.rstrip("s")) > 10, name  # above the bot's own 10 s bound
    for name, spec in services.items():
        for needed, condition in (spec.get("depends_on") or {}).items():
            assert condition["condition"] == "service_healthy", (name, needed)
            assert "healthcheck" in services[needed], (name, needed)


def test_split_discord_processes_take_disjoint_shards_of_one_count() -> None:
    services = compose()["services"]
    shards: list[int] = []
    counts = set()
    for name in ("discord-0", "discord-1"):
        argv = services[name]["command"]
        counts.add(argv[argv.index("--shard-count") + 1])
        shards += [int(i) for i in argv[argv.index("--shard-ids") + 1].split(",")]
    (count,) = counts
    assert sorted(shards) == list(range(int(count)))
    assert shlex.join(services["discord"]["command"]) == "discord"
