"""The shipped python-web pack: lint-clean, scenarios hold, every subject can win, no 2020 myths."""

from __future__ import annotations

import re

import pytest

from bot.pack.lint import lint_pack
from bot.pack.loader import load_pack
from bot.pack.model import Pack
from bot.pack.scenarios import run_scenario
from tests.conftest import PYTHON_WEB


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(PYTHON_WEB)


def test_lint_has_no_errors_and_no_warnings(pack: Pack) -> None:
    assert [str(f) for f in lint_pack(pack)] == []


def test_at_least_the_twelve_frameworks(pack: Pack) -> None:
    wanted = {
        "django",
        "flask",
        "fastapi",
        "starlette",
        "litestar",
        "quart",
        "pyramid",
        "falcon",
        "sanic",
        "tornado",
        "aiohttp",
        "bottle",
    }
    assert wanted <= {s.id for s in pack.subjects}


@pytest.mark.parametrize("index", range(len(load_pack(PYTHON_WEB).scenarios)))
def test_scenario(pack: Pack, index: int) -> None:
    outcome = run_scenario(pack, pack.scenarios[index])
    assert outcome.passed, [str(f) for f in outcome.findings]
    assert 5 <= len(outcome.path) <= 10, "a typical path is 6 to 10 questions, never the whole list"


def test_every_subject_wins_somewhere_or_says_why_not(pack: Pack) -> None:
    tops = {run_scenario(pack, s).ranking[0] for s in pack.scenarios}
    for subject in pack.subjects:
        assert subject.id in tops or subject.runner_up_only, subject.id


def test_every_question_explains_itself_and_offers_not_sure(pack: Pack) -> None:
    for question in pack.questions.values():
        assert question.why
        unsure = [o for o in question.options if o.unsure]
        assert len(unsure) == 1, question.id
        assert unsure[0].note
        assert not unsure[0].evidence


@pytest.mark.parametrize(
    "myth",
    [
        r"Django (is|follows) (an? )?MVC",
        r"Flask supports NoSQL",
        r"Flask (is|isn't|is not) (not )?easy to scale",
        r"\bJinja 2\b",
        r"perfectionists with deadlines.{0,40}python\.org",
        r"Flask .{0,20}faster than Django",
    ],
)
def test_no_error_of_the_2020_article_is_repeated(myth: str) -> None:
    pattern = re.compile(myth, re.IGNORECASE)
    for path in PYTHON_WEB.glob("*.yaml"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                assert re.search(r"not|never|isn't|myth|wrong|doesn't|no built-in|MTV", line, re.I), (
                    f"{path.name}:{number} repeats a 2020 error: {line.strip()}"
                )


def test_readme_diagram_is_current(pack: Pack) -> None:
    from bot.pack.graph import to_mermaid

    readme = (PYTHON_WEB / "README.md").read_text()
    assert "```mermaid\n" + to_mermaid(pack) + "```" in readme, (
        "regenerate with: advisor graph knowledge/python-web --format mermaid"
    )
