"""Freshness: a stated latest_version older than what is available is reported, with where to fix it."""

from __future__ import annotations

import json
from importlib import metadata

import pytest

from adapters.package_index import PYPI_JSON, index_versions, installed_versions
from bot.pack.freshness import FoundVersion, Status, check_freshness, compare, version_key
from bot.pack.loader import load_pack
from tests.conftest import TINY

PACK = load_pack(TINY)  # alpha 1.0, beta 2.0, gamma 0.1


@pytest.mark.parametrize(
    ("stated", "found", "status"),
    [
        ("0.163.2", "0.165.0", Status.OUT_OF_DATE),
        ("0.9", "0.10", Status.OUT_OF_DATE),  # numbers, not text: 10 > 9
        ("2.1", "2.1.0", Status.CURRENT),
        ("6.1.3", "6.1.3", Status.CURRENT),
        ("6.1.3", "6.0.10", Status.AHEAD),
        ("4.4.0", "4.4.0rc1", Status.AHEAD),
        ("4.4.0rc1", "4.4.0", Status.OUT_OF_DATE),
        ("1.0.dev1", "1.0a1", Status.OUT_OF_DATE),
        ("1.0", "1.0.post1", Status.OUT_OF_DATE),
        ("25.12.1", "26.3.0", Status.OUT_OF_DATE),
        ("latest", "1.0", Status.UNKNOWN),
    ],
)
def test_versions_compare_as_pep_440_releases(stated: str, found: str, status: Status) -> None:
    assert compare(stated, found) is status


def test_an_unparseable_version_has_no_key() -> None:
    assert version_key("banana") is None


def test_each_subject_gets_a_verdict_from_the_injected_versions() -> None:
    found = {"alpha": FoundVersion("1.2", "PyPI"), "beta": FoundVersion("2.0", "installed")}
    verdicts = {v.subject_id: v for v in check_freshness(PACK, found)}
    assert verdicts["alpha"].status is Status.OUT_OF_DATE
    assert "alpha 1.0 is out of date; PyPI has 1.2" in str(verdicts["alpha"])
    assert "subjects.yaml:" in str(verdicts["alpha"])
    assert verdicts["beta"].status is Status.CURRENT
    assert verdicts["gamma"].status is Status.UNKNOWN


def test_installed_versions_come_from_metadata_and_skip_what_is_missing() -> None:
    def version_of(name: str) -> str:
        if name == "Alpha_Pkg":
            return "3.0"
        raise metadata.PackageNotFoundError(name)

    found = installed_versions(["Alpha_Pkg", "beta"], version_of=version_of)
    assert found == {"alpha-pkg": FoundVersion("3.0", "installed")}


def test_index_versions_read_the_json_api_through_an_injected_fetch() -> None:
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        if url.endswith("/beta/json"):
            raise OSError("connection refused")
        return json.dumps({"info": {"version": "1.4"}}).encode()

    found, failed = index_versions(["alpha", "beta"], fetch=fetch)
    assert asked == [PYPI_JSON.format(name="alpha"), PYPI_JSON.format(name="beta")]
    assert found == {"alpha": FoundVersion("1.4", "PyPI")}
    assert failed == ["beta: connection refused"]
