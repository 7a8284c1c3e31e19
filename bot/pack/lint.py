"""Checks a loaded pack before anyone walks it: references, reachability, cycles, limits, sources.

Pure: a Pack in, Findings out. The loader has already reported schema problems.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter

from bot.pack import limits
from bot.pack.collector import paused_gc
from bot.pack.double_count import find_double_counts
from bot.pack.findings import Finding, Severity
from bot.pack.model import NOWHERE, RESULT, Location, Option, Pack, Question
from bot.pack.scenarios import run_scenario

MAX_WORK = 200_000
"""Answer steps spent enumerating paths to prove each subject can rank first; past this budget a
greedy search per subject decides, so a 10,000-question pack still lints in well under a second."""
WORK_PER_OPTION = 64
"""A smaller pack gets a smaller budget: enumeration costs the same per question at every size."""
MAX_WEIGHT = 5


def lint_pack(pack: Pack) -> list[Finding]:
    with paused_gc():
        return _lint(pack)


def _lint(pack: Pack) -> list[Finding]:
    findings = [
        *_check_text(pack),
        *_check_references(pack),
        *_check_limits(pack),
        *_check_graph(pack),
    ]
    if not any(f.is_error for f in findings):
        findings.extend(_check_rankable(pack))
        findings.extend(find_double_counts(pack))
    return sorted(findings, key=lambda f: (f.at.file, f.at.line, f.at.column, f.code))


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0 (but newline and tab), DEL, C1 (Unicode's category Cc, exactly), and the bidirectional
overrides and isolates that reorder text."""
_SKIPPED = frozenset(("at", "path", "version"))
_Reader = Callable[[object], tuple[object, ...]]
_READERS: dict[type, tuple[tuple[str, ...], _Reader] | None] = {}


def _reader(value: object) -> tuple[tuple[str, ...], _Reader] | None:
    """The names of a pack type's fields whose strings are shown to people, and one call that
    reads them all; None when `value` is not one of the pack's dataclasses. Found once per type,
    so a field added to the model is checked without a change here."""
    cls = type(value)
    try:
        return _READERS[cls]
    except KeyError:
        pass
    found: tuple[tuple[str, ...], _Reader] | None = None
    if dataclasses.is_dataclass(value) and not isinstance(value, type | Location):
        names = tuple(f.name for f in dataclasses.fields(value) if f.init and f.name not in _SKIPPED)
        get = attrgetter(*names)
        found = (names, get if len(names) > 1 else lambda item: (get(item),))
    _READERS[cls] = found
    return found


def _check_text(pack: Pack) -> Iterator[Finding]:
    """Pack text is printed in terminals and chats: a control character there is an attack.

    YAML refuses most raw control characters, but "\\e[2J" in double quotes is an escape
    sequence that clears a terminal, so every string is checked after loading: every string
    field of every pack type, with the place of the nearest value that has one. An explicit
    stack, and each string searched by one regular expression where it is met, so a
    10,000-question pack costs one pass over its values.
    """
    search = _CONTROL.search
    stack: list[tuple[object, Location, str]] = [(pack, pack.at, "pack")]
    while stack:
        value, at, key = stack.pop()
        reader = _reader(value)
        items: Iterable[tuple[object, str]]
        if reader is not None:
            names, read = reader
            at = getattr(value, "at", at)
            items = zip(read(value), names, strict=True)
        elif isinstance(value, Mapping):
            items = ((item, key) for item in value.values())
        else:  # a tuple: what else _reader() let onto the stack
            items = ((item, key) for item in value)  # type: ignore[attr-defined]
        for item, name in items:
            if type(item) is str:
                match = search(item)
                if match is not None:
                    yield Finding(
                        at if at != NOWHERE else pack.at,
                        "E030",
                        f"{name} holds the control character U+{ord(match.group()):04X}; remove it"
                        " (pack text is shown in terminals and chats, where it could move the cursor"
                        " or retitle the window)",
                    )
            elif isinstance(item, tuple | Mapping) or _reader(item) is not None:
                stack.append((item, at, name))


def _unknown_sources(pack: Pack, ids: tuple[str, ...], at: Location, what: str) -> Iterator[Finding]:
    for source in ids:
        if source not in pack.sources:
            yield Finding(at, "E012", f"{what} cites unknown source '{source}'; add it to sources.yaml")


def _check_references(pack: Pack) -> Iterator[Finding]:
    if pack.start not in pack.questions:
        yield Finding(pack.at, "E010", f"start '{pack.start}' is not a question id")
    for subject in pack.subjects:
        for claim in (
            subject.summary,
            *subject.strengths,
            *subject.weaknesses,
            *subject.best_for,
            *subject.avoid_when,
        ):
            yield from _unknown_sources(pack, claim.sources, claim.at, f"a claim about {subject.id}")
        for companion in subject.companions:
            yield from _unknown_sources(pack, companion.sources, companion.at, f"companion {companion.name}")
            for question_id, option_id in companion.when:
                question = pack.question(question_id)
                if question is None or question.option(option_id) is None:
                    yield Finding(
                        companion.at,
                        "E010",
                        f"companion {companion.name} `when` names unknown answer {question_id}={option_id}",
                    )
    for question in pack.questions.values():
        yield from _unknown_sources(pack, question.sources, question.at, f"question {question.id}")
        seen: dict[str, Location] = {}
        names: dict[str, str] = {}
        for option in question.options:
            if option.id in seen:
                yield Finding(
                    option.at, "E005", f"duplicate option id '{option.id}' in question {question.id}"
                )
            seen[option.id] = option.at
            for name in (option.id, option.label, *option.synonyms):
                norm = name.casefold().strip()
                if norm in names and names[norm] != option.id:
                    yield Finding(
                        option.at,
                        "W005",
                        f"'{name}' names both '{names[norm]}' and '{option.id}' in question {question.id};"
                        " typed answers will pick the first",
                        Severity.WARNING,
                    )
                names.setdefault(norm, option.id)
            if option.next != RESULT and option.next not in pack.questions:
                yield Finding(
                    option.at,
                    "E010",
                    f"option {question.id}.{option.id} leads to unknown question '{option.next}';"
                    f" use a question id or `{RESULT}`",
                )
            if option.unsure and option.evidence:
                yield Finding(
                    option.at, "E019", f"'not sure' option {question.id}.{option.id} must carry no evidence"
                )
            if option.unsure and not option.note:
                yield Finding(
                    option.at,
                    "E019",
                    f"'not sure' option {question.id}.{option.id} needs a `note`"
                    " saying what would help decide",
                )
            for evidence in option.evidence:
                if pack.subject(evidence.subject) is None:
                    yield Finding(evidence.at, "E011", f"evidence names unknown subject '{evidence.subject}'")
                if not -MAX_WEIGHT <= evidence.weight <= MAX_WEIGHT or evidence.weight == 0:
                    yield Finding(
                        evidence.at,
                        "E020",
                        f"weight {evidence.weight} must be a whole number in -5..5, not 0",
                    )
                if not evidence.reason:
                    yield Finding(evidence.at, "E003", "evidence needs a one-line `reason`")
                yield from _unknown_sources(pack, evidence.sources, evidence.at, "evidence")
        if not any(o.unsure for o in question.options):
            yield Finding(
                question.at, "W004", f"question {question.id} has no 'not sure' option", Severity.WARNING
            )
    for scenario in pack.scenarios:
        for subject_id in (
            scenario.expect_top,
            *scenario.not_top,
            scenario.expect_runner_up,
            *scenario.acceptable,
            *scenario.runner_up,
            *scenario.never,
        ):
            if subject_id and pack.subject(subject_id) is None:
                yield Finding(
                    scenario.at, "E011", f"scenario '{scenario.name}' names unknown subject '{subject_id}'"
                )
        if scenario.expect_top in scenario.never or set(scenario.acceptable) & set(scenario.never):
            yield Finding(
                scenario.at,
                "E011",
                f"scenario '{scenario.name}' lists a subject both as acceptable (or expect_top)"
                " and under `never`; keep it in one of them",
            )


def _too_long(text: str, limit: int) -> bool:
    return len(text) > limit


def _check_limits(pack: Pack) -> Iterator[Finding]:
    for question in pack.questions.values():
        count = len(question.options)
        if count < 2 or count > limits.MAX_OPTIONS:
            yield Finding(
                question.at,
                "E016",
                f"question {question.id} has {count} options; Slack and Discord need 2..{limits.MAX_OPTIONS}",
            )
        if _too_long(question.prompt, limits.MAX_PROMPT):
            yield Finding(
                question.at, "E017", f"prompt of {question.id} is over {limits.MAX_PROMPT} characters"
            )
        if _too_long(question.why, limits.MAX_WHY) or _too_long(question.help, limits.MAX_WHY):
            yield Finding(
                question.at, "E017", f"why/help of {question.id} is over {limits.MAX_WHY} characters"
            )
        for option in question.options:
            if _too_long(option.label, limits.MAX_LABEL):
                yield Finding(
                    option.at,
                    "E017",
                    f"label of {question.id}.{option.id} has {len(option.label)} characters;"
                    f" Slack buttons allow {limits.MAX_LABEL}",
                )
            elif _too_long(option.label, limits.RECOMMENDED_LABEL):
                yield Finding(
                    option.at,
                    "W002",
                    f"label of {question.id}.{option.id} has {len(option.label)} characters;"
                    f" Slack may truncate past {limits.RECOMMENDED_LABEL}",
                    Severity.WARNING,
                )
            if not option.label:
                yield Finding(option.at, "E003", f"option {question.id}.{option.id} needs a label")
            for evidence in option.evidence:
                if _too_long(evidence.reason, limits.MAX_REASON):
                    yield Finding(
                        evidence.at,
                        "E017",
                        f"reason over {limits.MAX_REASON} characters; keep it to one line",
                    )


def _check_graph(pack: Pack) -> Iterator[Finding]:
    if pack.start not in pack.questions:
        return
    reachable: set[str] = set()
    stack = [pack.start]
    while stack:
        here = stack.pop()
        if here in reachable or here not in pack.questions:
            continue
        reachable.add(here)
        stack.extend(o.next for o in pack.questions[here].options if o.next != RESULT)
    for question in pack.questions.values():
        if question.id not in reachable:
            yield Finding(
                question.at, "E014", f"question {question.id} is unreachable from start '{pack.start}'"
            )

    # Cycles: iterative DFS with colours; report the option that closes each cycle.
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(pack.questions, white)
    for root in pack.questions:
        if colour[root] != white:
            continue
        colour[root] = grey
        frames: list[tuple[str, Iterator[tuple[str, Location]]]] = [
            (root, iter([(o.next, o.at) for o in pack.questions[root].options]))
        ]
        while frames:
            node, children = frames[-1]
            child = next(children, None)
            if child is None:
                colour[node] = black
                frames.pop()
                continue
            target, at = child
            if target not in pack.questions:
                continue
            if colour[target] == grey:
                path = [f[0] for f in frames]
                loop = [*path[path.index(target) :], target]
                yield Finding(at, "E013", f"cycle: {' -> '.join(loop)}; every path must end in `{RESULT}`")
            elif colour[target] == white:
                colour[target] = grey
                frames.append((target, iter([(o.next, o.at) for o in pack.questions[target].options])))

    # Dead ends: questions from which no path reaches the result (the pack computes the
    # distance to the result once, breadth-first over reversed links).
    for question in pack.questions.values():
        if not pack.reaches_result(question.id):
            yield Finding(question.at, "E015", f"no path from question {question.id} reaches a result")


_Adds = list[tuple[int, int]]
"""(subject slot, weight) pairs one option adds to the running totals."""


@dataclass(frozen=True, slots=True)
class _Scoring:
    """Each option's summed weight per subject, by subject slot, computed once for every walk."""

    order: tuple[str, ...]
    adds: dict[tuple[str, str], _Adds]

    @classmethod
    def of(cls, pack: Pack) -> _Scoring:
        order = tuple(s.id for s in pack.subjects)
        slot: dict[str, int] = {}
        for i, subject_id in enumerate(order):
            slot.setdefault(subject_id, i)
        adds: dict[tuple[str, str], _Adds] = {}
        for question in pack.questions.values():
            for option in question.options:
                summed: dict[int, int] = {}
                for evidence in option.evidence:
                    at = slot.get(evidence.subject)
                    if at is not None:
                        summed[at] = summed.get(at, 0) + evidence.weight
                adds.setdefault((question.id, option.id), list(summed.items()))
        return cls(order, adds)

    def first(self, totals: list[int]) -> str:
        """The subject ranked first on these totals: most points, ties in pack order (as ranking does)."""
        best = max(totals)
        return self.order[totals.index(best)]


def _path_winners(pack: Pack, scoring: _Scoring, budget: int) -> Iterator[str]:
    """The top pick at the end of each answer path, depth first in pack order, for `budget` steps.

    One running total per subject, added to on the way down and taken back on the way up, so
    each step costs one option's evidence and each finished path one look at the totals.
    """
    start = pack.question(pack.start)
    if start is None:
        return
    totals = [0] * len(scoring.order)
    stack: list[tuple[Question, Iterator[Option]]] = [(start, iter(start.options))]
    taken: list[_Adds] = []
    spent = 0
    while stack and spent < budget:
        question, options = stack[-1]
        option = next(options, None)
        if option is None:
            stack.pop()
            for i, weight in taken.pop() if taken else ():
                totals[i] -= weight
            continue
        spent += 1
        adds = scoring.adds[(question.id, option.id)]
        for i, weight in adds:
            totals[i] += weight
        following = pack.question(option.next) if option.next != RESULT else None
        if following is not None:
            stack.append((following, iter(following.options)))
            taken.append(adds)
            continue
        if option.next == RESULT:
            yield scoring.first(totals)
        for i, weight in adds:
            totals[i] -= weight


def _greedy_wins(pack: Pack, subject_id: str, scoring: _Scoring) -> bool:
    """Walk taking, at each question, the option most in `subject_id`'s favour; does it rank first?"""
    mine = scoring.order.index(subject_id)
    totals = [0] * len(scoring.order)
    here = pack.start
    seen: set[str] = set()
    while here != RESULT and here not in seen and (question := pack.question(here)) is not None:
        seen.add(here)
        best, best_adds, best_margin = question.options[0], None, 0
        for option in question.options:
            adds = scoring.adds[(question.id, option.id)]
            own, others = 0, 0
            for i, weight in adds:
                if i == mine:
                    own += weight
                elif weight > others:
                    others = weight
            if best_adds is None or own - others > best_margin:
                best, best_adds, best_margin = option, adds, own - others
        for i, weight in best_adds or ():
            totals[i] += weight
        here = best.next
    return scoring.first(totals) == subject_id


def _work_budget(pack: Pack) -> int:
    """Steps of path enumeration: proportional to the pack (no fixed cost a small pack pays per
    question), at most MAX_WORK."""
    options = sum(len(q.options) for q in pack.questions.values())
    return min(MAX_WORK, WORK_PER_OPTION * options)


def _check_rankable(pack: Pack) -> Iterator[Finding]:
    # A scenario that puts a subject first is proof enough; then enumerate paths within budget.
    firsts: set[str] = {
        outcome.ranking[0] for s in pack.scenarios if (outcome := run_scenario(pack, s)).ranking
    }
    if len(firsts) >= len({s.id for s in pack.subjects}):
        return
    scoring = _Scoring.of(pack)
    for winner in _path_winners(pack, scoring, _work_budget(pack)):
        firsts.add(winner)
        if len(firsts) == len(pack.subjects):
            return
    for subject in pack.subjects:
        if subject.id in firsts or subject.runner_up_only:
            continue
        if _greedy_wins(pack, subject.id, scoring):
            continue
        yield Finding(
            subject.at,
            "W001",
            f"{subject.id} never ranks first on any path; give it evidence where it fits best,"
            " or mark it `runner_up_only` with the reason",
            Severity.WARNING,
        )
