"""Checks a loaded pack before anyone walks it: references, reachability, cycles, limits, sources.

Pure: a Pack in, Findings out. The loader has already reported schema problems.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterator, Mapping

from bot.pack import limits
from bot.pack.double_count import find_double_counts
from bot.pack.findings import Finding, Severity
from bot.pack.model import NOWHERE, RESULT, Location, Pack, Question
from bot.pack.scenarios import run_scenario
from bot.ranking import score_subjects

MAX_WORK = 200_000
"""Answer steps spent enumerating paths to prove each subject can rank first; past this budget a
greedy search per subject decides, so a 10,000-question pack still lints in well under a second."""
MAX_WEIGHT = 5


def lint_pack(pack: Pack) -> list[Finding]:
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


def _is_control(char: str) -> bool:
    """C0 (but newline and tab), DEL, C1, and the bidirectional overrides that reorder text."""
    if char in "\n\t":
        return False
    return unicodedata.category(char) == "Cc" or "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069"


def _texts(value: object, at: Location, key: str) -> Iterator[tuple[str, Location, str]]:
    """Every string in the pack with the place of the nearest value that has one."""
    if isinstance(value, str):
        yield value, at, key
    elif isinstance(value, Location):
        return
    elif isinstance(value, tuple):
        for item in value:
            yield from _texts(item, at, key)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _texts(item, at, key)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        here = getattr(value, "at", at)
        for f in dataclasses.fields(value):
            if f.init and f.name not in ("at", "path", "version"):
                yield from _texts(getattr(value, f.name), here, f.name)


def _check_text(pack: Pack) -> Iterator[Finding]:
    """Pack text is printed in terminals and chats: a control character there is an attack.

    YAML refuses most raw control characters, but "\\e[2J" in double quotes is an escape
    sequence that clears a terminal, so every string is checked after loading.
    """
    for text, at, key in _texts(pack, NOWHERE, "pack"):
        bad = next((c for c in text if _is_control(c)), None)
        if bad is not None:
            yield Finding(
                at if at != NOWHERE else pack.at,
                "E030",
                f"{key} holds the control character U+{ord(bad):04X}; remove it"
                " (pack text is shown in terminals and chats, where it could move the cursor or"
                " retitle the window)",
            )


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


def _paths(pack: Pack, budget: int) -> Iterator[tuple[tuple[str, str], ...]]:
    """Answer paths from start to a result, depth first, until `budget` steps are spent."""
    stack: list[tuple[str, tuple[tuple[str, str], ...]]] = [(pack.start, ())]
    spent = 0
    while stack and spent < budget:
        here, answers = stack.pop()
        question: Question | None = pack.question(here)
        if question is None:
            continue
        for option in reversed(question.options):
            path = (*answers, (question.id, option.id))
            spent += len(path)
            if option.next == RESULT:
                yield path
            else:
                stack.append((option.next, path))


def _option_weights(pack: Pack) -> dict[tuple[str, str], dict[str, int]]:
    """Each option's summed weight per subject, computed once for every greedy walk."""
    weights: dict[tuple[str, str], dict[str, int]] = {}
    for question in pack.questions.values():
        for option in question.options:
            summed: dict[str, int] = {}
            for evidence in option.evidence:
                summed[evidence.subject] = summed.get(evidence.subject, 0) + evidence.weight
            weights[(question.id, option.id)] = summed
    return weights


def _greedy_wins(pack: Pack, subject_id: str, weights: dict[tuple[str, str], dict[str, int]]) -> bool:
    """Walk taking, at each question, the option most in `subject_id`'s favour; does it rank first?"""
    totals = dict.fromkeys((s.id for s in pack.subjects), 0)
    here = pack.start
    seen: set[str] = set()
    while here != RESULT and here not in seen and (question := pack.question(here)) is not None:
        seen.add(here)
        best, best_margin = question.options[0], None
        for option in question.options:
            summed = weights[(question.id, option.id)]
            margin = summed.get(subject_id, 0) - max([0, *(w for s, w in summed.items() if s != subject_id)])
            if best_margin is None or margin > best_margin:
                best, best_margin = option, margin
        for subject, weight in weights[(question.id, best.id)].items():
            if subject in totals:
                totals[subject] += weight
        here = best.next
    order = [s.id for s in pack.subjects]
    winner = min(order, key=lambda s: (-totals[s], order.index(s)))
    return winner == subject_id


def _check_rankable(pack: Pack) -> Iterator[Finding]:
    # A scenario that puts a subject first is proof enough; then enumerate paths within budget.
    firsts: set[str] = {
        outcome.ranking[0] for s in pack.scenarios if (outcome := run_scenario(pack, s)).ranking
    }
    for path in _paths(pack, MAX_WORK):
        firsts.add(score_subjects(pack, path)[0].subject_id)
        if len(firsts) == len(pack.subjects):
            return
    weights = _option_weights(pack)
    for subject in pack.subjects:
        if subject.id in firsts or subject.runner_up_only:
            continue
        if _greedy_wins(pack, subject.id, weights):
            continue
        yield Finding(
            subject.at,
            "W001",
            f"{subject.id} never ranks first on any path; give it evidence where it fits best,"
            " or mark it `runner_up_only` with the reason",
            Severity.WARNING,
        )
