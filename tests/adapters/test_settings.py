"""Odd settings get a message naming the variable; only the default data directory is created."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.cli import EXIT_OK, EXIT_STORE, main
from adapters.settings import Settings
from tests.conftest import TINY


def run(argv: list[str], env: dict[str, str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err, environ=env)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("form", ["{path}", "sqlite:///{path}"], ids=["path", "sqlite-url"])
def test_an_explicit_database_in_a_missing_folder_is_refused_naming_advisor_db(
    tmp_path: Path, form: str
) -> None:
    wanted = tmp_path / "nonexistent" / "dir" / "x.db"
    env = {"ADVISOR_DB": form.format(path=wanted).replace("sqlite:////", "sqlite:///"), "HOME": str(tmp_path)}
    code, out, err = run(["chat", "--pack", str(TINY), "--user", "x"], env, stdin="quit\n")
    assert code == EXIT_STORE
    assert "ADVISOR_DB" in err
    assert f"its folder {wanted.parent} does not exist" in err
    assert "Create the folder first" in err
    assert not (tmp_path / "nonexistent").exists(), "no folder tree was made"
    assert out == ""


def test_the_default_data_directory_is_created(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    assert Settings.from_env(env).db_is_default
    code, out, _ = run(["chat", "--pack", str(TINY), "--user", "x"], env, stdin="quit\n")
    assert code == EXIT_OK
    assert "What are you building?" in out
    assert (tmp_path / "xdg" / "framework-advisor" / "advisor.db").is_file()


def test_an_explicit_database_in_an_existing_folder_is_used(tmp_path: Path) -> None:
    env = {"ADVISOR_DB": str(tmp_path / "mine.db"), "HOME": str(tmp_path)}
    assert not Settings.from_env(env).db_is_default
    code, _, _ = run(["chat", "--pack", str(TINY), "--user", "x"], env, stdin="quit\n")
    assert code == EXIT_OK
    assert (tmp_path / "mine.db").is_file()


def test_the_pack_cache_lives_in_the_users_cache_folder_unless_told_otherwise(tmp_path: Path) -> None:
    home = {"HOME": str(tmp_path)}
    assert Settings.from_env(home).cache_dir == tmp_path / ".cache" / "framework-advisor"
    xdg = {**home, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert Settings.from_env(xdg).cache_dir == tmp_path / "xdg" / "framework-advisor"
    assert Settings.from_env({**xdg, "ADVISOR_CACHE_DIR": str(tmp_path / "c")}).cache_dir == tmp_path / "c"
    assert Settings.from_env({**xdg, "ADVISOR_CACHE_DIR": "off"}).cache_dir is None


def test_a_chat_fills_the_pack_cache_and_off_writes_none(tmp_path: Path) -> None:
    env = {"ADVISOR_DB": str(tmp_path / "a.db"), "HOME": str(tmp_path)}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    for _ in range(2):
        code, out, _ = run(["chat", "--pack", str(TINY), "--user", "x"], env, stdin="quit\n")
        assert code == EXIT_OK
        assert "What are you building?" in out
    assert len(list((tmp_path / "xdg" / "framework-advisor" / "packs").glob("*.pack"))) == 1
    off = {**env, "ADVISOR_CACHE_DIR": "off", "XDG_CACHE_HOME": str(tmp_path / "other")}
    code, out, _ = run(["chat", "--pack", str(TINY), "--user", "x"], off, stdin="quit\n")
    assert code == EXIT_OK
    assert "What are you building?" in out
    assert not (tmp_path / "other").exists()
