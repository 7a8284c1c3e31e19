"""Read a pack folder into an immutable `Pack`, keeping file:line:col for every value.

Schema problems are collected, not raised one by one, so `advisor lint` can show them all;
`load_pack` raises the first as a `PackFileError` for callers that just need a usable pack.
A pack may come from an untrusted pull request, so only regular files inside its folder are
read (bot/pack/files.py), and a finding quotes at most EXCERPT characters of what a file holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml

from bot.errors import PackFileError
from bot.pack.collector import paused_gc
from bot.pack.files import MAX_FILE, PACK_FILES, content_version, read_pack_files
from bot.pack.findings import Finding
from bot.pack.limits import ID_PATTERN
from bot.pack.model import (
    Claim,
    Companion,
    Evidence,
    Location,
    Option,
    Pack,
    Question,
    Scenario,
    Source,
    Subject,
)

__all__ = [
    "EXCERPT",
    "MAX_FILE",
    "content_version",
    "excerpt",
    "load_pack",
    "parse_pack",
    "read_pack",
    "read_pack_files",
]

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ID = re.compile(ID_PATTERN)
EXCERPT = 40
T = TypeVar("T")


class _MarkedDict(dict[Any, Any]):
    """A mapping that remembers where each key and value sits."""

    __slots__ = ("at", "key_at", "value_at")
    at: yaml.Mark
    key_at: dict[Any, yaml.Mark]
    value_at: dict[Any, yaml.Mark]


class _MarkedList(list[Any]):
    __slots__ = ("at", "item_at")
    at: yaml.Mark
    item_at: list[yaml.Mark]


def _empty_map() -> _MarkedDict:
    empty = _MarkedDict()
    empty.at = yaml.Mark("", 0, 0, 0, None, 0)
    empty.key_at, empty.value_at = {}, {}
    return empty


class _DuplicateKey(Exception):
    def __init__(self, key: object, mark: yaml.Mark) -> None:
        self.key, self.mark = key, mark


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]  # CSafeLoader is untyped in the stubs
    """The C parser where available, with constructors that keep marks and reject duplicate keys."""


def _loc(file: str, mark: yaml.Mark) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


def _construct_map(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[_MarkedDict]:
    """A mapping under a tag other than the plain one (inside `!!set`, say): what `_tree` builds."""
    result = _MarkedDict()
    result.at, result.key_at, result.value_at = node.start_mark, {}, {}
    yield result
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise _unhashable(key_node)
        if key in result:
            raise _DuplicateKey(key, key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_at[key] = key_node.start_mark
        result.value_at[key] = value_node.start_mark


def _construct_seq(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> Iterator[_MarkedList]:
    result = _MarkedList()
    result.at, result.item_at = node.start_mark, []
    yield result
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.item_at.append(item.start_mark)


def _unhashable(node: yaml.Node) -> yaml.MarkedYAMLError:
    return yaml.constructor.ConstructorError(
        None, None, "found a list or mapping used as a key", node.start_mark
    )


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_Frame = tuple[yaml.Node, Any, Iterator[Any]]


def _tree(loader: _Loader, root: yaml.Node) -> Any:
    """The marked mappings and lists a document's nodes stand for, built depth first with an
    explicit stack (no recursion, however deep libyaml lets a file nest).

    Plain strings, mappings and lists, nearly everything in a pack, are built here directly;
    any other tag goes through the loader's safe constructors. An alias shares what its
    anchor built, as PyYAML's constructor does; one that points into its own ancestors is
    refused, as PyYAML refuses it.
    """
    built: dict[int, Any] = {}
    filling: set[int] = set()
    stack: list[_Frame] = []

    def value_of(node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == _STR else loader.construct_object(node, deep=True)
        known = built.get(id(node), built)
        if known is not built:
            if id(node) in filling:
                raise yaml.constructor.ConstructorError(
                    None, None, "found unconstructable recursive node", node.start_mark
                )
            return known
        out: Any
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            loader.flatten_mapping(node)
            out = _MarkedDict()
            out.at, out.key_at, out.value_at = node.start_mark, {}, {}
        elif isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            out = _MarkedList()
            out.at, out.item_at = node.start_mark, []
        else:
            return loader.construct_object(node, deep=True)
        built[id(node)] = out
        filling.add(id(node))
        stack.append((node, out, iter(node.value)))
        return out

    top = value_of(root)
    while stack:
        node, out, items = stack[-1]
        item = next(items, None)
        if item is None:
            filling.discard(id(node))
            stack.pop()
        elif isinstance(out, _MarkedDict):
            key_node, value_node = item
            if not isinstance(key_node, yaml.ScalarNode):
                raise _unhashable(key_node)
            key = value_of(key_node)
            if key in out:
                raise _DuplicateKey(key, key_node.start_mark)
            out[key] = value_of(value_node)
            out.key_at[key] = key_node.start_mark
            out.value_at[key] = value_node.start_mark
        else:
            out.append(value_of(item))
            out.item_at.append(item.start_mark)
    return top


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    """Dates stay text: a pack shows them, it never computes with them."""
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@dataclass
class _Reader:
    """Typed access to one parsed file that records a finding instead of failing."""

    file: str
    findings: list[Finding] = field(default_factory=list)

    def error(self, mark: yaml.Mark | Location, code: str, message: str) -> None:
        at = mark if isinstance(mark, Location) else _loc(self.file, mark)
        self.findings.append(Finding(at, code, message))

    def at(self, parent: _MarkedDict, key: str) -> Location:
        mark = parent.value_at.get(key) or parent.key_at.get(key) or parent.at
        return _loc(self.file, mark)

    def check_keys(
        self, node: _MarkedDict, *, what: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> None:
        for key in node:
            if key not in required and key not in optional:
                allowed = ", ".join((*required, *optional))
                self.error(node.key_at[key], "E002", f"unknown key '{key}' in {what}; allowed: {allowed}")
        for key in required:
            if key not in node:
                self.error(node.at, "E003", f"{what} is missing required key '{key}'")

    def text(self, node: _MarkedDict, key: str, *, what: str, default: str = "") -> str:
        value = node.get(key, default)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(self.at(node, key), "E004", f"{what}.{key} must be text, got {_kind(value)}")
            return default
        if isinstance(value, str):
            return value.strip()
        return str(value)

    def ident(self, node: _MarkedDict, key: str, *, what: str) -> str:
        value = node.get(key)
        if not isinstance(value, str):
            hint = " (YAML reads yes/no/on/off as true/false: quote it or pick another id)"
            self.error(
                self.at(node, key),
                "E004",
                f"{what}.{key} must be an id string, got {_kind(value)}"
                + (hint if isinstance(value, bool) else ""),
            )
            return f"?{id(node)}"
        if not _ID.match(value):
            self.error(
                self.at(node, key),
                "E006",
                f"{what}.{key} {excerpt(value)} must match {ID_PATTERN} (lower-case letters, digits, _ or -)",
            )
        return value

    def mapping(self, value: Any, mark: yaml.Mark, *, what: str) -> _MarkedDict | None:
        if isinstance(value, _MarkedDict):
            return value
        self.error(mark, "E004", f"{what} must be a mapping, got {_kind(value)}")
        return None

    def sequence(self, node: _MarkedDict, key: str, *, what: str) -> list[tuple[Any, yaml.Mark]]:
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, _MarkedList):
            self.error(self.at(node, key), "E004", f"{what}.{key} must be a list, got {_kind(value)}")
            return []
        return list(zip(value, value.item_at, strict=True))

    def ids(self, node: _MarkedDict, key: str, *, what: str) -> tuple[str, ...]:
        out: list[str] = []
        for item, mark in self.sequence(node, key, what=what):
            if isinstance(item, str):
                out.append(item.strip())
            else:
                self.error(mark, "E004", f"{what}.{key} must list ids, got {_kind(item)}")
        return tuple(out)

    def items(
        self,
        node: _MarkedDict,
        key: str,
        *,
        what: str,
        build: Callable[[_MarkedDict, str], T | None],
    ) -> tuple[T, ...]:
        out: list[T] = []
        for index, (item, mark) in enumerate(self.sequence(node, key, what=what)):
            item_what = f"{what}.{key}[{index}]"
            entry = self.mapping(item, mark, what=item_what)
            if entry is not None:
                built = build(entry, item_what)
                if built is not None:
                    out.append(built)
        return tuple(out)


def excerpt(value: object, limit: int = EXCERPT) -> str:
    """How a finding quotes a value from a file: its repr, cut to `limit` characters."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {excerpt(value)}"


def _claim(r: _Reader, node: _MarkedDict, what: str) -> Claim:
    r.check_keys(node, what=what, required=("text",), optional=("sources",))
    sources = r.ids(node, "sources", what=what)
    at = _loc(r.file, node.at)
    if not sources:
        r.error(at, "E018", f"{what} has no source; add `sources: [id]` from sources.yaml")
    return Claim(text=r.text(node, "text", what=what), sources=sources, at=at)


def _claims(r: _Reader, node: _MarkedDict, key: str, what: str) -> tuple[Claim, ...]:
    return r.items(node, key, what=what, build=lambda n, w: _claim(r, n, w))


def _answer_pairs(r: _Reader, node: _MarkedDict, key: str, what: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for item, mark in r.sequence(node, key, what=what):
        if isinstance(item, str) and item.count("=") == 1:
            question, option = (part.strip() for part in item.split("="))
            pairs.append((question, option))
        else:
            r.error(mark, "E004", f"{what}.{key} entries must look like question=option, got {excerpt(item)}")
    return tuple(pairs)


def _source(r: _Reader, node: _MarkedDict, what: str) -> Source:
    r.check_keys(node, what=what, required=("id", "url", "title"), optional=())
    url = r.text(node, "url", what=what)
    if url and not url.startswith(("https://", "http://")):
        r.error(r.at(node, "url"), "E004", f"{what}.url must be an http(s) URL, got {excerpt(url)}")
    return Source(
        id=r.ident(node, "id", what=what),
        url=url,
        title=r.text(node, "title", what=what),
        at=_loc(r.file, node.at),
    )


def _companion(r: _Reader, node: _MarkedDict, what: str) -> Companion:
    r.check_keys(node, what=what, required=("name", "why"), optional=("sources", "when"))
    sources = r.ids(node, "sources", what=what)
    at = _loc(r.file, node.at)
    if not sources:
        r.error(at, "E018", f"{what} has no source; add `sources: [id]` from sources.yaml")
    return Companion(
        name=r.text(node, "name", what=what),
        why=r.text(node, "why", what=what),
        sources=sources,
        when=_answer_pairs(r, node, "when", what),
        at=at,
    )


_SUBJECT_REQUIRED = (
    "id",
    "name",
    "summary",
    "url",
    "latest_version",
    "checked",
    "strengths",
    "weaknesses",
    "best_for",
    "avoid_when",
)


def _subject(r: _Reader, node: _MarkedDict, what: str) -> Subject:
    r.check_keys(
        node,
        what=what,
        required=_SUBJECT_REQUIRED,
        optional=("companions", "released", "runner_up_only", "package"),
    )
    summary_node = node.get("summary")
    at = _loc(r.file, node.at)
    if isinstance(summary_node, _MarkedDict):
        summary = _claim(r, summary_node, f"{what}.summary")
    else:
        if "summary" in node:
            r.error(r.at(node, "summary"), "E018", f"{what}.summary must be {{text, sources}}")
        summary = Claim(text=str(summary_node or ""), sources=(), at=at)
    for key in ("strengths", "weaknesses", "best_for", "avoid_when"):
        if key in node and not node[key]:
            r.error(r.at(node, key), "E003", f"{what}.{key} needs at least one claim")
    return Subject(
        id=r.ident(node, "id", what=what),
        name=r.text(node, "name", what=what),
        summary=summary,
        url=r.text(node, "url", what=what),
        latest_version=r.text(node, "latest_version", what=what),
        checked=r.text(node, "checked", what=what),
        strengths=_claims(r, node, "strengths", f"{what}.strengths"),
        weaknesses=_claims(r, node, "weaknesses", f"{what}.weaknesses"),
        best_for=_claims(r, node, "best_for", f"{what}.best_for"),
        avoid_when=_claims(r, node, "avoid_when", f"{what}.avoid_when"),
        companions=r.items(node, "companions", what=what, build=lambda n, w: _companion(r, n, w)),
        released=r.text(node, "released", what=what),
        runner_up_only=r.text(node, "runner_up_only", what=what),
        package=r.text(node, "package", what=what),
        at=at,
    )


def _evidence(r: _Reader, node: _MarkedDict, what: str) -> Evidence:
    r.check_keys(node, what=what, required=("subject", "weight", "reason"), optional=("sources",))
    weight = node.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int):
        r.error(r.at(node, "weight"), "E004", f"{what}.weight must be a whole number, got {_kind(weight)}")
        weight = 0
    sources = r.ids(node, "sources", what=what)
    at = _loc(r.file, node.at)
    if not sources:
        r.error(at, "E018", f"{what} (reason) has no source; add `sources: [id]` from sources.yaml")
    return Evidence(
        subject=r.text(node, "subject", what=what),
        weight=weight,
        reason=r.text(node, "reason", what=what),
        sources=sources,
        at=at,
    )


def _option(r: _Reader, node: _MarkedDict, what: str) -> Option:
    r.check_keys(
        node,
        what=what,
        required=("id", "label", "next"),
        optional=("synonyms", "evidence", "unsure", "note"),
    )
    unsure = node.get("unsure", False)
    if not isinstance(unsure, bool):
        r.error(r.at(node, "unsure"), "E004", f"{what}.unsure must be true or false")
        unsure = False
    synonyms: list[str] = []
    for item, mark in r.sequence(node, "synonyms", what=what):
        if isinstance(item, bool) or not isinstance(item, str | int):
            r.error(mark, "E004", f"{what}.synonyms must be text, got {_kind(item)} (quote it)")
        else:
            synonyms.append(str(item))
    next_value = node.get("next")
    return Option(
        id=r.ident(node, "id", what=what),
        label=r.text(node, "label", what=what),
        next=next_value if isinstance(next_value, str) else r.text(node, "next", what=what),
        synonyms=tuple(synonyms),
        evidence=r.items(node, "evidence", what=what, build=lambda n, w: _evidence(r, n, w)),
        unsure=unsure,
        note=r.text(node, "note", what=what),
        at=_loc(r.file, node.at),
    )


def _question(r: _Reader, node: _MarkedDict, what: str) -> Question:
    r.check_keys(
        node,
        what=what,
        required=("id", "prompt", "why", "options"),
        optional=("help", "sources"),
    )
    return Question(
        id=r.ident(node, "id", what=what),
        prompt=r.text(node, "prompt", what=what),
        why=r.text(node, "why", what=what),
        options=r.items(node, "options", what=what, build=lambda n, w: _option(r, n, w)),
        help=r.text(node, "help", what=what),
        sources=r.ids(node, "sources", what=what),
        at=_loc(r.file, node.at),
    )


def _scenario(r: _Reader, node: _MarkedDict, what: str) -> Scenario:
    r.check_keys(
        node,
        what=what,
        required=("name", "answers", "expect_top"),
        optional=("not_top", "expect_runner_up", "acceptable", "runner_up", "never"),
    )
    answers = r.mapping(node.get("answers"), node.value_at.get("answers", node.at), what=what)
    pairs: list[tuple[str, str]] = []
    for question, option in (answers or {}).items():
        if not isinstance(option, str):
            r.error(
                answers.value_at[question] if answers is not None else node.at,
                "E004",
                f"{what}.answers.{question} must be an option id, got {_kind(option)}",
            )
            continue
        pairs.append((str(question), option))
    return Scenario(
        name=r.text(node, "name", what=what),
        answers=tuple(pairs),
        expect_top=r.text(node, "expect_top", what=what),
        not_top=r.ids(node, "not_top", what=what),
        expect_runner_up=r.text(node, "expect_runner_up", what=what),
        acceptable=r.ids(node, "acceptable", what=what),
        runner_up=r.ids(node, "runner_up", what=what),
        never=r.ids(node, "never", what=what),
        at=_loc(r.file, node.at),
    )


def _parse(path: Path, data: bytes, findings: list[Finding]) -> _MarkedDict | None:
    loader = _Loader(data)  # a SafeLoader subclass
    try:
        root = loader.get_single_node()
        value = None if root is None else _tree(loader, root)
    except _DuplicateKey as dup:
        findings.append(
            Finding(_loc(str(path), dup.mark), "E005", f"key {excerpt(dup.key)} appears twice; keep one")
        )
        return None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        at = _loc(str(path), mark) if mark is not None else Location(str(path), 1, 1)
        problem = (error.problem or "invalid YAML")[:120]
        findings.append(Finding(at, "E001", f"YAML syntax: {problem}; fix the file's indentation or quoting"))
        return None
    except yaml.YAMLError as error:
        # Only the kind: a reader error's text can quote the file.
        findings.append(
            Finding(
                Location(str(path), 1, 1), "E001", f"YAML: {type(error).__name__}; check the file's encoding"
            )
        )
        return None
    finally:
        loader.dispose()
    if not isinstance(value, _MarkedDict):
        findings.append(
            Finding(Location(str(path), 1, 1), "E004", f"the file must hold a mapping, got {_kind(value)}")
        )
        return None
    return value


def read_pack(folder: Path) -> tuple[Pack | None, list[Finding]]:
    """Parse every file of a pack; returns the pack (None if unusable) and the schema findings."""
    raw, findings = read_pack_files(folder)
    if raw is None:
        return None, findings
    return parse_pack(raw, folder=folder, findings=findings)


def parse_pack(
    raw: Mapping[str, bytes], *, folder: Path, findings: list[Finding] | None = None
) -> tuple[Pack | None, list[Finding]]:
    """A pack from its files' bytes (read from a folder, or kept in the store under `folder`'s name)."""
    findings = [] if findings is None else findings
    with paused_gc():
        return _parse_pack(raw, folder=folder, findings=findings)


def _parse_pack(
    raw: Mapping[str, bytes], *, folder: Path, findings: list[Finding]
) -> tuple[Pack | None, list[Finding]]:
    docs = {name: _parse(folder / name, data, findings) for name, data in raw.items()}
    required = [docs.get(name) for name in PACK_FILES]
    if any(doc is None for doc in required):
        return None, findings

    readers = {name: _Reader(str(folder / name), findings) for name in docs}
    head_r, head = readers["pack.yaml"], docs["pack.yaml"]
    assert_dict = head if head is not None else _empty_map()
    head_r.check_keys(
        assert_dict,
        what="pack",
        required=("id", "title", "description", "start", "checked"),
        # tie_rule: read by packs before 0.2, now ignored (a level top is shown as level).
        optional=("close_margin", "tie_rule"),
    )
    close_margin = assert_dict.get("close_margin", 0)
    if isinstance(close_margin, bool) or not isinstance(close_margin, int) or close_margin < 0:
        head_r.error(
            head_r.at(assert_dict, "close_margin"), "E004", "pack.close_margin must be a whole number >= 0"
        )
        close_margin = 0

    def listed(name: str, key: str) -> _MarkedDict:
        doc = docs.get(name) or _empty_map()
        if doc:
            readers[name].check_keys(doc, what=name, required=(key,), optional=())
        return doc

    sources_r = readers["sources.yaml"]
    sources = sources_r.items(
        listed("sources.yaml", "sources"),
        "sources",
        what="sources",
        build=lambda n, w: _source(sources_r, n, w),
    )
    subjects_r = readers["subjects.yaml"]
    subjects = subjects_r.items(
        listed("subjects.yaml", "subjects"),
        "subjects",
        what="subjects",
        build=lambda n, w: _subject(subjects_r, n, w),
    )
    questions_r = readers["questions.yaml"]
    questions = questions_r.items(
        listed("questions.yaml", "questions"),
        "questions",
        what="questions",
        build=lambda n, w: _question(questions_r, n, w),
    )
    scenarios: tuple[Scenario, ...] = ()
    if "scenarios.yaml" in docs:
        scenarios_r = readers["scenarios.yaml"]
        scenarios = scenarios_r.items(
            listed("scenarios.yaml", "scenarios"),
            "scenarios",
            what="scenarios",
            build=lambda n, w: _scenario(scenarios_r, n, w),
        )

    _check_unique(findings, "source", [(s.id, s.at) for s in sources])
    _check_unique(findings, "subject", [(s.id, s.at) for s in subjects])
    _check_unique(findings, "question", [(q.id, q.at) for q in questions])
    pack = Pack(
        id=head_r.text(assert_dict, "id", what="pack"),
        title=head_r.text(assert_dict, "title", what="pack"),
        description=head_r.text(assert_dict, "description", what="pack"),
        start=head_r.text(assert_dict, "start", what="pack"),
        checked=head_r.text(assert_dict, "checked", what="pack"),
        close_margin=close_margin,
        version=content_version(raw),
        sources=MappingProxyType({s.id: s for s in sources}),
        subjects=subjects,
        questions=MappingProxyType({q.id: q for q in questions}),
        scenarios=scenarios,
        path=str(folder),
        at=_loc(str(folder / "pack.yaml"), assert_dict.at) if head else Location(str(folder), 1, 1),
    )
    return pack, findings


def _check_unique(findings: list[Finding], kind: str, ids: list[tuple[str, Location]]) -> None:
    seen: dict[str, Location] = {}
    for ident, at in ids:
        if ident in seen:
            findings.append(
                Finding(at, "E005", f"duplicate {kind} id '{ident}' (first at {seen[ident]}); rename one")
            )
        else:
            seen[ident] = at


def load_pack(folder: Path) -> Pack:
    """Load a pack for use; raises PackFileError naming the first schema problem."""
    pack, findings = read_pack(folder)
    errors = [f for f in findings if f.is_error]
    if pack is None or errors:
        first = errors[0] if errors else Finding(Location(str(folder), 1, 1), "E003", "pack unusable")
        raise PackFileError(first.at.file, first.at.line, first.at.column, first.code, first.message)
    return pack
