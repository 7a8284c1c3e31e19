"""Robustness: one changed answer must not flip a scenario's pick outside what an expert accepts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.pack.loader import load_pack
from bot.pack.robustness import check_robustness, walk_with_completion
from tests.bot.pack.test_loader import edit

API_SCENARIO = "  - name: api\n    answers: {kind: api, size: large}\n    expect_top: beta\n"


@pytest.fixture
def pack_dir(tmp_path: Path, tiny_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_path, folder)
    # Only the API scenario, so every finding below is about it.
    (folder / "scenarios.yaml").write_text("scenarios:\n" + API_SCENARIO)
    return folder


def test_a_question_the_scenario_never_answered_is_completed_with_not_sure(tiny_path: Path) -> None:
    pack = load_pack(tiny_path)
    path, completed = walk_with_completion(pack, {"kind": "pages", "size": "large"})
    assert path == (("kind", "pages"), ("admin", "unsure"), ("size", "large"))
    assert completed == ("admin",)


def test_every_other_option_of_every_answer_is_tried(pack_dir: Path) -> None:
    report = check_robustness(load_pack(pack_dir))
    tried = sorted(f"{v.question_id}={v.option_id}" for v in report.variants)
    assert tried == ["kind=pages", "kind=unsure", "size=small", "size=unsure"]
    assert report.scenarios == 1


def test_a_flip_outside_acceptable_fails_with_the_answer_and_the_points_that_moved(pack_dir: Path) -> None:
    report = check_robustness(load_pack(pack_dir))
    assert not report.passed
    messages: dict[str, list[str]] = {f.code: [] for f in report.findings}
    for finding in report.findings:
        messages[finding.code].append(str(finding))
    assert set(messages) == {"E023"}
    small = next(m for m in messages["E023"] if "size=small" in m)
    assert "scenarios.yaml:2:5: E023 'api': size=small (\"A single file\"" in small
    assert "gamma +4, beta -1, alpha -2; top pick gamma (4) over beta (3)" in small
    pages = next(m for m in messages["E023"] if "kind=pages" in m)
    assert "the new path also answers admin=unsure" in pages


def test_acceptable_picks_pass_and_never_fails_even_when_acceptable(pack_dir: Path) -> None:
    edit(
        pack_dir / "scenarios.yaml",
        "expect_top: beta\n",
        "expect_top: beta\n    acceptable: [alpha, gamma]\n",
    )
    report = check_robustness(load_pack(pack_dir))
    assert report.passed
    assert len(report.flips) == 3
    edit(pack_dir / "scenarios.yaml", "acceptable: [alpha, gamma]", "acceptable: [alpha]\n    never: [gamma]")
    report = check_robustness(load_pack(pack_dir))
    assert [f.code for f in report.findings] == ["E024"]
    assert "gamma is listed under `never`" in str(report.findings[0])


def test_a_scenario_that_fails_by_itself_is_left_to_the_scenario_tests(pack_dir: Path) -> None:
    edit(pack_dir / "scenarios.yaml", "expect_top: beta", "expect_top: gamma")
    report = check_robustness(load_pack(pack_dir))
    assert report.scenarios == 0
    assert report.findings == ()
