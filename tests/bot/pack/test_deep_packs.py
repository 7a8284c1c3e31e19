"""A deep pack (thousands of questions in one line) lints, draws and counts without a traceback.

Every walk over the question flow (lint's reachability, cycles, dead ends and double counts,
the progress estimates, the path lengths, the graph) runs without recursion, so a hostile or
generated pack deeper than Python's recursion limit gets findings, not a RecursionError.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from bot.pack.graph import to_mermaid
from bot.pack.lint import lint_pack
from bot.pack.loader import load_pack
from bot.pack.model import RESULT, Evidence, Option, Pack, Question
from bot.pack.paths import path_lengths

DEPTH = 5_000


def chain(tiny: Pack, depth: int, *, repeat: str = "") -> Pack:
    """`depth` questions in a line, each with two answers for different subjects and a "not sure";
    `repeat` makes the first answer of every question give alpha that same reason."""
    questions: dict[str, Question] = {}
    for i in range(depth):
        following = f"q{i + 1}" if i + 1 < depth else RESULT
        reason = repeat or f"Reason {i} for alpha."
        questions[f"q{i}"] = Question(
            id=f"q{i}",
            prompt=f"Question {i}?",
            why="Generated.",
            options=(
                Option("a", "Alpha", following, evidence=(Evidence("alpha", 1, reason, ("s1",)),)),
                Option("b", "Beta", following, evidence=(Evidence("beta", 1, f"Reason {i}.", ("s2",)),)),
                Option("unsure", "Not sure", following, unsure=True, note="Ask."),
            ),
        )
    return Pack(
        id="deep",
        title="Deep",
        description="A line of questions.",
        start="q0",
        checked=tiny.checked,
        close_margin=1,
        version="deep",
        sources=tiny.sources,
        subjects=tuple(replace(s, companions=()) for s in tiny.subjects),
        questions=MappingProxyType(questions),
        scenarios=(),
    )


def test_a_line_of_5000_questions_lints_clean_and_every_walk_finishes(tiny_path: Path) -> None:
    assert sys.getrecursionlimit() < DEPTH
    pack = chain(load_pack(tiny_path), DEPTH)
    findings = lint_pack(pack)
    assert [f for f in findings if f.is_error] == []
    assert {f.code for f in findings} <= {"W001"}  # gamma has no evidence here: never first
    assert pack.most_remaining("q0") == DEPTH
    assert pack.remaining(f"q{DEPTH - 1}") == 1
    assert path_lengths(pack) == {DEPTH: 3**DEPTH}
    assert to_mermaid(pack).count(" --> ") == DEPTH


def test_a_fact_repeated_down_a_long_line_is_one_warning_per_repeat(tiny_path: Path) -> None:
    pack = chain(load_pack(tiny_path), DEPTH, repeat="Alpha renders pages.")
    repeats = [f for f in lint_pack(pack) if f.code == "W006"]
    # Every answer after the first repeats q0=a's fact: one warning each, naming the first.
    assert len(repeats) == DEPTH - 1
    assert "q1=a counts a fact for alpha that q0=a already counts" in repeats[0].message
    assert all("that q0=a already counts" in f.message for f in repeats)
