"""Fixtures the pack tests share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import PYTHON_WEB


@pytest.fixture
def python_web_dir(tmp_path: Path) -> Path:
    """A copy of the shipped pack that a test may edit."""
    folder = tmp_path / "python-web"
    shutil.copytree(PYTHON_WEB, folder)
    return folder
