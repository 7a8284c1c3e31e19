"""`advisor pack status` and `advisor pack prune` as an operator runs them."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from adapters.cli import EXIT_OK
from tests.adapters.test_cli import run
from tests.conftest import TINY


def test_status_shows_kept_versions_and_who_is_pinned_and_prune_drops_the_unused(tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    env = {"ADVISOR_DB": str(tmp_path / "cli.db"), "HOME": str(tmp_path)}
    code, out, _ = run(["pack", "status", str(folder)], env)
    assert code == EXIT_OK
    assert "No versions kept" in out

    run(["chat", "--pack", str(folder), "--user", "ann"], env, stdin="pages\n")  # ann stops mid-way
    questions = folder / "questions.yaml"
    questions.write_text(questions.read_text().replace("- id: pages", "- id: web"))
    run(["chat", "--pack", str(folder), "--user", "bob"], env, stdin="web\n")  # bob starts on the new one
    questions.write_text(questions.read_text().replace("An admin saves weeks.", "Admins save weeks."))
    run(["chat", "--pack", str(folder), "--user", "cy"], env, stdin="quit\n")
    run(["forget", "--user", "cy"], env)  # nobody on the third version now... but it is current

    code, out, _ = run(["pack", "status", str(folder), "--format", "json"], env)
    assert code == EXIT_OK
    status = json.loads(out)
    kept = {k["version"]: k for k in status["kept"]}
    assert len(kept) == 3
    assert kept[status["current"]]["current"] is True
    assert sorted(k["conversations"] for k in kept.values()) == [0, 1, 1]

    code, out, _ = run(["pack", "status", str(folder)], env)
    assert f"current version {status['current'][:8]}" in out
    assert "3 version(s) kept" in out
    assert "1 conversation(s), 0 open team session(s)" in out

    # All three were served within the hour, so prune keeps them; an hour later it may drop
    # only the current-less, unpinned ones: here none is unpinned except the current one.
    code, out, _ = run(["pack", "prune", str(folder)], env)
    assert code == EXIT_OK
    assert "dropped 0 version(s)" in out
    run(["forget", "--user", "bob"], env)
    with sqlite3.connect(tmp_path / "cli.db") as raw:  # a day later: no bot served them since
        raw.execute("UPDATE pack_versions SET served_at = served_at - 86400")
    code, out, _ = run(["pack", "prune", str(folder)], env)
    assert "dropped 1 version(s)" in out  # bob's: nobody is on it, and it is not current
    code, out, _ = run(["pack", "status", str(folder), "--format", "json"], env)
    left = json.loads(out)["kept"]
    assert sorted((k["current"], k["conversations"]) for k in left) == [(False, 1), (True, 0)]
    code, out, _ = run(["chat", "--pack", str(folder), "--user", "ann"], env, stdin="quit\n")
    assert "Do editors need an admin?" in out  # ann still finishes on her version
