"""The shipped python-web pack: lint-clean, robust to one changed answer, no 2020 myths."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.matching import resolve_answer
from bot.pack.lint import lint_pack
from bot.pack.loader import load_pack
from bot.pack.model import Pack
from bot.pack.robustness import check_robustness
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
    assert 4 <= len(outcome.path) <= 10, "a path is 4 to 10 questions, never the whole list"


def test_at_least_forty_scenarios_each_saying_what_an_expert_accepts() -> None:
    raw = yaml.safe_load((PYTHON_WEB / "scenarios.yaml").read_text())["scenarios"]
    assert len(raw) >= 40
    for scenario in raw:
        missing = {"acceptable", "runner_up", "never"} - scenario.keys()
        assert not missing, f"{scenario['name']} lacks {missing}"
        assert scenario["runner_up"], f"{scenario['name']} accepts no runner-up"


def test_no_single_changed_answer_flips_a_scenario_outside_what_an_expert_accepts(pack: Pack) -> None:
    report = check_robustness(pack)
    assert report.scenarios == len(pack.scenarios)
    assert len(report.variants) > 1000
    assert [str(f) for f in report.findings] == []


def test_stability_for_semver_alone_is_caught_as_a_flip(tmp_path: Path) -> None:
    """Falcon +3 at "long support" (as much as Django's LTS) once put Falcon first for a realtime service."""
    folder = tmp_path / "python-web"
    shutil.copytree(PYTHON_WEB, folder)
    questions = folder / "questions.yaml"
    falcon = "            weight: 1\n            reason: Falcon keeps breaking changes to major releases"
    text = questions.read_text()
    assert falcon in text
    questions.write_text(text.replace(falcon, falcon.replace("weight: 1", "weight: 3")))
    shown = [str(f) for f in check_robustness(load_pack(folder)).findings]
    flip = next(m for m in shown if "'realtime chat service': priority=stable" in m)
    assert "E024" in flip
    assert "falcon +3, django +3" in flip
    assert "top pick falcon (4) over fastapi (1)" in flip
    assert "falcon is listed under `never`" in flip


@pytest.mark.parametrize(
    ("question", "typed", "option"),
    [
        ("out", "html pages", "html"),
        ("out", "templates", "html"),
        ("out", "server-rendered", "html"),
        ("out", "REST", "api"),
        ("out", "GraphQL", "api"),
        ("deliver", "html pages", "html"),
        ("deliver", "templates", "html"),
        ("deliver", "server-rendered", "html"),
        ("deliver", "REST", "api"),
        ("deliver", "GraphQL", "api"),
        ("deliver", "websocket", "realtime"),
        ("deliver", "websockets", "realtime"),
        ("deliver", "ML model", "ml"),
        ("dj_add", "GraphQL", "api"),
        ("dj_add", "websockets", "realtime"),
        ("fl_need", "websocket", "async"),
        ("conc", "websockets", "live"),
        ("deploy", "lambda", "serverless"),
        ("builtins", "admin", "admin"),
        ("priority", "LTS", "stable"),
    ],
)
def test_the_phrasings_people_type_resolve(pack: Pack, question: str, typed: str, option: str) -> None:
    assert resolve_answer(pack.questions[question], typed).id == option


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
        r"Flask'?s own database pattern uses SQLAlchemy",
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
