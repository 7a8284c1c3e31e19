"""Knowledge packs: the typed model, loading, lint, scenarios, the flow graph and loaded versions.

Knows nothing of conversations or storage."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.pack.findings import Finding as Finding
    from bot.pack.findings import Severity as Severity
    from bot.pack.graph import to_dot as to_dot
    from bot.pack.graph import to_mermaid as to_mermaid
    from bot.pack.lint import lint_pack as lint_pack
    from bot.pack.loader import load_pack as load_pack
    from bot.pack.loader import read_pack as read_pack
    from bot.pack.model import RESULT as RESULT
    from bot.pack.model import Claim as Claim
    from bot.pack.model import Companion as Companion
    from bot.pack.model import Evidence as Evidence
    from bot.pack.model import Location as Location
    from bot.pack.model import Option as Option
    from bot.pack.model import Pack as Pack
    from bot.pack.model import Question as Question
    from bot.pack.model import Scenario as Scenario
    from bot.pack.model import Source as Source
    from bot.pack.model import Subject as Subject
    from bot.pack.registry import PackRegistry as PackRegistry
    from bot.pack.scenarios import ScenarioOutcome as ScenarioOutcome
    from bot.pack.scenarios import run_scenario as run_scenario
    from bot.pack.scenarios import run_scenarios as run_scenarios

_EXPORTS: dict[str, str] = {
    "Claim": "bot.pack.model",
    "Companion": "bot.pack.model",
    "Evidence": "bot.pack.model",
    "Finding": "bot.pack.findings",
    "Location": "bot.pack.model",
    "Option": "bot.pack.model",
    "Pack": "bot.pack.model",
    "PackRegistry": "bot.pack.registry",
    "Question": "bot.pack.model",
    "RESULT": "bot.pack.model",
    "Scenario": "bot.pack.model",
    "ScenarioOutcome": "bot.pack.scenarios",
    "Severity": "bot.pack.findings",
    "Source": "bot.pack.model",
    "Subject": "bot.pack.model",
    "lint_pack": "bot.pack.lint",
    "load_pack": "bot.pack.loader",
    "read_pack": "bot.pack.loader",
    "run_scenario": "bot.pack.scenarios",
    "run_scenarios": "bot.pack.scenarios",
    "to_dot": "bot.pack.graph",
    "to_mermaid": "bot.pack.graph",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import on first use, so loading one module of the package loads no other (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
