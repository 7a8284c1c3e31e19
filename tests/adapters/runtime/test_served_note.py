"""The watcher's periodic "still served" note survives a pack version that left the store while
its files changed on disk: it says so and keeps watching, never stores the new bytes under the
old version, and never ends the watcher."""

from __future__ import annotations

import logging
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

import bot.pack.cache as cache_module
from adapters.runtime.reload import SERVED_EVERY, PackWatcher
from adapters.runtime.service import Runtime
from adapters.services import Services
from bot.pack.cache import PackCache
from bot.pack.registry import PackRegistry
from bot.store.sqlite import SqliteStore
from tests.conftest import PYTHON_WEB


async def test_a_note_on_files_changed_since_the_start_is_refused_and_the_watcher_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(cache_module, "SETTLED_NS", 0)  # the files count as settled at once
    folder = tmp_path / "python-web"
    shutil.copytree(PYTHON_WEB, folder)
    cache = PackCache(tmp_path / "cache")
    PackRegistry(cache=cache).load(folder)  # the first start: cached, the folder noted
    registry = PackRegistry(cache=cache)
    pack = registry.load(folder)  # a later start: served from the cache, the files not read
    store = await SqliteStore.open(tmp_path / "advisor.db")
    try:
        registry.archive = store
        services = Services(store=store, registry=registry, advisor=pack.id, idle_timeout=timedelta(hours=1))
        watcher = PackWatcher(services, Runtime(), folder=folder, poll_seconds=0)
        questions = folder / "questions.yaml"
        questions.write_bytes(questions.read_bytes() + b"\n# edited after the start\n")
        with caplog.at_level(logging.WARNING, logger="adapters.runtime.reload"):
            await watcher._note_served(SERVED_EVERY)  # the store never had this version
        assert "the pack changed while the advisor started" in caplog.text
        assert await store.latest_pack(pack.id) is None, "the edited bytes were kept under the old version"
    finally:
        await store.close()
