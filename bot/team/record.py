"""A team session -> its decision record in MADR 4 shape, as Markdown or JSON (pure, deterministic).

The record is what outlives the chat: the problem, what drove the decision (each decided
answer with its support), the options the team really weighed, the outcome with its good and
bad consequences, and how close it was. It is built only from the session, its pack version
and its place among the channel's records (number, superseded or not), so the same inputs
always give the same text. Its status is `proposed` until the starter (or a manager) accepts
it, `accepted` after, and `superseded by ...` once a later session on the same topic is
accepted. The Markdown follows adr/madr `template/adr-template.md` (4.0.0).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from bot.pack.model import Pack
from bot.team.scoring import TeamReason, TeamScore, number_text, points_text
from bot.team.session import TeamSession
from bot.team.tally import OptionCount, Split, TeamOutcome, count_picks, outcome

MAX_CONSIDERED = 4
"""The options a record weighs: the top ones, never every subject at 0 points."""
SLUG_LENGTH = 60


@dataclass(frozen=True, slots=True)
class RecordPlace:
    """Where a record sits among its channel's records (the engine works it out from the store)."""

    number: int = 1
    """1 for the channel's first team session, in the order they were started."""
    superseded_by: str = ""
    """The file name (without .md) of a later accepted record on the same topic, if any."""


def slug(topic: str) -> str:
    """'Backend for the orders service!' -> 'backend-for-the-orders-service' (ASCII, safe as a file name)."""
    ascii_text = unicodedata.normalize("NFKD", topic).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = ""
    for word in words:
        joined = f"{out}-{word}" if out else word
        if len(joined) > SLUG_LENGTH:
            break
        out = joined
    return out or "team-decision"


def record_stem(number: int, topic: str) -> str:
    """'0001-backend-framework': the record's file name without .md."""
    return f"{number:04d}-{slug(topic)}"


def same_topic(a: str, b: str) -> bool:
    """Two sessions decide the same thing when their topics read the same (case, spaces, punctuation)."""
    return slug(a) == slug(b)


def reason_text(reason: TeamReason) -> str:
    """'2 of 3: Beta is built for APIs. (JSON API)': every reason says how many gave its answer."""
    return f"{reason.support}: {reason.text} ({reason.answer})"


@dataclass(frozen=True, slots=True)
class ConsideredOption:
    subject_id: str
    name: str
    points: Fraction
    summary: str
    url: str
    good: tuple[str, ...]
    bad: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Driver:
    """One decided answer and the votes behind it."""

    number: int
    prompt: str
    answer: str
    votes: int
    voters: int
    tied: tuple[str, ...]
    decided_by: str

    def describe(self) -> str:
        support = f"{self.votes} of {self.voters}"
        if len(self.tied) > 1:
            return (
                f'{self.prompt} "{self.answer}" ({support}: a tie between {_quoted(self.tied)}, '
                f"decided by {self.decided_by})"
            )
        return f'{self.prompt} "{self.answer}" ({support})'


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    number: int
    stem: str
    """The file name without .md: '0001-backend-for-the-orders-service'."""
    title: str
    topic: str
    status: str
    """proposed, accepted, or 'superseded by <stem>'."""
    decided_on: date
    """When the decision was last updated: accepted, else finished, else the last vote."""
    decision_makers: tuple[str, ...]
    starter: str
    session_id: str
    finished: bool
    anonymous: bool
    advisor: str
    pack_version: str
    checked: str
    context: str
    drivers: tuple[Driver, ...]
    considered: tuple[ConsideredOption, ...]
    chosen: str
    """The chosen subject's name; empty while undecided (open session, or a tie not yet accepted)."""
    chosen_id: str
    tied: tuple[str, ...]
    """Names of subjects tied at the top of the team ranking."""
    because: str
    good: tuple[str, ...]
    bad: tuple[str, ...]
    warnings: tuple[str, ...]
    accepted_by: str
    accepted_on: date | None
    splits: tuple[str, ...]
    picks: tuple[str, ...]
    first_choices: tuple[str, ...]
    alternative: str
    ties: tuple[str, ...]
    """Who decided which tie: one line per question that closed on a decision."""
    votes: tuple[tuple[int, str, str, str], ...]
    """(number, prompt, team answer, the votes) per question."""
    revisit: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]
    """(title, url)."""

    @property
    def filename(self) -> str:
        return f"{self.stem}.md"


def build_record(pack: Pack, session: TeamSession, *, place: RecordPlace | None = None) -> DecisionRecord:
    """Everything the record says, as data: `record_markdown` and `record_json` only lay it out."""
    place = place or RecordPlace()
    out = outcome(pack, session)
    ranking = out.ranking
    top = ranking.top
    names = {s.subject_id: s.name for s in ranking.ranking}
    participants = tuple(session.name_of(m) for m in session.members)
    starter = session.name_of(session.starter)
    accepted = session.accepted
    tied_names = tuple(names[s] for s in ranking.tied)
    if accepted is not None:
        chosen_id = accepted.choice
    elif session.is_finished and not ranking.is_tied:
        chosen_id = top.subject_id
    else:
        chosen_id = ""
    chosen = names.get(chosen_id, "")
    chosen_score = next((s for s in ranking.ranking if s.subject_id == chosen_id), None)
    subject = pack.subject(chosen_id) if chosen_id else None
    status = (
        f"superseded by {place.superseded_by}"
        if place.superseded_by
        else ("accepted" if accepted is not None else "proposed")
    )
    when = accepted.at if accepted else session.finished_at or session.updated_at
    stem = record_stem(place.number, session.topic)
    if chosen:
        title = f"{session.topic}: {chosen}"
    elif session.is_finished and tied_names:
        title = f"{session.topic}: {' or '.join(tied_names)} (tied)"
    else:
        title = f"{session.topic} (undecided)"
    drivers = _drivers(session, out)
    good: tuple[str, ...] = ()
    bad: tuple[str, ...] = ()
    if subject is not None:
        # The pack's strengths and weaknesses are noun phrases ("Built-in ORM ..."), so they
        # read as "Good: ..." rather than MADR's "Good, because ...", which the evidence uses.
        good = tuple(f"Good: {c.text}" for c in subject.strengths)
        bad = tuple(f"Bad: {c.text}" for c in subject.weaknesses)
        bad += tuple(f"Bad (avoid when): {c.text}" for c in subject.avoid_when)
    if chosen_score is not None:
        bad += tuple(f"Bad, because {reason_text(r)}" for r in chosen_score.reasons_against)
    runner = ranking.runner_up
    runner_subject = pack.subject(runner.subject_id) if runner is not None else None
    revisit = [f"If this matters most: {reason_text(r)}" for r in ranking.reconsider]
    if runner is not None and runner_subject is not None:
        revisit += [
            f"{runner.name} ({points_text(runner.points)}) is better for: {c.text}"
            for c in runner_subject.best_for
        ]
    revisit += [f"Still open: {note}" for note in ranking.notes]
    of = len(out.picks)
    return DecisionRecord(
        number=place.number,
        stem=stem,
        title=title,
        topic=session.topic,
        status=status,
        decided_on=when.date(),
        decision_makers=participants,
        starter=starter,
        session_id=session.id,
        finished=session.is_finished,
        anonymous=session.anonymous,
        advisor=pack.title,
        pack_version=session.pack_version,
        checked=pack.checked,
        context=_context(pack, session, out),
        drivers=drivers,
        considered=_considered(pack, ranking.ranking),
        chosen=chosen,
        chosen_id=chosen_id,
        tied=tied_names,
        because=_because(session, out, chosen_id),
        good=good,
        bad=bad,
        warnings=out.warnings,
        accepted_by=session.name_of(accepted.member) if accepted else "",
        accepted_on=accepted.at.date() if accepted else None,
        splits=tuple(_split_line(s, anonymous=session.anonymous) for s in out.splits),
        picks=_pick_lines(session, out),
        first_choices=tuple(f.describe(anonymous=session.anonymous, of=of) for f in out.first_choices),
        alternative=_alternative(out),
        ties=tuple(_tie_line(d) for d in drivers if len(d.tied) > 1),
        votes=tuple(
            (
                number,
                tally.prompt,
                _label(tally.counts, closed.chosen),
                _votes(tally.counts, session.anonymous),
            )
            for number, (closed, tally) in enumerate(out.decided, 1)
        ),
        revisit=tuple(revisit),
        sources=tuple((s.title, s.url) for s in ranking.sources),
    )


def _quoted(labels: Sequence[str]) -> str:
    """Option labels may hold commas ("WebSockets, SSE, live updates"): quote each in a list."""
    return _and([f'"{label}"' for label in labels])


def _and(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _label(counts: tuple[OptionCount, ...], option_id: str) -> str:
    return next((c.label for c in counts if c.option_id == option_id), option_id)


def _votes(counts: tuple[OptionCount, ...], anonymous: bool) -> str:
    shown = [c for c in counts if c.count]
    return "; ".join(
        f"{c.label} {c.count}" + ("" if anonymous or not c.voters else f" ({', '.join(c.voters)})")
        for c in sorted(shown, key=lambda c: -c.count)
    )


def _drivers(session: TeamSession, out: TeamOutcome) -> tuple[Driver, ...]:
    drivers = []
    for number, (closed, tally) in enumerate(out.decided, 1):
        chosen = next(c for c in tally.counts if c.option_id == closed.chosen)
        drivers.append(
            Driver(
                number=number,
                prompt=tally.prompt,
                answer=chosen.label,
                votes=chosen.count,
                voters=tally.total,
                tied=tally.labels(closed.tied) if closed.was_tied else (),
                decided_by=closed.decider_name(session),
            )
        )
    return tuple(drivers)


def _context(pack: Pack, session: TeamSession, out: TeamOutcome) -> str:
    members = len(session.members)
    ties = sum(1 for closed, _ in out.decided if closed.was_tied)
    said = [
        f"{session.topic.rstrip('.?!')}: which Python web framework should the team build on?",
        f"{session.name_of(session.starter)} started a team session of the *{pack.title}*, which "
        "ranks the frameworks on sourced evidence for each answer. "
        f"{members} member(s) answered {len(out.decided)} question(s) together"
        + (", anonymously" if session.anonymous else "")
        + ".",
        "Each question followed the answer with the most votes"
        + (
            f"; on {ties} tie(s) the starter (or a channel manager) chose among the tied answers."
            if ties
            else "; no question was tied."
        ),
        "Every member's vote counts in the ranking below, weighted by its share of the voters on "
        "its question, so a minority answer still moves it.",
    ]
    if not session.is_finished:
        said.append("The session is still open: this record shows where the team stands so far.")
    return " ".join(said)


def _considered(pack: Pack, ranking: tuple[TeamScore, ...]) -> tuple[ConsideredOption, ...]:
    """The top options the evidence speaks to: at least two, at most MAX_CONSIDERED."""
    chosen = [s for i, s in enumerate(ranking) if i < 2 or s.points or s.reasons_for or s.reasons_against][
        :MAX_CONSIDERED
    ]
    options = []
    for score in chosen:
        subject = pack.subject(score.subject_id)
        options.append(
            ConsideredOption(
                subject_id=score.subject_id,
                name=score.name,
                points=score.points,
                summary=subject.summary.text if subject else "",
                url=subject.url if subject else "",
                good=tuple(f"Good, because {reason_text(r)}" for r in score.reasons_for),
                bad=tuple(f"Bad, because {reason_text(r)}" for r in score.reasons_against),
            )
        )
    return tuple(options)


def _because(session: TeamSession, out: TeamOutcome, chosen_id: str) -> str:
    ranking = out.ranking
    top, runner = ranking.top, ranking.runner_up
    starter = session.name_of(session.starter)
    if not session.is_finished:
        return (
            f"none yet: the session is still open. So far the team leans to {top.name} "
            f"({points_text(top.points)}, fit {ranking.fit}%)."
        )
    names = [s.name for s in ranking.ranking if s.subject_id in ranking.tied]
    accepted = session.accepted
    if ranking.is_tied and accepted is None:
        return (
            f"none yet: {_and(names)} are tied at {points_text(top.points)} on everyone's answers, "
            f"so {starter} (who started the session) or a channel manager chooses one when accepting "
            "this record."
        )
    if ranking.is_tied and accepted is not None:
        chosen = next(s.name for s in ranking.ranking if s.subject_id == chosen_id)
        return (
            f'"{chosen}", because {_and(names)} tied at {points_text(top.points)} on everyone\'s '
            f"answers and {session.name_of(accepted.member)} chose {chosen} when accepting the decision."
        )
    ahead = f", {number_text(ranking.margin)} points ahead of {runner.name}" if runner is not None else ""
    firsts = [f for f in out.first_choices if f.subject_id == top.subject_id]
    liked = ""
    if firsts and firsts[0].count:
        liked = f"; {firsts[0].count} of the {len(out.picks)} members' own answers put it first too"
    elif firsts:
        liked = "; no member's own answers put it first: it is where the team's answers meet"
    return (
        f'"{top.name}", because it comes out best on everyone\'s answers: '
        f"{points_text(top.points)}, fit {ranking.fit}%{ahead}{liked}."
    )


def _split_line(split: Split, *, anonymous: bool) -> str:
    """Labels quoted and shares apart by ";": a label may hold commas ("WebSockets, SSE, ...")."""
    shares = "; ".join(
        f'"{c.label}" {c.count}' + ("" if anonymous or not c.voters else f" ({', '.join(c.voters)})")
        for c in split.counts
    )
    if split.tied:
        return f'{split.prompt} {shares}: a tie; {split.decided_by} chose "{split.chosen}".'
    return f'{split.prompt} {shares}; the team went with "{split.chosen}".'


def _pick_lines(session: TeamSession, out: TeamOutcome) -> tuple[str, ...]:
    if session.anonymous:
        return tuple(f"{c.subject_name}: {c.members} member(s)" for c in count_picks(out.picks))
    lines = []
    for p in out.picks:
        tied = f" (tied with {_and(p.tied_with)})" if p.tied_with else ""
        lines.append(
            f"{p.name}: {p.subject_name}{tied} ({p.points} points on the {p.answered} question(s)"
            " they voted on)"
        )
    return tuple(lines)


def _alternative(out: TeamOutcome) -> str:
    runner = out.ranking.runner_up
    if runner is None or out.swing is None:
        return ""
    return f"The closest alternative is {runner.name} ({points_text(runner.points)}). {out.swing.describe()}"


def _tie_line(driver: Driver) -> str:
    return (
        f'Question {driver.number} ("{driver.prompt}"): a tie between {_quoted(driver.tied)}; '
        f'{driver.decided_by} decided "{driver.answer}".'
    )


def _cell(text: str) -> str:
    """Table cells may not hold a pipe or a line break."""
    return text.replace("|", "\\|").replace("\n", " ")


def _yaml(text: str) -> str:
    """A front-matter value, quoted so a colon or a hash in a name cannot break the YAML."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def record_markdown(record: DecisionRecord) -> str:
    """The record as MADR 4 Markdown: front matter, then the template's sections in order."""
    lines = [
        "---",
        f"status: {_yaml(record.status)}",
        f"date: {record.decided_on.isoformat()}",
        f"decision-makers: {_yaml(', '.join(record.decision_makers) or 'nobody voted')}",
        f"consulted: {_yaml(f'{record.advisor} (knowledge version {record.pack_version[:12]})')}",
        "---",
        "",
        f"# {record.title}",
        "",
        "## Context and Problem Statement",
        "",
        record.context,
        "",
        "## Decision Drivers",
        "",
    ]
    lines += [f"* {d.describe()}" for d in record.drivers] or ["* No question has closed yet."]
    lines += ["", "## Considered Options", ""]
    lines += [f"* {o.name} ({points_text(o.points)})" for o in record.considered]
    lines += ["", "## Decision Outcome", "", f"Chosen option: {record.because}"]
    for warning in record.warnings:
        lines += ["", f"> **Warning:** {warning}"]
    lines += ["", "### Consequences", ""]
    consequences = [*record.good, *record.bad]
    if record.chosen:
        lines += [f"* {c}" for c in consequences] or ["* Neutral, because the advisor knows no consequence."]
    else:
        lines += ["* Neutral, because no option is chosen yet: see the options below."]
    lines += ["", "## Pros and Cons of the Options"]
    for option in record.considered:
        lines += ["", f"### {option.name}", ""]
        if option.summary:
            lines += [f"{option.summary} <{option.url}>" if option.url else option.summary, ""]
        points = [*option.good, *option.bad] or [
            "Neutral, because none of the team's answers spoke for or against it."
        ]
        lines += [f"* {p}" for p in points]
    lines += ["", "## More Information", ""]
    lines += _status_lines(record)
    if record.first_choices or record.alternative:
        lines += ["", "### How close it was", ""]
        lines += [f"* {line}" for line in record.first_choices]
        if record.alternative:
            lines.append(f"* {record.alternative}")
    if record.ties:
        lines += ["", "### Ties and who decided them", ""]
        lines += [f"* {line}" for line in record.ties]
    lines += ["", "### Where the team split", ""]
    lines += [f"* {line}" for line in record.splits] or ["* The team agreed on every question."]
    if record.picks:
        lines += ["", "### Each member's own answers point to", ""]
        lines += [f"* {line}" for line in record.picks]
    if record.votes:
        lines += ["", "### Votes", "", "| # | Question | Team answer | Votes |", "|---|---|---|---|"]
        lines += [
            f"| {n} | {_cell(prompt)} | {_cell(answer)} | {_cell(votes)} |"
            for n, prompt, answer, votes in record.votes
        ]
        if record.anonymous:
            lines += ["", "Votes were anonymous, so only counts are recorded."]
    if record.revisit:
        lines += ["", "### When to revisit", ""]
        lines += [f"* {line}" for line in record.revisit]
    if record.sources:
        lines += ["", "### Sources", ""]
        lines += [f"* [{title}]({url})" for title, url in record.sources]
    return "\n".join(lines) + "\n"


def _status_lines(record: DecisionRecord) -> list[str]:
    lines = [
        f"* Record {record.stem}, from team session `{record.session_id}` started by {record.starter}; "
        f"{record.advisor}, knowledge version `{record.pack_version[:12]}` (facts checked {record.checked})."
    ]
    if record.accepted_by and record.accepted_on is not None:
        lines.append(f"* Accepted by {record.accepted_by} on {record.accepted_on.isoformat()}.")
    elif record.finished:
        lines.append(
            f"* Proposed: {record.starter} (who started the session) or a channel manager accepts it "
            f"with the Accept button, or `advisor record {record.session_id} --accept` in a terminal."
        )
    else:
        lines.append("* Proposed: the team session is still open.")
    if record.status.startswith("superseded"):
        later = record.status.removeprefix("superseded by ")
        lines.append(f"* Superseded by {later}.md, a later decision on the same topic.")
    return lines


def record_json(record: DecisionRecord) -> dict[str, Any]:
    """The record as plain data for scripts: the same facts as the Markdown, points exact and rounded."""
    return {
        "number": record.number,
        "file": record.filename,
        "title": record.title,
        "topic": record.topic,
        "status": record.status,
        "date": record.decided_on.isoformat(),
        "decision_makers": list(record.decision_makers),
        "starter": record.starter,
        "session": record.session_id,
        "finished": record.finished,
        "anonymous": record.anonymous,
        "advisor": {"title": record.advisor, "version": record.pack_version, "checked": record.checked},
        "context": record.context,
        "drivers": [
            {
                "question": d.number,
                "prompt": d.prompt,
                "answer": d.answer,
                "votes": d.votes,
                "voters": d.voters,
                "tied": list(d.tied),
                "decided_by": d.decided_by,
            }
            for d in record.drivers
        ],
        "considered": [
            {
                "id": o.subject_id,
                "name": o.name,
                "points": round(float(o.points), 3),
                "points_exact": str(o.points),
                "good": list(o.good),
                "bad": list(o.bad),
            }
            for o in record.considered
        ],
        "chosen": {"id": record.chosen_id, "name": record.chosen} if record.chosen else None,
        "tied": list(record.tied),
        "because": record.because,
        "consequences": {"good": list(record.good), "bad": list(record.bad)},
        "warnings": list(record.warnings),
        "accepted_by": record.accepted_by or None,
        "accepted_on": record.accepted_on.isoformat() if record.accepted_on else None,
        "splits": list(record.splits),
        "picks": list(record.picks),
        "first_choices": list(record.first_choices),
        "alternative": record.alternative,
        "ties": list(record.ties),
        "revisit": list(record.revisit),
        "sources": [{"title": t, "url": u} for t, u in record.sources],
    }


def decision_record(pack: Pack, session: TeamSession, *, place: RecordPlace | None = None) -> str:
    """The record as MADR Markdown (what the platforms attach and `advisor record` prints)."""
    return record_markdown(build_record(pack, session, place=place))


@dataclass(frozen=True, slots=True)
class RecordEntry:
    """One line of `advisor record --list`: a channel's record, numbered."""

    stem: str
    status: str
    decided_on: date
    topic: str
    chosen: str
    session_id: str
    platform: str
    workspace: str
    channel: str
    finished: bool


def places(sessions: Sequence[TeamSession]) -> dict[str, RecordPlace]:
    """Number one channel's sessions in the order they were started; mark superseded ones.

    A record is superseded by the nearest later record on the same topic that was accepted.
    Sessions are never deleted (forgetting a member anonymises them), so numbers are stable.
    """
    ordered = sorted(sessions, key=lambda s: (s.created_at, s.id))
    out: dict[str, RecordPlace] = {}
    for index, session in enumerate(ordered):
        later = next(
            (
                (number, s)
                for number, s in enumerate(ordered[index + 1 :], index + 2)
                if s.accepted is not None and same_topic(s.topic, session.topic)
            ),
            None,
        )
        superseded = record_stem(later[0], later[1].topic) if later is not None else ""
        out[session.id] = RecordPlace(number=index + 1, superseded_by=superseded)
    return out


def entry_of(record: DecisionRecord, session: TeamSession) -> RecordEntry:
    return RecordEntry(
        stem=record.stem,
        status=record.status,
        decided_on=record.decided_on,
        topic=record.topic,
        chosen=record.chosen or (" or ".join(record.tied) + " (tied)" if record.tied else ""),
        session_id=record.session_id,
        platform=session.key.platform,
        workspace=session.key.workspace,
        channel=session.key.channel,
        finished=record.finished,
    )
