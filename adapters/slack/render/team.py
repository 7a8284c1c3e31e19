"""Team-session replies as Block Kit (pure): the live tally, a tie to decide, a closed question,
the team's result with its Accept button, and the modal that starts a session.

Every message is drawn from the stored session, never patched, so whichever edit lands last
shows every vote that was counted.
"""

from __future__ import annotations

from typing import Any

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
    link,
    plain_text,
    section,
)
from bot.pack.limits import SLACK_HEADER_TEXT
from bot.team.replies import TeamClosedReply, TeamQuestionReply, TeamResultReply
from bot.team.scoring import TeamReason, points_text
from bot.team.tally import OptionCount, Tally


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


def _listed(items: tuple[str, ...]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _reason(reason: TeamReason) -> str:
    """Every reason says how many gave its answer: "2 of 3: ... (JSON API)"."""
    return f"• {reason.support}: {escape(reason.text)} _({escape(reason.answer)})_"


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
    if reply.awaiting_decision:
        most = max(c.count for c in reply.tally.counts)
        tied = tuple(f"*{escape(c.label)}*" for c in reply.tied)
        blocks.append(
            section(
                f":scales: *A tie:* {_listed(tied)} have {most} vote(s) each. "
                f"{escape(reply.decider)} decides among them; anyone may still change their vote.",
                _bid(sid, step, "tie"),
            )
        )
        decide = choice_elements(
            reply.tied,
            key=sid,
            step=step,
            action=Action.DECIDE,
            placeholder="Decide the tie",
            label_prefix="Decide: ",
            select_suffix=":d",
        )
        blocks.append(actions(decide, _bid(sid, step, "decide")))
    rules = [f"You can change your vote until the question closes. *Next*: {escape(reply.advance_rule)}."]
    if reply.quorum:
        rules.append(f"It also closes by itself at {reply.quorum} votes.")
    rules.append(escape(reply.tie_policy))
    blocks.append(context(" ".join(rules), _bid(sid, step, "rules")))
    blocks.append(
        actions([button("Next", ActionId(sid, step, Action.NEXT), style="primary")], _bid(sid, step, "next"))
    )
    listed = ", ".join(f"{c.number}. {c.label}" for c in reply.choices)
    waiting = " (a tie: waiting for the starter's decision)" if reply.awaiting_decision else ""
    text = escape(
        clip(
            f"[{reply.topic}] Team question {reply.number}: {reply.prompt} ({listed}){waiting}", FALLBACK_TEXT
        )
    )
    return SlackMessage(text=text, blocks=fit_blocks(blocks))


def team_closed_message(reply: TeamClosedReply) -> SlackMessage:
    """The question as it closed: no buttons left, the final tally and what the team chose."""
    sid, step = reply.session_id, reply.step
    if reply.tied:
        tied = _listed(tuple(escape(t) for t in reply.tied))
        said = f"A tie between {tied}: *{escape(reply.decided_by)}* chose *{escape(reply.chosen)}*."
        plain = f"A tie: {reply.decided_by} chose {reply.chosen}."
    else:
        said = f"The team chose *{escape(reply.chosen)}*."
        plain = f"The team chose {reply.chosen}."
    blocks: list[Block] = [
        section(f"*Team question {reply.number}: {escape(reply.prompt)}*", _bid(sid, step, "closed")),
        section(
            f"Closed with {reply.tally.total} vote(s). {said}\n"
            + tally_text(reply.tally, anonymous=reply.anonymous, only_voted=True),
            _bid(sid, step, "final"),
        ),
    ]
    text = escape(clip(f"[{reply.topic}] Closed: {reply.prompt} {plain}", FALLBACK_TEXT))
    return SlackMessage(text=text, blocks=fit_blocks(blocks))


def _heading(reply: TeamResultReply) -> str:
    ranking = reply.ranking
    if reply.accepted_by:
        return f"Team decision: {reply.accepted_choice}"
    if ranking.is_tied:
        names = tuple(s.name for s in ranking.ranking if s.subject_id in ranking.tied)
        head = f"Tied: {_listed(names)}"
    else:
        head = f"Team pick: {ranking.top.name}"
    return head if reply.finished else f"{head} (so far)"


def team_result_message(reply: TeamResultReply) -> SlackMessage:
    sid, step = reply.session_id, reply.step
    ranking = reply.ranking
    top, runner = ranking.top, ranking.runner_up
    heading = _heading(reply)
    blocks: list[Block] = [
        {
            "type": "header",
            "block_id": _bid(sid, step, "head"),
            "text": plain_text(heading, SLACK_HEADER_TEXT),
        }
    ]
    lines = [
        f"*{escape(reply.topic)}*: *{escape(top.name)}*, fit {ranking.fit}% ({points_text(top.points)})"
        " · every member's vote counts, with its share of the voters"
    ]
    lines += [f":warning: {escape(w)}" for w in reply.warnings]
    blocks.append(section("\n".join(lines), _bid(sid, step, "top")))
    if top.reasons_for:
        reasons = "\n".join(_reason(r) for r in top.reasons_for)
        blocks.append(section(f"*Why*\n{reasons}", _bid(sid, step, "for")))
    if top.reasons_against:
        concerns = "\n".join(_reason(r) for r in top.reasons_against)
        blocks.append(section(f"*Concerns*\n{concerns}", _bid(sid, step, "against")))
    if runner is not None:
        runner_lines = [f"*Closest alternative: {escape(runner.name)}* ({points_text(runner.points)})"]
        runner_lines += [f"• Choose it instead for: {escape(t)}" for t in reply.reconsider_when[:2]]
        if reply.swing is not None:
            runner_lines.append(f"• {escape(reply.swing.describe())}")
        blocks.append(section("\n".join(runner_lines), _bid(sid, step, "runner")))
    if reply.picks:
        if reply.anonymous:
            picks = "\n".join(f"• {escape(c.subject_name)}: {c.members} member(s)" for c in reply.pick_counts)
        else:
            picks = "\n".join(
                f"• {escape(p.name)}: *{escape(p.subject_name)}*"
                + (f" (tied with {escape(_listed(p.tied_with))})" if p.tied_with else "")
                + f" ({p.points} points on {p.answered} question(s))"
                for p in reply.picks
            )
        firsts = "\n".join(f"_{escape(line)}_" for line in reply.first_choice_lines())
        blocks.append(
            section(
                f"*Each member's own answers point to*\n{picks}" + (f"\n{firsts}" if firsts else ""),
                _bid(sid, step, "picks"),
            )
        )
    if reply.splits:
        split_lines = []
        for split in reply.splits:
            shares = ", ".join(
                f"{escape(c.label)} {c.count}{_who(c, anonymous=reply.anonymous)}" for c in split.counts
            )
            if split.tied:
                went = f"a tie; {escape(split.decided_by)} chose *{escape(split.chosen)}*"
            else:
                went = f"the team went with *{escape(split.chosen)}*"
            split_lines.append(f"• {escape(split.prompt)} {shares}; {went}")
        blocks.append(
            section(
                "*Where the team split (worth discussing)*\n" + "\n".join(split_lines),
                _bid(sid, step, "splits"),
            )
        )
    else:
        blocks.append(section("_The team agreed on every question._", _bid(sid, step, "splits")))
    if ranking.companions:
        companions = "\n".join(f"• *{escape(c.name)}*: {escape(c.why)}" for c in ranking.companions)
        blocks.append(section(f"*Start with*\n{companions}", _bid(sid, step, "companions")))
    if ranking.sources:
        links = "\n".join(f"• {link(s.url, s.title)}" for s in ranking.sources)
        blocks.append(section(f"*Sources*\n{links}", _bid(sid, step, "sources")))
    blocks.append(
        context("Participants: " + ", ".join(escape(p) for p in reply.participants), _bid(sid, step, "who"))
    )
    if reply.accepted_by:
        status = f"Decision *accepted* by {escape(reply.accepted_by)}: {escape(reply.accepted_choice)}."
    elif reply.finished:
        status = (
            f"Decision *proposed*: {escape(reply.starter)} (who started) or a workspace admin accepts it."
        )
    else:
        status = "The session is still open."
    blocks.append(context(status, _bid(sid, step, "status")))
    buttons = [button("Decision record", ActionId(sid, step, Action.RECORD))]
    for subject_id, name in reply.accept_choices[:4]:
        label = "Accept decision" if len(reply.accept_choices) == 1 else f"Accept {name}"
        buttons.append(button(label, ActionId(sid, step, Action.ACCEPT, subject_id), style="primary"))
    blocks.append(actions(buttons, _bid(sid, step, "record")))
    runner_text = f"; runner-up {runner.name}" if runner else ""
    text = escape(clip(f"[{reply.topic}] {heading} (fit {ranking.fit}%){runner_text}", FALLBACK_TEXT))
    return SlackMessage(text=text, blocks=fit_blocks(blocks))


def team_accepted_message(reply: TeamResultReply, *, record: str) -> SlackMessage:
    """Said in the thread when the decision is accepted: who, what, and the record's new status."""
    text = (
        f"{escape(reply.accepted_by)} accepted the decision: *{escape(reply.accepted_choice)}*. "
        f"Record `{escape(record)}` is now accepted."
    )
    return SlackMessage(
        text=escape(
            clip(f"{reply.accepted_by} accepted the decision: {reply.accepted_choice}.", FALLBACK_TEXT)
        ),
        blocks=(section(text, _bid(reply.session_id, reply.step, "accepted")),),
    )


def team_started_message(*, topic: str, starter: str, command: str) -> SlackMessage:
    """The channel message the session's thread hangs off."""
    text = (
        f"*Team decision: {escape(topic)}*\n<@{starter}> started a team session. Everyone here can vote "
        f"in the thread; the bot shows where you agree and where you split, and writes the decision down."
    )
    return SlackMessage(
        text=escape(clip(f"Team decision: {topic}", FALLBACK_TEXT)),
        blocks=(
            section(text, "team:start"),
            context(f"Start your own with `{command} team &lt;topic&gt;`.", "team:how"),
        ),
    )


START_CALLBACK = "adv-team-start"
"""The callback_id of the modal that starts a team session (its view_submission comes back with it)."""
TOPIC_LENGTH = 200
QUORUM_HINT = "A whole number from 2 up; leave it empty and only Next closes a question."


def team_start_modal(
    *, private_metadata: str, topic: str = "", anonymous: bool = False, quorum: int = 0
) -> dict[str, Any]:
    """The "start a team decision" modal: topic, anonymous, quorum (views.open's `view`)."""
    topic_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "topic",
        "max_length": TOPIC_LENGTH,
        "placeholder": plain_text("e.g. Backend for the orders service"),
    }
    if topic:
        topic_input["initial_value"] = clip(topic, TOPIC_LENGTH)
    anonymous_option = {
        "text": plain_text("Anonymous votes: show counts, not who voted"),
        "value": "anonymous",
    }
    checkboxes: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": "anonymous",
        "options": [anonymous_option],
    }
    if anonymous:
        checkboxes["initial_options"] = [anonymous_option]
    quorum_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "quorum",
        "max_length": 4,
        "placeholder": plain_text("e.g. 3"),
    }
    if quorum:
        quorum_input["initial_value"] = str(quorum)
    return {
        "type": "modal",
        "callback_id": START_CALLBACK,
        "private_metadata": private_metadata,
        "title": plain_text("Team decision", 24),
        "submit": plain_text("Start", 24),
        "close": plain_text("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": "topic",
                "label": plain_text("What is the team deciding?"),
                "element": topic_input,
            },
            {
                "type": "input",
                "block_id": "anonymous",
                "optional": True,
                "label": plain_text("Votes"),
                "element": checkboxes,
            },
            {
                "type": "input",
                "block_id": "quorum",
                "optional": True,
                "label": plain_text("Close each question by itself at this many votes"),
                "hint": plain_text(QUORUM_HINT),
                "element": quorum_input,
            },
        ],
    }
