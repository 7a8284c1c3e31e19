"""A loaded `Pack` as bytes and back, for the pack cache (bot/pack/cache.py).

Plain data only: tuples, strings, integers and booleans in `marshal`'s format, never pickle,
so decoding constructs nothing but the pack's own types. `marshal` trusts its input, so
`loads` is only ever given bytes that bot/pack/cache.py has authenticated as its own.

Built for a start that needs a few questions of many: each question is its own small record,
decoded the first time it is asked for, and the tables `Pack` derives from all of them (the
fewest and most questions left from each, for the progress line) are stored beside them
instead of being worked out again. File names in locations are kept relative to the pack's
folder, so the same content loaded from another folder names its own files.
"""

from __future__ import annotations

import dataclasses
import marshal
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bot.pack.model import (
    NOWHERE,
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

FORMAT = 2
"""Bumped whenever the layout below changes; the cache also keys on the code that wrote it."""

_RESTORED = frozenset(("_subject_index", "_question_index", "_remaining", "_most", "_chosen", "_derived"))
"""The tables `Pack.__post_init__` derives that `loads` restores itself. A table the model gains
and this module does not know is worked out by `__post_init__` instead (correct, but it decodes
every question); tests/bot/pack/test_cache.py says when that happens."""


class DecodeError(ValueError):
    """Bytes that are not a pack this module wrote (a bug, or a format this version does not read)."""


class _Files:
    """Location file names <-> small integers; names inside the pack's folder kept relative."""

    def __init__(self, folder: str) -> None:
        self.prefix = folder + os.sep
        self.names: list[str] = []
        self._index: dict[str, int] = {}

    def location(self, at: Location) -> tuple[int, int, int]:
        if at == NOWHERE:
            return (-1, 0, 0)
        index = self._index.get(at.file)
        if index is None:
            index = self._index[at.file] = len(self.names)
            self.names.append(at.file)
        return (index, at.line, at.column)

    def table(self) -> tuple[tuple[bool, str], ...]:
        """(relative?, name) for each file: relative ones are re-rooted at the folder decoded into."""
        prefix = self.prefix
        return tuple(
            (True, name[len(prefix) :]) if name.startswith(prefix) else (False, name) for name in self.names
        )


def dumps(pack: Pack, *, folder: str) -> bytes:
    """`pack`, loaded from `folder`, as bytes for `loads`."""
    files = _Files(folder)
    loc = files.location

    def claim(c: Claim) -> tuple[Any, ...]:
        return (c.text, c.sources, loc(c.at))

    def companion(c: Companion) -> tuple[Any, ...]:
        return (c.name, c.why, c.sources, c.when, loc(c.at))

    def subject(s: Subject) -> tuple[Any, ...]:
        claims = (s.strengths, s.weaknesses, s.best_for, s.avoid_when)
        return (
            s.id,
            s.name,
            claim(s.summary),
            s.url,
            s.latest_version,
            s.checked,
            tuple(tuple(claim(c) for c in group) for group in claims),
            tuple(companion(c) for c in s.companions),
            s.released,
            s.runner_up_only,
            s.package,
            loc(s.at),
        )

    def option(o: Option) -> tuple[Any, ...]:
        evidence = tuple((e.subject, e.weight, e.reason, e.sources, loc(e.at)) for e in o.evidence)
        return (o.id, o.label, o.next, o.synonyms, evidence, o.unsure, o.note, loc(o.at))

    def question(q: Question) -> bytes:
        options = tuple(option(o) for o in q.options)
        return marshal.dumps((q.id, q.prompt, q.why, options, q.help, q.sources, loc(q.at)))

    def scenario(s: Scenario) -> tuple[Any, ...]:
        return (
            s.name,
            s.answers,
            s.expect_top,
            s.not_top,
            s.expect_runner_up,
            s.acceptable,
            s.runner_up,
            s.never,
            loc(s.at),
        )

    head = (
        pack.id,
        pack.title,
        pack.description,
        pack.start,
        pack.checked,
        pack.close_margin,
        pack.version,
        loc(pack.at),
    )
    sources = tuple((s.id, s.url, s.title, loc(s.at)) for s in pack.sources.values())
    subjects = tuple(subject(s) for s in pack.subjects)
    questions = tuple((key, question(q)) for key, q in pack.questions.items())
    scenarios = tuple(scenario(s) for s in pack.scenarios)
    fewest = {q: pack.remaining(q) for q in pack.questions if pack.reaches_result(q)}
    most = {q: pack.most_remaining(q) for q in fewest}
    body = (FORMAT, files.table(), head, sources, subjects, questions, scenarios, fewest, most)
    return marshal.dumps(body)


def loads(data: bytes, *, folder: str) -> Pack:
    """The pack `dumps` wrote, its locations re-rooted at `folder`; raises DecodeError."""
    try:
        body = marshal.loads(data)
        fmt, table, head, sources, subjects, questions, scenarios, fewest, most = body
        if fmt != FORMAT:
            raise DecodeError(f"pack cache format {fmt}, this advisor reads {FORMAT}")
        return _pack(folder, table, head, sources, subjects, questions, scenarios, fewest, most)
    except DecodeError:
        raise
    except (ValueError, TypeError, EOFError, IndexError, KeyError) as error:
        raise DecodeError(f"not a pack this advisor wrote: {type(error).__name__}") from None


def _pack(
    folder: str,
    table: tuple[tuple[bool, str], ...],
    head: tuple[Any, ...],
    sources: tuple[Any, ...],
    subjects: tuple[Any, ...],
    questions: tuple[tuple[str, bytes], ...],
    scenarios: tuple[Any, ...],
    fewest: dict[str, int],
    most: dict[str, int],
) -> Pack:
    names = [NOWHERE.file, *(folder + os.sep + name if relative else name for relative, name in table)]

    def loc(at: tuple[int, int, int]) -> Location:
        index, line, column = at
        return NOWHERE if index < 0 else Location(names[index + 1], line, column)

    def claim(c: tuple[Any, ...]) -> Claim:
        text, cited, at = c
        return Claim(text, cited, loc(at))

    def subject(s: tuple[Any, ...]) -> Subject:
        ident, name, summary, url, latest, checked, claims, companions, released, only, package, at = s
        strengths, weaknesses, best_for, avoid_when = (tuple(claim(c) for c in group) for group in claims)
        return Subject(
            ident,
            name,
            claim(summary),
            url,
            latest,
            checked,
            strengths,
            weaknesses,
            best_for,
            avoid_when,
            tuple(Companion(n, why, cited, when, loc(a)) for n, why, cited, when, a in companions),
            released,
            only,
            package,
            loc(at),
        )

    def question(record: bytes) -> Question:
        ident, prompt, why, options, help_text, cited, at = marshal.loads(record)
        return Question(
            ident,
            prompt,
            why,
            tuple(
                Option(
                    oid,
                    label,
                    following,
                    synonyms,
                    tuple(Evidence(s, w, r, c, loc(a)) for s, w, r, c, a in evidence),
                    unsure,
                    note,
                    loc(oat),
                )
                for oid, label, following, synonyms, evidence, unsure, note, oat in options
            ),
            help_text,
            cited,
            loc(at),
        )

    ident, title, description, start, checked, close_margin, version, at = head
    built_subjects = tuple(subject(s) for s in subjects)
    fields: dict[str, Any] = {
        "id": ident,
        "title": title,
        "description": description,
        "start": start,
        "checked": checked,
        "close_margin": close_margin,
        "version": version,
        "sources": {i: Source(i, url, t, loc(a)) for i, url, t, a in sources},
        "subjects": built_subjects,
        "questions": _LazyQuestions(dict(questions), question),
        "scenarios": tuple(
            Scenario(name, answers, top, not_top, runner, acceptable, runner_up, never, loc(a))
            for name, answers, top, not_top, runner, acceptable, runner_up, never, a in scenarios
        ),
        "path": folder,
        "at": loc(at),
    }
    index: dict[str, Subject] = {}
    for s in built_subjects:
        index.setdefault(s.id, s)
    lazy = fields["questions"]
    tables: dict[str, Any] = {
        "_subject_index": index,
        "_question_index": lazy,
        "_remaining": fewest,
        "_most": most,
        "_chosen": _LazyChosen(lazy),
        "_derived": {},
    }
    return _restore(fields, tables)


def _restore(fields: dict[str, Any], tables: dict[str, Any]) -> Pack:
    """A Pack from its fields and the tables it derives, without deriving them again."""
    pack = object.__new__(Pack)
    unknown = False
    for f in dataclasses.fields(Pack):
        if f.init:
            object.__setattr__(pack, f.name, fields[f.name])
        elif f.name in tables:
            object.__setattr__(pack, f.name, tables[f.name])
        else:
            unknown = True
    if unknown:
        Pack.__post_init__(pack)
    return pack


class _LazyQuestions(Mapping[str, Question]):
    """A pack's questions, each decoded from its record the first time it is asked for.

    Read-only, like the loader's mapping; iterating values (lint, `advisor questions`)
    decodes them all, once.
    """

    __slots__ = ("_build", "_built", "_records")

    def __init__(self, records: dict[str, bytes], build: Callable[[bytes], Question]) -> None:
        self._records = records
        self._built: dict[str, Question] = {}
        self._build = build

    def __getitem__(self, key: str) -> Question:
        question = self._built.get(key)
        if question is None:
            question = self._built[key] = self._build(self._records[key])
        return question

    def get(self, key: str, default: Any = None) -> Any:
        question = self._built.get(key)
        if question is not None:
            return question
        if key not in self._records:
            return default
        return self[key]

    def __contains__(self, key: object) -> bool:
        return key in self._records

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"<questions: {len(self._built)} of {len(self._records)} decoded>"


class _LazyChosen(Mapping[tuple[str, str], Option]):
    """`Pack.chosen`'s table over lazily decoded questions: (question id, option id) -> option,
    the first option with that id, as the model's own table and `Question.option` say."""

    __slots__ = ("_questions",)

    def __init__(self, questions: _LazyQuestions) -> None:
        self._questions = questions

    def __getitem__(self, key: tuple[str, str]) -> Option:
        option: Option | None = self.get(key)
        if option is None:
            raise KeyError(key)
        return option

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        question = self._questions.get(key[0])
        option = question.option(key[1]) if question is not None else None
        return default if option is None else option

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and len(key) == 2 and self.get(key) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for question_id, question in self._questions.items():
            seen: set[str] = set()
            for option in question.options:
                if option.id not in seen:
                    seen.add(option.id)
                    yield (question_id, option.id)

    def __len__(self) -> int:
        return sum(1 for _ in self)
