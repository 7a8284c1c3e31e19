"""The decision record says what happened: every question and tally, who took part, the decision."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.pack.model import Pack
from bot.pack.registry import PackRegistry
from bot.team import voting as team
from bot.team.record import decision_record
from bot.team.session import TeamKey, TeamSession
from bot.team.tally import outcome
from tests.conftest import PYTHON_WEB, TINY

NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
SAMPLE = Path(__file__).parents[2] / "docs" / "sample-decision-record.md"

REALISTIC_VOTES = {
    # question id: (alice, bob, carol)
    "existing": ("fresh", "fresh", "fresh"),
    "scope": ("large", "large", "small"),
    "data": ("relational", "relational", "relational"),
    "team": ("fastapi", "fastapi", "django"),
    "deliver": ("api", "api", "mix"),
    "validation": ("typed", "typed", "full"),
    "builtins": ("none", "accounts", "admin"),
    "conc": ("classic", "live", "classic"),
    "priority": ("stable", "typing", "stable"),
    "deploy": ("server", "server", "server"),
}


def walk(
    pack: Pack, plan: Mapping[str, tuple[str, ...]], members: tuple[str, ...], **kw: object
) -> TeamSession:
    """Every member votes the planned option on each question the team reaches, then Next."""
    s = team.start_session(
        pack,
        key=TeamKey("test", "w1", "c1", "", pack.id),
        session_id="Xk3v9QpL2sTa",
        starter=members[0].lower(),
        starter_name=members[0],
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )
    at = NOW
    while (question := team.current_question(pack, s)) is not None:
        for name, option in zip(members, plan[question.id], strict=True):
            at += timedelta(seconds=20)
            s = team.vote(pack, s, member=name.lower(), name=name, option_id=option, step=s.step, now=at)
        s = team.close_and_advance(pack, s, member=members[0].lower(), step=s.step, can_manage=False, now=at)
    return s


@pytest.fixture(scope="module")
def tiny() -> Pack:
    return PackRegistry().load(TINY)


@pytest.fixture(scope="module")
def python_web() -> Pack:
    return PackRegistry().load(PYTHON_WEB)


TINY_PLAN = {
    "kind": ("pages", "pages", "api"),
    "admin": ("need", "none", "none"),
    "size": ("large", "small", "small"),
}


def test_the_record_shows_every_question_with_its_tally(tiny: Pack) -> None:
    s = walk(tiny, TINY_PLAN, ("Alice", "Bob", "Carol"), topic="Shop rewrite")
    md = decision_record(tiny, s)

    assert md.startswith("# Decision record: Shop rewrite\n")
    assert "- **Date:** 2026-11-25" in md
    assert "- **Status:** Accepted" in md
    assert "### 1. What are you building?" in md
    assert "Team answer: **Web pages** (2 of 3 vote(s))" in md
    assert "| Web pages | 2 | Alice, Bob |" in md
    assert "| JSON API | 1 | Carol |" in md
    assert "### 2. Do editors need an admin?" in md
    assert "| No admin | 2 | Bob, Carol |" in md
    assert "### 3. How big is it?" in md
    assert "| A single file | 2 | Bob, Carol |" in md


def test_the_record_names_the_decision_options_consequences_and_people(tiny: Pack) -> None:
    md = decision_record(tiny, walk(tiny, TINY_PLAN, ("Alice", "Bob", "Carol")))

    decision = md.split("## Decision")[1].split("## Consequences")[0]
    assert "We choose **Gamma** (4 points" in decision
    assert "- Alice: Alpha (7 points on the 3 question(s) they voted on)" in decision
    assert "- Bob: Gamma" in decision
    assert (
        "- What are you building? Web pages 2 (Alice, Bob), JSON API 1 (Carol); the team went with Web pages."
        in decision
    )
    assert "| 1 | Gamma | 4 |" in md
    assert "| 2 | Alpha | 3 |" in md
    assert "| 3 | Beta | 0 |" in md
    consequences = md.split("## Consequences")[1].split("## What would make us revisit")[0]
    assert "- Few plugins." in consequences  # Gamma's weakness
    assert "- Not a fit when: Big teams." in consequences
    revisit = md.split("## What would make us revisit")[1].split("## Participants")[0]
    assert "Alpha (3 points) is better for: Sites with editors." in revisit
    assert md.split("## Participants")[1].split("## Sources")[0].split() == [
        "-",
        "Alice",
        "-",
        "Bob",
        "-",
        "Carol",
    ]


def test_a_tie_and_anonymity_are_stated(tiny: Pack) -> None:
    plan = {"kind": ("api", "pages"), "admin": ("need", "need")}
    md = decision_record(tiny, walk(tiny, plan, ("Ann", "Ben"), anonymous=True))
    assert "It was a tie: a tie goes to the option listed first" in md
    assert "Votes were anonymous" in md
    assert "| Web pages | 1 |" in md
    assert "Ann, Ben" not in md.split("## Participants")[0].split("**Deciders:**")[1].split("\n", 1)[1]


def test_the_record_is_the_same_every_time(tiny: Pack) -> None:
    s = walk(tiny, TINY_PLAN, ("Alice", "Bob", "Carol"))
    assert decision_record(tiny, s) == decision_record(tiny, s)


def test_a_realistic_three_member_session_gives_the_sample_record(python_web: Pack) -> None:
    """docs/sample-decision-record.md is this test's output: ADVISOR_WRITE_SAMPLE=1 rewrites it.

    Not compared with the file: the shipped pack is still being written, and its version and
    wording would make a golden copy fail for reasons that have nothing to do with the record.
    """
    s = walk(python_web, REALISTIC_VOTES, ("Alice", "Bob", "Carol"), topic="Backend for the orders service")
    md = decision_record(python_web, s)

    assert len(s.closed) == len(REALISTIC_VOTES)
    for question_id in REALISTIC_VOTES:
        question = python_web.question(question_id)
        assert question is not None
        assert f". {question.prompt}\n" in md
    top = outcome(python_web, s).recommendation.top
    assert f"We choose **{top.name}**" in md
    if os.environ.get("ADVISOR_WRITE_SAMPLE") == "1":
        SAMPLE.write_text(md)
    assert "- **Deciders:** Alice, Bob, Carol" in md
    assert "| FastAPI | 2 | Alice, Bob |" in md  # the team's own knowledge question
    assert "- Bob: FastAPI" in md
