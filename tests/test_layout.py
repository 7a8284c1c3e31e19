"""The layout keeps its promises: imports point down, no twins, public names import, no SDK on import.

These read the source (ast), so a change that breaks the architecture fails here with the
module and the import that did it, before anyone has to notice it in review.
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "bot",
    "bot.pack",
    "bot.personal",
    "bot.team",
    "bot.store",
    "adapters",
    "adapters.console",
    "adapters.slack",
    "adapters.slack.render",
    "adapters.discord",
    "adapters.discord.render",
)


def modules(top: str) -> dict[str, Path]:
    """Module name -> file, for every .py under `top`."""
    out = {}
    for path in sorted((ROOT / top).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_time_imports(path: Path, module: str) -> Iterator[str]:
    """Modules imported when `module` is imported: top level only, not under TYPE_CHECKING.

    Imports inside functions run later, when the module is complete, so they cannot make an
    import cycle; type-checking imports never run.
    """
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(body: list[ast.stmt]) -> Iterator[str]:
        for node in body:
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                yield base
                yield from (f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and not _is_type_checking(node):
                yield from visit(node.body)
                yield from visit(node.orelse)
            elif isinstance(node, ast.Try):
                yield from visit(node.body)

    yield from visit(ast.parse(path.read_text(encoding="utf-8")).body)


def import_graph(top: str) -> dict[str, set[str]]:
    """Edges between our modules; importing a.b.c also runs a and a.b, so those count too."""
    known = modules(top)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for imported in import_time_imports(path, name):
            parts = imported.split(".")
            for end in range(1, len(parts) + 1):
                target = ".".join(parts[:end])
                if target in known and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_bot_has_no_import_cycle() -> None:
    assert find_cycle(import_graph("bot")) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_bot_never_imports_adapters_or_a_chat_sdk() -> None:
    for name, path in modules("bot").items():
        for imported in import_time_imports(path, name):
            assert not imported.startswith(("adapters", "discord", "slack_bolt", "slack_sdk")), (
                name,
                imported,
            )


def test_personal_and_team_never_import_each_others_engine() -> None:
    graph = import_graph("bot")
    for name, targets in graph.items():
        if name.startswith("bot.personal"):
            assert "bot.team.engine" not in targets, name
        if name.startswith("bot.team"):
            assert "bot.personal.engine" not in targets, name


def test_no_module_is_a_team_twin() -> None:
    twins = [str(p.relative_to(ROOT)) for top in ("bot", "adapters") for p in (ROOT / top).rglob("team_*.py")]
    assert twins == []


PROTOCOLS = frozenset({"Store", "ConversationStore", "TeamStore", "DeliveryLog"})


def test_nothing_guesses_what_a_store_can_do() -> None:
    """Stores are all of Store; code that sniffs `isinstance(x, TeamStore)` has a wrong picture."""
    sniffing = []
    for top in ("bot", "adapters"):
        for name, path in modules(top).items():
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "isinstance"
                    and ast.unparse(node.args[1]).split(".")[-1] in PROTOCOLS
                ):
                    sniffing.append(f"{name}: {ast.unparse(node)}")
    assert sniffing == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_imports(package: str) -> None:
    module = importlib.import_module(package)
    exported = module.__all__
    assert exported, f"{package} declares no __all__"
    for name in exported:
        assert getattr(module, name) is not None, f"{package}.{name}"


def test_importing_bot_and_adapters_loads_no_chat_sdk() -> None:
    probe = (
        "import sys, bot, adapters; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'slack_bolt', 'slack_sdk')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_personal_chat_loads_no_team_engine() -> None:
    """`advisor chat` starts on the personal engine; the team code is imported only for team commands."""
    probe = (
        "import sys; from adapters.console import personal; from bot.personal import engine; "
        "print('bot.team.engine' in sys.modules, 'bot.team.record' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False False"


def test_advisor_chat_imports_no_team_code_sdk_metrics_completion_or_yaml(tmp_path: Path) -> None:
    """A personal `advisor chat` whose pack is cached imports only what it runs: no team module
    (not even the stored session model: the store imports it where it reads a session, and a
    new database is created without it), no chat SDK, no metrics or shell completion, not even
    the YAML parser and lint; and until a result is asked for, no ranking or report replies."""
    probe = (
        "import io, sys\n"
        "from adapters.cli import main\n"
        "for _ in range(2):\n"  # the first start fills the pack cache and creates the database
        "    for name in [m for m in sys.modules if m.startswith(('bot', 'adapters', 'yaml'))]:\n"
        "        del sys.modules[name]\n"
        "    from adapters.cli import main\n"
        "    main(['chat', '--user', 'probe'], stdin=io.StringIO(''), stdout=io.StringIO())\n"
        "    print(' '.join(m for m in sorted(sys.modules) if m.startswith('bot.team')), '|')\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    env = {
        **os.environ,
        "ADVISOR_DB": str(tmp_path / "chat.db"),
        "ADVISOR_CACHE_DIR": str(tmp_path / "cache"),
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    first_start, _, rest = out.stdout.partition("|")
    assert first_start.split() == [], "creating the database imported team code"
    loaded = set(rest.partition("|")[2].split())
    assert "adapters.console.personal" in loaded, "the probe ran the chat"
    assert sorted(loaded & {"bot.ranking", "bot.personal.reports"}) == [], "made before a result is asked for"
    assert sorted(m for m in loaded if m == "bot.team" or m.startswith("bot.team.")) == []
    unwanted = {"discord", "slack_bolt", "slack_sdk", "aiohttp", "asyncpg"}
    unwanted |= {"prometheus_client", "argcomplete"}
    assert sorted(m for m in loaded if m.split(".")[0] in unwanted) == []
    parsing = {"yaml", "bot.pack.lint", "bot.pack.loader"}
    assert sorted(m for m in loaded if m.split(".")[0] == "yaml" or m in parsing) == []
    assert "importlib.metadata" not in loaded, "the version is read only for --version"


def test_architecture_doc_names_every_module() -> None:
    """docs/architecture.md says what each module owns; a new module needs its line there."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for top in ("bot", "adapters"):
        for name, path in modules(top).items():
            if path.name in ("__init__.py", "__main__.py"):
                continue
            relative = path.relative_to(ROOT / top).as_posix()
            if f"`{relative}`" not in doc and f"`{path.name}`" not in doc:
                missing.append(name)
    assert missing == []
