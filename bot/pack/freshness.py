"""Is each subject's stated `latest_version` still the latest? Compares it with versions known elsewhere.

Pure: the pack and the versions found (installed metadata or the package index, looked up by
adapters/package_index.py) in, one verdict per subject out. A pack that is older than what is
available is *out of date*; an older installed copy says nothing about the pack (*ahead*).
Versions follow PEP 440's common forms (1.2.3, 1.2rc1, 1.2.post1, 1.2.dev3); anything else is
compared as text only for equality.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.pack.model import Location, Pack, Subject

_VERSION = re.compile(
    r"^v?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre>a|b|rc|alpha|beta|c)[-_.]?(?P<pre_n>\d*))?"
    r"(?:[-_.]?post[-_.]?(?P<post>\d*))?"
    r"(?:[-_.]?dev[-_.]?(?P<dev>\d*))?$",
    re.IGNORECASE,
)
_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2}


class Status(StrEnum):
    CURRENT = "current"
    OUT_OF_DATE = "out of date"
    AHEAD = "ahead"
    """The pack states a newer version than the one found (an old install): nothing to fix."""
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class FoundVersion:
    version: str
    where: str
    """Where it was found: "installed" or "PyPI"."""


@dataclass(frozen=True, slots=True)
class Freshness:
    subject_id: str
    package: str
    stated: str
    found: FoundVersion | None
    status: Status
    at: Location

    def __str__(self) -> str:
        name = self.subject_id if self.package == self.subject_id else f"{self.subject_id} ({self.package})"
        if self.found is None:
            return f"{name} {self.stated}: no installed or published version found to compare"
        if self.status is Status.OUT_OF_DATE:
            return (
                f"{name} {self.stated} is out of date; {self.found.where} has {self.found.version}."
                f" Update latest_version, released and checked at {self.at}"
            )
        return f"{name} {self.stated} ({self.found.where} {self.found.version})"


def package_name(subject: Subject) -> str:
    """The subject's distribution name, normalised as PEP 503 does (case, '-', '_' and '.')."""
    return normalise_name(subject.package or subject.id)


def normalise_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def version_key(version: str) -> tuple[tuple[int, ...], int, int, int, int] | None:
    """A sortable key for a PEP 440 version, or None when it is not one of the common forms."""
    match = _VERSION.match(version.strip())
    if match is None:
        return None
    release = tuple(int(part) for part in match["release"].split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    # Order within one release: dev < pre-release < final < post-release.
    if match["pre"]:
        phase, number = _PRE_RANK[match["pre"].lower()], int(match["pre_n"] or 0)
    elif match["dev"] is not None and match["post"] is None:
        phase, number = -1, 0
    else:
        phase, number = 3, 0
    post = int(match["post"] or 0) + 1 if match["post"] is not None else 0
    dev = int(match["dev"] or 0) if match["dev"] is not None else 1 << 30
    return release, phase, number, post, dev


def compare(stated: str, found: str) -> Status:
    if stated.strip() == found.strip():
        return Status.CURRENT
    stated_key, found_key = version_key(stated), version_key(found)
    if stated_key is None or found_key is None:
        return Status.UNKNOWN
    if stated_key == found_key:
        return Status.CURRENT
    return Status.OUT_OF_DATE if found_key > stated_key else Status.AHEAD


def check_freshness(pack: Pack, found: Mapping[str, FoundVersion]) -> tuple[Freshness, ...]:
    """One verdict per subject; `found` is keyed by normalised package name."""
    verdicts = []
    for subject in pack.subjects:
        name = package_name(subject)
        seen = found.get(name)
        status = Status.UNKNOWN if seen is None else compare(subject.latest_version, seen.version)
        verdicts.append(
            Freshness(
                subject_id=subject.id,
                package=name,
                stated=subject.latest_version,
                found=seen,
                status=status,
                at=subject.at,
            )
        )
    return tuple(verdicts)
