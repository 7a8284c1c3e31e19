"""Team-session replies as Block Kit (pure): the live tally, a closed question, the team's result.

Every message is drawn from the stored session, never patched, so whichever edit lands last
shows every vote that was counted.
"""

from __future__ import annotations

from adapters.ids import Action, ActionId
from adapters.slack.render.blocks import (
    FALLBACK_TEXT,
    Block,
    SlackMessage,
    actions,
    button,
    choice_elements,
    clip,
    context,
    escape,
    fit_blocks,
    plain_text,
    section,
)
from bot.pack.limits import SLACK_HEADER_TEXT
from bot.team.replies import TeamClosedReply, TeamQuestionReply, TeamResultReply
from bot.team.tally import OptionCount, Tally

RECORD_FILENAME = "decision-record-{session}.md"


def _bid(session_id: str, step: int, part: str) -> str:
    return f"team:{session_id}:{step}:{part}"


def _who(count: OptionCount, *, anonymous: bool) -> str:
    if anonymous or not count.voters:
        return ""
    return " (" + ", ".join(escape(v) for v in count.voters) + ")"


def tally_text(tally: Tally, *, anonymous: bool, only_voted: bool = False) -> str:
    lines = []
    for count in tally.counts:
        if only_voted and not count.count:
            continue
        bar = "█" * count.count if count.count <= 30 else f"{count.count}×█"
        lines.append(f"*{escape(count.label)}*: {count.count} {bar}{_who(count, anonymous=anonymous)}")
    return "\n".join(lines) or "_No votes yet._"


def team_question_message(reply: TeamQuestionReply) -> SlackMessage:
    sid, step = reply.session_id, reply.step
    blocks: list[Block] = []
    if reply.notice:
        blocks.append(section(escape(reply.notice), _bid(sid, step, "notice")))
    blocks.append(
        {
            "type": "header",
            "block_id": _bid(sid, step, "head"),
            "text": plain_text(f"Team question {reply.number}: {reply.prompt}", SLACK_HEADER_TEXT),
        }
    )
    left = "the last one" if reply.remaining <= 1 else f"at least {reply.number - 1 + reply.remaining} in all"
    blocks.append(
        context(
            f"*{escape(reply.topic)}* · {left} · _Why we ask:_ {escape(reply.why)}", _bid(sid, step, "why")
        )
    )
    votes = choice_elements(
        reply.choices, key=sid, step=step, action=Action.VOTE, placeholder="Cast or change your vote"
    )
    blocks.append(actions(votes, _bid(sid, step, "vote")))
    heading = f"*Votes so far: {reply.tally.total}*" + (" (anonymous)" if reply.anonymous else "")
    blocks.append(
        section(heading + "\n" + tally_text(reply.tally, anonymous=reply.anonymous), _bid(sid, step, "tally"))
    )
    rules = [f"You can change your vote until the question closes. *Next*: {escape(reply.advance_rule)}."]
    if reply.quorum:
        rules.append(f"It also closes by itself at {reply.quorum} votes.")
    rules.append(escape(reply.tie_rule))
    blocks.append(context(" ".join(rules), _bid(sid, step, "rules")))
    blocks.append(
        actions([button("Next", ActionId(sid, step, Action.NEXT), style="primary")], _bid(sid, step, "next"))
    )
    listed = ", ".join(f"{c.number}. {c.label}" for c in reply.choices)
    text = clip(f"[{reply.topic}] Team question {reply.number}: {reply.prompt} ({listed})", FALLBACK_TEXT)
    return SlackMessage(text=text, blocks=fit_blocks(blocks))


def team_closed_message(reply: TeamClosedReply) -> SlackMessage:
    """The question as it closed: no buttons left, the final tally and what the team chose."""
    sid, step = reply.session_id, reply.step
    tie = f" _(a tie: {escape(reply.tie_rule)})_" if reply.tie_broken else ""
    blocks: list[Block] = [
        section(f"*Team question {reply.number}: {escape(reply.prompt)}*", _bid(sid, step, "closed")),
        section(
            f"Closed with {reply.tally.total} vote(s). The team chose *{escape(reply.chosen)}*{tie}.\n"
            + tally_text(reply.tally, anonymous=reply.anonymous, only_voted=True),
            _bid(sid, step, "final"),
        ),
    ]
    text = clip(f"[{reply.topic}] Closed: {reply.prompt} The team chose {reply.chosen}.", FALLBACK_TEXT)
    return SlackMessage(text=text, blocks=fit_blocks(blocks))


def team_result_message(reply: TeamResultReply) -> SlackMessage:
    sid, step = reply.session_id, reply.step
    rec = reply.recommendation
    top, runner = rec.top, rec.runner_up
    heading = "Team pick" if reply.finished else "Team pick so far"
    blocks: list[Block] = [
        {
            "type": "header",
            "block_id": _bid(sid, step, "head"),
            "text": plain_text(f"{heading}: {top.name}", SLACK_HEADER_TEXT),
        }
    ]
    lines = [f"*{escape(reply.topic)}*: *{escape(top.name)}*, fit {rec.fit}% ({top.points} points)"]
    if rec.close_call and runner is not None:
        lines.append(f"_A close call: {escape(runner.name)} is within a few points; either is sound._")
    if rec.tie_broken and runner is not None:
        lines.append(f"_Tie with {escape(runner.name)}: {escape(rec.tie_rule)}_")
    blocks.append(section("\n".join(lines), _bid(sid, step, "top")))
    if top.reasons_for:
        reasons = "\n".join(f"• {escape(r.text)} _(team said: {escape(r.answer)})_" for r in top.reasons_for)
        blocks.append(section(f"*Why*\n{reasons}", _bid(sid, step, "for")))
    if top.reasons_against:
        concerns = "\n".join(
            f"• {escape(r.text)} _(team said: {escape(r.answer)})_" for r in top.reasons_against
        )
        blocks.append(section(f"*Concerns*\n{concerns}", _bid(sid, step, "against")))
    if runner is not None:
        runner_lines = [f"*Runner-up: {escape(runner.name)}* ({runner.points} points)"]
        runner_lines += [f"• Choose it instead for: {escape(t)}" for t in reply.reconsider_when[:2]]
        blocks.append(section("\n".join(runner_lines), _bid(sid, step, "runner")))
    if reply.picks:
        if reply.anonymous:
            picks = "\n".join(f"• {escape(c.subject_name)}: {c.members} member(s)" for c in reply.pick_counts)
        else:
            picks = "\n".join(
                f"• {escape(p.name)}: *{escape(p.subject_name)}*"
                f" ({p.points} points on {p.answered} question(s))"
                for p in reply.picks
            )
        blocks.append(section(f"*Each member's own answers point to*\n{picks}", _bid(sid, step, "picks")))
    if reply.splits:
        split_lines = []
        for split in reply.splits:
            shares = ", ".join(
                f"{escape(c.label)} {c.count}{_who(c, anonymous=reply.anonymous)}" for c in split.counts
            )
            split_lines.append(
                f"• {escape(split.prompt)} {shares}; the team went with *{escape(split.chosen)}*"
            )
        blocks.append(
            section(
                "*Where the team split (worth discussing)*\n" + "\n".join(split_lines),
                _bid(sid, step, "splits"),
            )
        )
    else:
        blocks.append(section("_The team agreed on every question._", _bid(sid, step, "splits")))
    if rec.companions:
        companions = "\n".join(f"• *{escape(c.name)}*: {escape(c.why)}" for c in rec.companions)
        blocks.append(section(f"*Start with*\n{companions}", _bid(sid, step, "companions")))
    if rec.sources:
        links = "\n".join(f"• <{s.url}|{escape(s.title)}>" for s in rec.sources)
        blocks.append(section(f"*Sources*\n{links}", _bid(sid, step, "sources")))
    blocks.append(
        context("Participants: " + ", ".join(escape(p) for p in reply.participants), _bid(sid, step, "who"))
    )
    blocks.append(
        actions([button("Decision record", ActionId(sid, step, Action.RECORD))], _bid(sid, step, "record"))
    )
    runner_text = f"; runner-up {runner.name}" if runner else ""
    text = clip(f"[{reply.topic}] {heading}: {top.name} (fit {rec.fit}%){runner_text}", FALLBACK_TEXT)
    return SlackMessage(text=text, blocks=fit_blocks(blocks))


def team_started_message(*, topic: str, starter: str, command: str) -> SlackMessage:
    """The channel message the session's thread hangs off."""
    text = (
        f"*Team decision: {escape(topic)}*\n<@{starter}> started a team session. Everyone here can vote "
        f"in the thread; the bot shows where you agree and where you split, and writes the decision down."
    )
    return SlackMessage(
        text=f"Team decision: {topic}",
        blocks=(
            section(text, "team:start"),
            context(f"Start your own with `{command} team <topic>`.", "team:how"),
        ),
    )
