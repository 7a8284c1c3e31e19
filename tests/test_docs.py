"""The README and docs/*.md are true: their runnable examples run, and their numbers come from the pack.

A fenced block tagged ```` ```sh test ```` is run line by line with bash, on a fresh SQLite
file and a fresh HOME, with the installed `advisor` first on PATH (what activating the venv
does). Under a command, `# -> TEXT` names a line its output must contain and `# exit N` the
exit code it must end with (0 unless said). A block tagged ```` ```sh test fresh-clone ````
runs instead in a fresh copy of the repository, in document order with the other such blocks
of its file, exactly as a newcomer types it: creating the venv and installing the extras.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.pack.loader import load_pack
from bot.pack.paths import path_lengths
from tests.conftest import PYTHON_WEB

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)\s+test\b(?P<options>[^`]*)$")
TIMEOUT = 120
"""Seconds one command may take: a guard against a hang, never a delay."""
FRESH_TIMEOUT = 600
PIPELINE_STATUS = """
codes=("${PIPESTATUS[@]}")
if [ "${codes[-1]}" != 0 ]; then exit "${codes[-1]}"; fi
for code in "${codes[@]}"; do
    if [ "$code" != 0 ] && [ "$code" != 141 ]; then exit "$code"; fi
done
exit 0
"""
"""A pipeline fails if any part of it fails (so `advisor ... | head` checks advisor too), except a
producer stopped by SIGPIPE (141) because its reader had enough, as `yes 1 | head` does."""


@dataclass
class Command:
    text: str
    line: int
    exit: int = 0
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    path: Path
    line: int
    fresh_clone: bool
    commands: list[Command]

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def runnable_blocks(path: Path) -> list[Block]:
    """The blocks of `path` tagged `test`, each command with what it must print and exit with."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index].strip())
        index += 1
        if match is None:
            continue
        block = Block(path, index, "fresh-clone" in match["options"].split(), [])
        pending = ""
        while index < len(lines) and lines[index].strip() != "```":
            raw, number = lines[index], index + 1
            index += 1
            stripped = raw.strip()
            if pending:
                pending += "\n" + raw
            elif stripped.startswith("# ->"):
                block.commands[-1].expected.append(stripped[len("# ->") :].strip())
                continue
            elif (code := re.match(r"^# exit (\d+)$", stripped)) is not None:
                block.commands[-1].exit = int(code[1])
                continue
            elif not stripped or stripped.startswith("#"):
                continue
            else:
                pending = raw
                start = number
            if pending.endswith("\\"):
                continue
            block.commands.append(Command(pending, start))
            pending = ""
        index += 1
        blocks.append(block)
    return blocks


def docs_environment(home: Path) -> dict[str, str]:
    """The environment of a newcomer's shell: no advisor, Slack or Discord settings, a fresh HOME."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ADVISOR_", "SLACK_", "DISCORD_", "XDG_", "_ARGCOMPLETE"))
        and k not in ("NO_COLOR", "PAGER", "VIRTUAL_ENV", "PYTHONPATH")
    }
    pip_cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    return {**kept, "HOME": str(home), "PIP_CACHE_DIR": pip_cache, "ADVISOR_DB": str(home / "advisor.db")}


def run_block(block: Block, *, cwd: Path, env: dict[str, str], timeout: float = TIMEOUT) -> list[str]:
    """Run every command of `block`; the problems found, each saying where and what happened."""
    problems = []
    for command in block.commands:
        text = command.text
        if not block.fresh_clone:
            # The docs address the venv the README makes; here that is the one running the tests.
            text = text.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
        try:
            done = subprocess.run(
                ["bash", "-c", text + "\n" + PIPELINE_STATUS],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            problems.append(
                f"{block.path.name}:{command.line}: `{command.text}` did not finish in {timeout} s"
            )
            continue
        output = done.stdout + done.stderr
        said = f"{block.path.name}:{command.line}: `{command.text}`"
        if done.returncode != command.exit:
            problems.append(f"{said} exited {done.returncode}, not {command.exit}:\n{output[-2000:]}")
            continue
        for expected in command.expected:
            if not any(expected in line for line in output.splitlines()):
                problems.append(f"{said} printed no line with {expected!r}:\n{output[-2000:]}")
    return problems


def _blocks(*, fresh: bool) -> list[Block]:
    return [b for path in DOCS for b in runnable_blocks(path) if b.fresh_clone == fresh]


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A working folder with the repository's knowledge packs, so `advisor lint knowledge/...` works
    and whatever an example writes lands here, not in the repository."""
    (tmp_path / "knowledge").symlink_to(ROOT / "knowledge")
    return tmp_path


@pytest.mark.parametrize("block", _blocks(fresh=False), ids=lambda b: b.where)
def test_every_runnable_example_runs(block: Block, scratch: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = docs_environment(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    assert run_block(block, cwd=scratch, env=env) == []


def _copy_of_the_repository(target: Path) -> Path:
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache", ".pytest_cache", "build"
    )
    return Path(shutil.copytree(ROOT, target / "framework-advisor", ignore=ignore, symlinks=True))


@pytest.mark.parametrize(
    "path", [p for p in DOCS if any(b.fresh_clone for b in runnable_blocks(p))], ids=lambda p: p.name
)
def test_a_newcomer_s_commands_work_in_a_fresh_clone(path: Path, tmp_path: Path) -> None:
    """The README's install command, then the extras it names, in a clone with no venv yet."""
    clone = _copy_of_the_repository(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = docs_environment(home)
    problems = []
    for block in (b for b in runnable_blocks(path) if b.fresh_clone):
        problems += run_block(block, cwd=clone, env=env, timeout=FRESH_TIMEOUT)
        if problems:
            break  # later blocks build on this one
    assert problems == []


def test_the_readme_says_how_to_install_the_extras_and_run_from_the_venv() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    fresh = "\n".join(
        c.text for b in runnable_blocks(ROOT / "README.md") if b.fresh_clone for c in b.commands
    )
    assert fresh.startswith("python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/advisor chat")
    assert ".venv/bin/pip install '.[slack]'" in fresh
    assert ".venv/bin/pip install '.[discord]'" in fresh
    assert ". .venv/bin/activate" in readme


def test_the_question_counts_in_the_docs_are_the_pack_s() -> None:
    lengths = path_lengths(load_pack(PYTHON_WEB))
    shortest, longest = min(lengths), max(lengths)
    common = sorted(length for length, _ in Counter(lengths).most_common(2))
    assert sum(lengths[n] for n in common) * 2 > sum(lengths.values())  # "most" is true
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{shortest} to {longest} questions, most often {common[0]} or {common[1]}" in readme
    pack_readme = (PYTHON_WEB / "README.md").read_text(encoding="utf-8")
    assert f"A path is {shortest} to {longest} questions; most are {common[0]} or {common[1]}." in pack_readme


# --- the checker itself: a broken example must fail -------------------------------------------


def _check(text: str, tmp_path: Path) -> list[str]:
    doc = tmp_path / "doc.md"
    doc.write_text(text)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = docs_environment(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return [p for block in runnable_blocks(doc) for p in run_block(block, cwd=tmp_path, env=env)]


def test_the_checker_fails_a_broken_example(tmp_path: Path) -> None:
    assert _check("```sh test\nadvisor --version\n# -> advisor\n```\n", tmp_path) == []
    [typo] = _check("```sh test\nadvisor recomend -a x=y\n```\n", tmp_path)
    assert "doc.md:2: `advisor recomend -a x=y` exited 2, not 0" in typo
    [wrong] = _check("```sh test\nadvisor --version\n# -> advisor 99.0\n```\n", tmp_path)
    assert "printed no line with 'advisor 99.0'" in wrong
    [piped] = _check("```sh test\nprintf 'nonsense\\n' | advisor chat --user x\n```\n", tmp_path)
    assert "exited 2, not 0" in piped  # a pipe into a failing advisor fails the example
    assert _check("```sh test\nprintf 'nonsense\\n' | advisor chat --user y\n# exit 2\n```\n", tmp_path) == []
    [continued] = _check("```sh test\nadvisor recommend \\\n  -a nope=1\n```\n", tmp_path)
    assert "doc.md:2:" in continued  # a command continued over lines is one command


def test_untagged_blocks_are_left_alone(tmp_path: Path) -> None:
    assert _check("```sh\nadvisor recomend\n```\n", tmp_path) == []
    assert runnable_blocks(ROOT / "README.md"), "the README has runnable examples"
