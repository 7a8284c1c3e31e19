"""Packs from an untrusted pull request: findings, never a traceback, a file outside, or an echo.

`advisor lint` may run in CI on a contributor's pack, so a missing file is a finding, a link
to a file elsewhere (`/etc/passwd`) is refused unread, a finding quotes a short excerpt at
most, and control characters in pack text (which a terminal would obey) are an error.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.pack.findings import MAX_MESSAGE
from bot.pack.lint import lint_pack
from bot.pack.loader import EXCERPT, MAX_FILE, read_pack


@pytest.fixture
def pack_dir(tmp_path: Path, tiny_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_path, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def messages(folder: Path) -> list[str]:
    pack, findings = read_pack(folder)
    if pack is not None and not any(f.is_error for f in findings):
        findings += lint_pack(pack)
    return [str(f) for f in findings]


@pytest.mark.parametrize("name", ["subjects.yaml", "questions.yaml", "sources.yaml", "pack.yaml"])
def test_a_missing_required_file_is_a_finding_not_a_crash(pack_dir: Path, name: str) -> None:
    (pack_dir / name).unlink()
    pack, findings = read_pack(pack_dir)
    assert pack is None
    assert [f.code for f in findings] == ["E003"]
    assert f"missing {name}; every pack needs it" in findings[0].message


def test_a_link_to_a_file_outside_the_pack_is_refused_unread(pack_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\nsecret-token-value\n")
    (pack_dir / "sources.yaml").unlink()
    (pack_dir / "sources.yaml").symlink_to(secret)
    found = messages(pack_dir)
    assert any("E031" in m and "sources.yaml resolves outside the pack folder" in m for m in found)
    shown = "\n".join(found)
    assert "root:" not in shown
    assert "secret-token-value" not in shown
    assert str(secret) not in shown, "not even where the link points"


def test_a_link_to_etc_passwd_is_refused(pack_dir: Path) -> None:
    if not Path("/etc/passwd").is_file():
        pytest.skip("no /etc/passwd here")
    (pack_dir / "sources.yaml").unlink()
    (pack_dir / "sources.yaml").symlink_to("/etc/passwd")
    found = messages(pack_dir)
    assert any("E031" in m for m in found)
    shown = "\n".join(found)
    assert "root:" not in shown
    assert "/bin/" not in shown


def test_a_link_inside_the_pack_folder_is_followed(pack_dir: Path) -> None:
    (pack_dir / "shared").mkdir()
    (pack_dir / "sources.yaml").rename(pack_dir / "shared" / "sources.yaml")
    (pack_dir / "sources.yaml").symlink_to(Path("shared") / "sources.yaml")
    pack, findings = read_pack(pack_dir)
    assert pack is not None
    assert not [f for f in findings if f.is_error]


def test_a_dangling_link_or_a_fifo_is_a_finding_and_nothing_hangs(pack_dir: Path) -> None:
    (pack_dir / "sources.yaml").unlink()
    (pack_dir / "sources.yaml").symlink_to(pack_dir / "gone.yaml")
    (pack_dir / "questions.yaml").unlink()
    os.mkfifo(pack_dir / "questions.yaml")  # reading it would block for ever
    found = messages(pack_dir)
    assert any("sources.yaml is a link that leads nowhere" in m for m in found)
    assert any("questions.yaml is not a regular file" in m for m in found)


def test_an_oversized_file_is_refused_unread(pack_dir: Path) -> None:
    with (pack_dir / "questions.yaml").open("a") as file:
        file.write("#" * (MAX_FILE + 1))
    found = messages(pack_dir)
    assert any("E032" in m and "questions.yaml is" in m and "split or shorten it" in m for m in found)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("sources:\n  ? [a, b]\n  : c\n", "found a list or mapping used as a key"),
        ("sources: &loop [*loop]\n", "found unconstructable recursive node"),
        ("sources: " + "[" * 5_000 + "]" * 5_000 + "\n", "exceeded maximum nesting depth"),
        ("sources: !!python/object:os.system ls\n", "could not determine a constructor"),
    ],
)
def test_yaml_that_cannot_be_a_pack_is_one_syntax_finding(pack_dir: Path, text: str, problem: str) -> None:
    """A list as a key, an alias inside itself, deep nesting, a Python tag: E001, never a traceback."""
    (pack_dir / "sources.yaml").write_text(text)
    found = messages(pack_dir)
    assert [m for m in found if "E001" in m and problem in m and "sources.yaml" in m], found


def test_aliases_share_what_their_anchor_holds(pack_dir: Path) -> None:
    edit(pack_dir / "sources.yaml", "sources:\n", "sources: &all\n")
    with (pack_dir / "sources.yaml").open("a") as file:
        file.write("again: *all\n")
    found = messages(pack_dir)
    assert [m for m in found if "E002 unknown key 'again' in sources.yaml" in m], found


def test_findings_quote_a_short_excerpt_only(pack_dir: Path) -> None:
    long_id = "x" * 10_000
    edit(pack_dir / "questions.yaml", "  - id: kind\n", f"  - id: {long_id.upper()}\n")
    edit(pack_dir / "sources.yaml", "url: https://example.org/one", "url: " + "ftp://" + "y" * 10_000)
    found = messages(pack_dir)
    assert found
    for message in found:
        assert len(message) <= MAX_MESSAGE + 200  # the file:line:col in front
        assert "x" * (EXCERPT + 1) not in message.lower()
        assert "y" * (EXCERPT + 1) not in message


def test_a_file_that_is_not_a_yaml_mapping_is_not_echoed(pack_dir: Path) -> None:
    (pack_dir / "sources.yaml").write_text("root:x:0:0:root:/root:/bin/bash secret " * 50)
    found = messages(pack_dir)
    assert any("E00" in m for m in found)
    assert all("secret" not in m or m.count("secret") <= 1 for m in found)
    assert all(len(m) <= MAX_MESSAGE + 200 for m in found)


@pytest.mark.parametrize(
    ("yaml_escape", "code_point"),
    [
        ("\\e[2J", "U+001B"),  # clears the screen
        ("\\e]0;pwned\\a", "U+001B"),  # retitles the terminal
        ("\\a", "U+0007"),
        ("\\0", "U+0000"),
        ("\\x9b", "U+009B"),
        ("\\N", "U+0085"),
        ("\\r", "U+000D"),
        ("\\u202e", "U+202E"),
    ],
)
def test_control_characters_in_pack_text_are_an_error(
    pack_dir: Path, yaml_escape: str, code_point: str
) -> None:
    edit(
        pack_dir / "questions.yaml",
        "prompt: What are you building?",
        f'prompt: "What{yaml_escape} are you building?"',
    )
    found = messages(pack_dir)
    errors = [m for m in found if " E030 " in m]
    assert len(errors) == 1, found
    assert f"prompt holds the control character {code_point}; remove it" in errors[0]
    assert "questions.yaml:2:" in errors[0]


@pytest.mark.parametrize(
    ("file", "old"),
    [
        ("questions.yaml", "label: Web pages"),
        ("questions.yaml", "reason: Alpha renders pages."),
        ("sources.yaml", "title: Source one"),
        ("pack.yaml", "title: Tiny test advisor"),
    ],
)
def test_control_characters_anywhere_in_the_pack_are_found(pack_dir: Path, file: str, old: str) -> None:
    key, value = old.split(": ", 1)
    edit(pack_dir / file, old, f'{key}: "{value}\\e[31m"')
    assert any(" E030 " in m and f"{key} holds the control character U+001B" in m for m in messages(pack_dir))


def test_newlines_and_tabs_in_pack_text_are_fine(pack_dir: Path) -> None:
    edit(
        pack_dir / "questions.yaml",
        "why: Pages and APIs favour different tools.",
        'why: "Pages\\tand\\nAPIs."',
    )
    assert not [m for m in messages(pack_dir) if "E030" in m]
