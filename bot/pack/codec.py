"""A loaded `Pack` as bytes and back, for the pack cache (bot/pack/cache.py).

Plain data only: tuples, strings, integers, booleans and packed integer arrays in `marshal`'s
and `array`'s formats, never pickle, so decoding constructs nothing but the pack's own types.
`marshal` trusts its input, so `loads` is only ever given bytes that bot/pack/cache.py has
authenticated as its own.

Built for a start that needs a few questions of many, so nothing at start is O(questions)
but one dict of question ids: the bytes are a small head (the pack's own fields, its sources,
subjects and scenarios, the question ids) and then one record per question, back to back.
Three packed arrays beside the ids give each record's offset and the two tables `Pack`
derives from all questions (the fewest and most questions left from each, for the progress
line), so neither is worked out again nor unpacked into 10,000 objects. A record is decoded
the first time its question is asked for, straight from the entry's buffer (a view, not a
copy). Inside a record, equal strings are one object (marshal writes the others as
back-references) and locations are one packed array read in order, not a tuple each.
File names in locations are kept relative to the pack's folder, so the same content loaded
from another folder names its own files.
"""

from __future__ import annotations

import dataclasses
import marshal
import os
import zlib
from array import array
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

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

FORMAT = 3
"""Bumped whenever the layout below changes; the cache also keys on the code that wrote it."""

_RESTORED = frozenset(("_subject_index", "_question_index", "_remaining", "_most", "_chosen", "_derived"))
"""The tables `Pack.__post_init__` derives that `loads` restores itself. A table the model gains
and this module does not know is worked out by `__post_init__` instead (correct, but it decodes
every question); tests/bot/pack/test_cache.py says when that happens."""

_HEAD_LENGTH = 4
"""Bytes of the little-endian length of a framed head (`frame`)."""
_NONE = -1
"""In the fewest/most arrays: the question reaches no result (not in the table)."""
_Hashable = TypeVar("_Hashable", str, tuple[str, ...])


class DecodeError(ValueError):
    """Bytes that are not a pack this module wrote (a bug, or a format this version does not read)."""


def frame(head: bytes) -> bytes:
    """`head` with its length in front, so what follows it can be read without copying."""
    return len(head).to_bytes(_HEAD_LENGTH, "little") + head


def unframe(data: memoryview) -> tuple[Any, memoryview]:
    """The marshalled head `frame` wrote at the start of `data`, and the bytes after it (a view)."""
    if len(data) < _HEAD_LENGTH:
        raise DecodeError("not a pack this advisor wrote: no head")
    end = _HEAD_LENGTH + int.from_bytes(data[:_HEAD_LENGTH], "little")
    if end > len(data):
        raise DecodeError("not a pack this advisor wrote: head cut short")
    return marshal.loads(data[_HEAD_LENGTH:end]), data[end:]


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


class _Shared:
    """One object per distinct string (or tuple of strings) across the pack, so that marshal
    writes a repeat inside a record as a back-reference instead of the text again."""

    def __init__(self) -> None:
        self._seen: dict[object, object] = {}

    def __call__(self, value: _Hashable) -> _Hashable:
        return self._seen.setdefault(value, value)  # type: ignore[return-value]


def dumps(pack: Pack, *, folder: str) -> bytes:
    """`pack`, loaded from `folder`, as bytes for `loads`."""
    files = _Files(folder)
    loc = files.location
    shared = _Shared()

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

    def question(q: Question) -> bytes:
        # Locations in the order _question reads them: the question's, then per option its
        # evidence's and its own.
        places = array("i", loc(q.at))
        options = []
        for o in q.options:
            evidence = []
            for e in o.evidence:
                evidence.append((shared(e.subject), e.weight, shared(e.reason), shared(e.sources)))
                places.extend(loc(e.at))
            places.extend(loc(o.at))
            options.append(
                (
                    shared(o.id),
                    shared(o.label),
                    shared(o.next),
                    shared(o.synonyms),
                    tuple(evidence),
                    o.unsure,
                    shared(o.note),
                )
            )
        text = (shared(q.prompt), shared(q.why), shared(q.help), shared(q.sources))
        return marshal.dumps((q.id, *text, tuple(options), places.tobytes()))

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
    records = [question(q) for q in pack.questions.values()]
    offsets = array("i", [0])
    for record in records:
        offsets.append(offsets[-1] + len(record))
    keys = tuple(pack.questions)
    names, ends, slots = _index_of(keys)
    fewest = array("i", (pack.remaining(q) if pack.reaches_result(q) else _NONE for q in keys))
    most = array("i", (pack.most_remaining(q) if pack.reaches_result(q) else _NONE for q in keys))
    sources = tuple((s.id, s.url, s.title, loc(s.at)) for s in pack.sources.values())
    subjects = tuple(subject(s) for s in pack.subjects)
    scenarios = tuple(scenario(s) for s in pack.scenarios)
    top = (
        FORMAT,
        files.table(),  # last: every location above has named its file
        head,
        sources,
        subjects,
        scenarios,
        names,
        ends.tobytes(),
        slots.tobytes(),
        offsets.tobytes(),
        fewest.tobytes(),
        most.tobytes(),
    )
    return frame(marshal.dumps(top)) + b"".join(records)


def loads(data: bytes | memoryview, *, folder: str) -> Pack:
    """The pack `dumps` wrote, its locations re-rooted at `folder`; raises DecodeError.

    Only the head is decoded here; the questions' records stay in `data` (kept, not copied)
    until each is asked for.
    """
    try:
        top, records = unframe(memoryview(data))
        if not isinstance(top, tuple) or not top or top[0] != FORMAT:
            found = top[0] if isinstance(top, tuple) and top else None
            raise DecodeError(f"pack cache format {found!r}, this advisor reads {FORMAT}")
        _, table, head, sources, subjects, scenarios, names, ends, slots, offsets, fewest, most = top
        index = _Index(names, _ints(ends, None), _ints(slots, None))
        return _pack(folder, table, head, sources, subjects, scenarios, index, records, offsets, fewest, most)
    except DecodeError:
        raise
    except (ValueError, TypeError, EOFError, IndexError, KeyError, OverflowError) as error:
        raise DecodeError(f"not a pack this advisor wrote: {type(error).__name__}") from None


def _ints(packed: bytes, count: int | None) -> array[int]:
    values = array("i")
    values.frombytes(packed)
    if count is not None and len(values) != count:
        raise DecodeError(f"not a pack this advisor wrote: {len(values)} values for {count}")
    return values


def _pack(
    folder: str,
    table: tuple[tuple[bool, str], ...],
    head: tuple[Any, ...],
    sources: tuple[Any, ...],
    subjects: tuple[Any, ...],
    scenarios: tuple[Any, ...],
    index: _Index,
    records: memoryview,
    offsets: bytes,
    fewest: bytes,
    most: bytes,
) -> Pack:
    names = [NOWHERE.file, *(folder + os.sep + name if relative else name for relative, name in table)]

    def place(index: int, line: int, column: int) -> Location:
        return NOWHERE if index < 0 else Location(names[index + 1], line, column)

    def loc(at: tuple[int, int, int]) -> Location:
        return place(*at)

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

    def question(record: memoryview) -> Question:
        ident, prompt, why, help_text, cited, options, packed = marshal.loads(record)
        places = array("i")
        places.frombytes(packed)
        at = iter(places)

        def next_place() -> Location:
            return place(next(at), next(at), next(at))

        where = next_place()
        built = []
        for oid, label, following, synonyms, evidence, unsure, note in options:
            proof = tuple(Evidence(s, w, r, c, next_place()) for s, w, r, c in evidence)
            built.append(Option(oid, label, following, synonyms, proof, unsure, note, next_place()))
        return Question(ident, prompt, why, tuple(built), help_text, cited, where)

    count = len(index)
    bounds = _ints(offsets, count + 1)
    if bounds[-1] != len(records):
        raise DecodeError("not a pack this advisor wrote: question records cut short")
    questions = _LazyQuestions(index, bounds, records, question)
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
        "questions": questions,
        "scenarios": tuple(
            Scenario(name, answers, top, not_top, runner, acceptable, runner_up, never, loc(a))
            for name, answers, top, not_top, runner, acceptable, runner_up, never, a in scenarios
        ),
        "path": folder,
        "at": loc(at),
    }
    subject_index: dict[str, Subject] = {}
    for s in built_subjects:
        subject_index.setdefault(s.id, s)
    tables: dict[str, Any] = {
        "_subject_index": subject_index,
        "_question_index": questions,
        "_remaining": _Counts(index, _ints(fewest, count)),
        "_most": _Counts(index, _ints(most, count)),
        "_chosen": _LazyChosen(questions),
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


def _encoded(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass")


def _index_of(keys: tuple[str, ...]) -> tuple[bytes, array[int], array[int]]:
    """`keys` as `_Index` reads them: their bytes back to back, where each ends, and an
    open-addressing table of slots (twice as many as keys, a power of two) by CRC-32."""
    encoded = [_encoded(key) for key in keys]
    ends = array("i", [0])
    for name in encoded:
        ends.append(ends[-1] + len(name))
    size = 8
    while size < 2 * len(keys):
        size *= 2
    slots = array("i", [_NONE]) * size
    mask = size - 1
    for at, name in enumerate(encoded):
        slot = zlib.crc32(name) & mask
        while slots[slot] != _NONE:
            slot = (slot + 1) & mask
        slots[slot] = at
    return b"".join(encoded), ends, slots


class _Index:
    """Question id -> its position, read straight from the entry: a dict of 10,000 ids would
    cost a start a string and a hash per question, this costs one CRC-32 per lookup.

    The hash must be the same in every process (CRC-32, not `hash()`, which is salted per
    process); the ids themselves are built only when something iterates the questions.
    """

    __slots__ = ("_ends", "_keys", "_mask", "_names", "_slots")

    def __init__(self, names: bytes, ends: array[int], slots: array[int]) -> None:
        size = len(slots)
        if size & (size - 1) or size < 2 * (len(ends) - 1) or not ends or ends[-1] != len(names):
            raise DecodeError("not a pack this advisor wrote: question index")
        self._names = memoryview(names)
        self._ends = ends
        self._slots = slots
        self._mask = size - 1
        self._keys: tuple[str, ...] | None = None

    def find(self, key: str) -> int:
        """The position of question `key`, or -1."""
        try:
            name = _encoded(key)
        except (AttributeError, UnicodeError):  # not a string: no question has that id
            return _NONE
        slots, ends, names, mask = self._slots, self._ends, self._names, self._mask
        slot = zlib.crc32(name) & mask
        while True:
            at = slots[slot]
            if at == _NONE or names[ends[at] : ends[at + 1]] == name:
                return at
            slot = (slot + 1) & mask

    def keys(self) -> tuple[str, ...]:
        if self._keys is None:
            names, ends = self._names, self._ends
            self._keys = tuple(
                str(names[ends[at] : ends[at + 1]], "utf-8", "surrogatepass") for at in range(len(self))
            )
        return self._keys

    def __len__(self) -> int:
        return len(self._ends) - 1


class _LazyQuestions(Mapping[str, Question]):
    """A pack's questions, each decoded from its record the first time it is asked for.

    Read-only, like the loader's mapping; iterating values (lint, `advisor questions`)
    decodes them all, once.
    """

    __slots__ = ("_bounds", "_build", "_built", "_index", "_records")

    def __init__(
        self,
        index: _Index,
        bounds: array[int],
        records: memoryview,
        build: Callable[[memoryview], Question],
    ) -> None:
        self._index = index
        self._bounds = bounds
        self._records = records
        self._built: dict[str, Question] = {}
        self._build = build

    def __getitem__(self, key: str) -> Question:
        question = self._built.get(key)
        if question is None:
            at = self._index.find(key)
            if at < 0:
                raise KeyError(key)
            record = self._records[self._bounds[at] : self._bounds[at + 1]]
            question = self._built[key] = self._build(record)
        return question

    def get(self, key: str, default: Any = None) -> Any:
        question = self._built.get(key)
        if question is not None:
            return question
        if not isinstance(key, str) or self._index.find(key) < 0:
            return default
        return self[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._index.find(key) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._index.keys())

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"<questions: {len(self._built)} of {len(self._index)} decoded>"


class _Counts(Mapping[str, int]):
    """A per-question count (`Pack._remaining`, `Pack._most`) read from its packed array:
    a question that reaches no result is not in it."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: _Index, values: array[int]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: str) -> int:
        value: int | None = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        at = self._index.find(key)
        value = _NONE if at < 0 else self._values[at]
        return default if value == _NONE else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        values = self._values
        return (key for key, value in zip(self._index.keys(), values, strict=True) if value != _NONE)

    def __len__(self) -> int:
        return sum(1 for value in self._values if value != _NONE)


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
