"""Loading packs: every problem names file:line:col and what to fix; a bad pack never replaces a good one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.errors import LintFailed, PackError, PackFileError
from bot.pack.loader import load_pack, read_pack
from bot.pack.registry import PackRegistry


@pytest.fixture
def pack_dir(tmp_path: Path, tiny_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_path, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text {old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_tiny_pack_loads_as_immutable_typed_data(tiny_path: Path) -> None:
    pack = load_pack(tiny_path)
    assert pack.start == "kind"
    assert [s.id for s in pack.subjects] == ["alpha", "beta", "gamma"]
    question = pack.questions["kind"]
    assert question.options[1].synonyms == ("rest",)
    assert question.options[0].evidence[0].weight == 3
    assert question.at.line == 2
    with pytest.raises(AttributeError):
        question.prompt = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        pack.questions["new"] = question  # type: ignore[index]


def test_version_is_a_content_hash(pack_dir: Path, tiny_path: Path) -> None:
    assert load_pack(pack_dir).version == load_pack(tiny_path).version
    edit(pack_dir / "questions.yaml", "How big is it?", "How large is it?")
    assert load_pack(pack_dir).version != load_pack(tiny_path).version


def test_malformed_yaml_names_file_line_and_column(pack_dir: Path) -> None:
    edit(pack_dir / "questions.yaml", "    why: Pages and APIs", "    why: [Pages and APIs")
    with pytest.raises(PackFileError) as caught:
        load_pack(pack_dir)
    error = caught.value
    assert error.path.name == "questions.yaml"
    assert error.line > 1
    assert error.key == "E001"
    assert str(error).startswith(f"{pack_dir / 'questions.yaml'}:{error.line}:{error.column}: E001")


def test_unknown_and_missing_keys_are_reported_with_their_place(pack_dir: Path) -> None:
    edit(pack_dir / "questions.yaml", "    why: Small tools", "    wy: Small tools")
    _pack, findings = read_pack(pack_dir)
    messages = [str(f) for f in findings]
    assert any("unknown key 'wy'" in m and "questions.yaml:" in m for m in messages)
    assert any("missing required key 'why'" in m for m in messages)


def test_yes_as_an_id_is_explained(pack_dir: Path) -> None:
    edit(pack_dir / "questions.yaml", "      - id: need\n", "      - id: yes\n")
    with pytest.raises(PackError, match="quote it or pick another id"):
        load_pack(pack_dir)


def test_duplicate_key_is_an_error_not_a_silent_overwrite(pack_dir: Path) -> None:
    edit(pack_dir / "pack.yaml", "title: Tiny test advisor\n", "title: Tiny test advisor\ntitle: Again\n")
    with pytest.raises(PackError, match="appears twice"):
        load_pack(pack_dir)


def test_claim_without_source_is_an_error(pack_dir: Path) -> None:
    edit(
        pack_dir / "subjects.yaml",
        "strengths: [{text: Pages., sources: [s1]}]",
        "strengths: [{text: Pages.}]",
    )
    with pytest.raises(PackFileError, match="E018") as caught:
        load_pack(pack_dir)
    assert caught.value.path.name == "subjects.yaml"


def test_a_broken_pack_never_replaces_a_good_one(pack_dir: Path) -> None:
    registry = PackRegistry()
    good = registry.load(pack_dir)
    edit(pack_dir / "questions.yaml", "next: result\n", "next: nowhere\n")
    with pytest.raises(LintFailed, match="unknown question 'nowhere'"):
        registry.reload("tiny")
    assert registry.current("tiny") is good
    (pack_dir / "subjects.yaml").write_text("subjects: [")
    with pytest.raises(PackError):
        registry.reload("tiny")
    assert registry.current("tiny") is good


def test_missing_folder_and_files_say_what_is_expected(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="no such pack folder"):
        load_pack(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PackError, match=r"missing pack\.yaml"):
        load_pack(tmp_path / "empty")
