"""Lint: references, cycles, dead ends, reachability, limits and sources, as file:line:col findings."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.pack.lint import lint_pack
from bot.pack.loader import load_pack, read_pack
from tests.bot.pack.test_loader import edit

LOCATED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[EW]\d{3}) ")


@pytest.fixture
def pack_dir(tmp_path: Path, tiny_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_path, folder)
    return folder


def errors_of(folder: Path) -> list[str]:
    pack, findings = read_pack(folder)
    if pack is not None and not any(f.is_error for f in findings):
        findings += lint_pack(pack)
    return [str(f) for f in findings if f.is_error]


def test_shipped_packs_are_clean(tiny_path: Path) -> None:
    assert lint_pack(load_pack(tiny_path)) == []


def test_dangling_next_cycle_and_missing_source_give_three_located_errors(pack_dir: Path) -> None:
    questions = pack_dir / "questions.yaml"
    # dangling next: the admin question's "need" option points nowhere
    edit(
        questions,
        '        synonyms: ["yes"]\n        next: result',
        '        synonyms: ["yes"]\n        next: nowhere',
    )
    # cycle: size -> kind
    edit(
        questions,
        "      - id: large\n        label: Large and long-lived\n        next: result",
        "      - id: large\n        label: Large and long-lived\n        next: kind",
    )
    # an evidence reason without a source
    edit(
        questions,
        "{subject: gamma, weight: 4, reason: Gamma fits in one file., sources: [s1]}",
        "{subject: gamma, weight: 4, reason: Gamma fits in one file.}",
    )
    pack, findings = read_pack(pack_dir)
    assert pack is not None
    found = [str(f) for f in findings + lint_pack(pack) if f.is_error]
    assert len(found) == 3, found
    codes = sorted(LOCATED.match(line)["code"] for line in found)  # type: ignore[index]
    assert codes == ["E010", "E013", "E018"]
    for line in found:
        match = LOCATED.match(line)
        assert match is not None, line
        assert match["file"].endswith("questions.yaml")
        assert int(match["line"]) > 1


def test_unreachable_question_and_dead_end(pack_dir: Path) -> None:
    with (pack_dir / "questions.yaml").open("a") as f:
        f.write(
            "  - id: orphan\n    prompt: Never asked?\n    why: Nobody links here.\n    options:\n"
            "      - {id: a, label: A, next: orphan}\n"
            "      - {id: unsure, label: Not sure, unsure: true, note: n, next: orphan}\n"
        )
    found = errors_of(pack_dir)
    assert any("E014" in e and "orphan" in e for e in found)
    assert any("E015" in e and "orphan" in e for e in found)


def test_platform_limits_on_labels_and_option_counts(pack_dir: Path) -> None:
    edit(pack_dir / "questions.yaml", "label: Web pages", "label: " + "W" * 80)
    found = errors_of(pack_dir)
    assert any("E017" in e and "80 characters" in e for e in found)


def test_unknown_subject_and_source_references(pack_dir: Path) -> None:
    edit(
        pack_dir / "questions.yaml",
        "{subject: alpha, weight: 2, reason: Alpha ships an admin., sources: [s1]}",
        "{subject: omega, weight: 2, reason: Alpha ships an admin., sources: [s9]}",
    )
    found = errors_of(pack_dir)
    assert any("E011" in e and "omega" in e for e in found)
    assert any("E012" in e and "s9" in e for e in found)


def test_weight_out_of_range(pack_dir: Path) -> None:
    edit(pack_dir / "questions.yaml", "weight: 4", "weight: 9")
    assert any("E020" in e for e in errors_of(pack_dir))


def test_subject_that_can_never_rank_first_is_a_warning(pack_dir: Path) -> None:
    edit(
        pack_dir / "questions.yaml",
        "{subject: gamma, weight: 4, reason: Gamma fits in one file., sources: [s1]}",
        "{subject: beta, weight: 4, reason: Beta fits in one file., sources: [s1]}",
    )
    (pack_dir / "scenarios.yaml").unlink()
    pack = load_pack(pack_dir)
    warnings = [f for f in lint_pack(pack) if not f.is_error]
    assert [(f.code, "gamma" in f.message) for f in warnings] == [("W001", True)]
    edit(
        pack_dir / "subjects.yaml",
        "    name: Gamma\n",
        "    name: Gamma\n    runner_up_only: Kept for comparison.\n",
    )
    assert lint_pack(load_pack(pack_dir)) == []


def test_unsure_option_must_be_neutral_and_say_what_helps(pack_dir: Path) -> None:
    edit(pack_dir / "questions.yaml", "        note: Ask who will edit content.\n", "")
    assert any("E019" in e for e in errors_of(pack_dir))


def double_counts(folder: Path) -> list[str]:
    return [str(f) for f in lint_pack(load_pack(folder)) if f.code == "W006"]


def test_one_fact_scored_twice_on_one_path_is_a_warning(pack_dir: Path) -> None:
    # kind=pages leads on to admin: the same sentence for alpha on both answers counts one fact twice.
    edit(pack_dir / "questions.yaml", "reason: Alpha ships an admin.", "reason: Alpha renders pages!")
    found = double_counts(pack_dir)
    assert len(found) == 1
    assert "W006 admin=need counts a fact for alpha that kind=pages already counts" in found[0]
    assert "the same reason" in found[0]
    assert LOCATED.match(found[0]) is not None


def test_a_reworded_repeat_from_the_same_source_is_caught_by_its_key_words(pack_dir: Path) -> None:
    # kind=pages -> admin=none -> size=large: both reasons cite s1 and share "built-in templates".
    edit(pack_dir / "questions.yaml", "reason: Alpha renders pages.", "reason: Alpha has built-in templates.")
    edit(
        pack_dir / "questions.yaml",
        "reason: Alpha has long support.",
        "reason: Alpha's built-in templates save years of work.",
    )
    found = double_counts(pack_dir)
    assert len(found) == 1
    assert "size=large counts a fact for alpha that kind=pages" in found[0]
    assert "the words built-in, template" in found[0]


def test_independent_facts_opposite_signs_and_other_branches_are_not_double_counts(pack_dir: Path) -> None:
    # The shipped tiny pack cites s1 for several independent alpha facts on one path: no warning.
    assert double_counts(pack_dir) == []
    # Same words, but one for and one against: that is a trade-off, not a repeat.
    edit(pack_dir / "questions.yaml", "reason: Alpha renders pages.", "reason: Alpha has long support.")
    assert len(double_counts(pack_dir)) == 1
    edit(
        pack_dir / "questions.yaml",
        "{subject: alpha, weight: 2, reason: Alpha has long support.",
        "{subject: alpha, weight: -2, reason: Alpha has long support.",
    )
    assert double_counts(pack_dir) == []
    # kind=api never reaches admin, so the same sentence there and at admin=need is never summed.
    edit(
        pack_dir / "questions.yaml",
        "{subject: alpha, weight: 2, reason: Alpha ships an admin., sources: [s1]}",
        "{subject: beta, weight: 1, reason: Beta is built for APIs., sources: [s2]}",
    )
    assert double_counts(pack_dir) == []
