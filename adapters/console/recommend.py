"""`advisor recommend`: a whole answer path from the command line, as text or JSON, no store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from adapters.console.controls import safe_reply, strip_controls
from adapters.console.render import render_recommendation
from bot.errors import AdvisorError
from bot.matching import resolve_answer
from bot.pack.loader import load_pack
from bot.pack.model import RESULT, Pack
from bot.ranking import Recommendation, recommend


class IncompletePath(AdvisorError):
    """The given answers stop before a result, or name something the pack lacks."""


def walk_answers(pack: Pack, given: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Follow the pack from its start using QUESTION=OPTION pairs (option by id, label, number...)."""
    wanted: dict[str, str] = {}
    for item in given:
        if "=" not in item:
            raise IncompletePath(f"'{item}' is not QUESTION=OPTION; e.g. --answer deliver=api")
        question, option = (part.strip() for part in item.split("=", 1))
        if pack.question(question) is None:
            raise IncompletePath(
                f"'{question}' is not a question of {pack.id}; questions: {', '.join(pack.questions)}"
            )
        wanted[question] = option
    path: list[tuple[str, str]] = []
    here = pack.start
    while here != RESULT:
        question_obj = pack.question(here)
        if question_obj is None:
            break
        if here not in wanted:
            choices = ", ".join(o.id for o in question_obj.options)
            raise IncompletePath(
                f"the answers stop at question '{here}' ({question_obj.prompt}); "
                f"add --answer {here}=OPTION with one of: {choices}"
            )
        chosen = resolve_answer(question_obj, wanted.pop(here))
        path.append((here, chosen.id))
        here = chosen.next
    if wanted:
        raise IncompletePath(
            f"these answers are not on the path your other answers take: {', '.join(sorted(wanted))}"
        )
    return tuple(path)


def recommendation_json(pack: Pack, path: tuple[tuple[str, str], ...], rec: Recommendation) -> dict[str, Any]:
    def reasons(items: Sequence[Any]) -> list[dict[str, Any]]:
        return [
            {
                "question": r.question_id,
                "answer": r.option_id,
                "weight": r.weight,
                "reason": r.text,
                "sources": list(r.sources),
            }
            for r in items
        ]

    return {
        "pack": pack.id,
        "version": pack.version,
        "path": [f"{q}={o}" for q, o in path],
        "top": rec.top.subject_id,
        "runner_up": rec.runner_up.subject_id if rec.runner_up else None,
        "fit": rec.fit,
        "possible": rec.possible,
        "margin": rec.margin,
        "close_call": rec.close_call,
        # Ids of every subject sharing the top points (empty when the top is alone): "top" is
        # then only the first of them as drawn, not a winner.
        "level_at_top": [s.subject_id for s in rec.level_at_top],
        "ranking": [{"id": s.subject_id, "name": s.name, "points": s.points} for s in rec.ranking],
        "points_by_answer": [
            {"question": a.question_id, "answer": a.option_id, "points": a.points} for a in rec.top_points
        ],
        "why_not_runner_up": [
            {
                "question": g.question_id,
                "answer": g.option_id,
                "top": g.top_points,
                "runner_up": g.runner_up_points,
                "gap": g.gap,
            }
            for g in rec.why_not_runner_up
        ],
        "reasons_for": reasons(rec.top.reasons_for),
        "reasons_against": reasons(rec.top.reasons_against),
        "reconsider": reasons(rec.reconsider),
        "companions": [{"name": c.name, "why": c.why} for c in rec.companions],
        "notes": list(rec.notes),
        "sources": [{"id": s.id, "title": s.title, "url": s.url} for s in rec.sources],
    }


def recommend_path(folder: Path, given: Sequence[str], *, fmt: str, out: TextIO) -> int:
    pack = load_pack(folder)
    path = walk_answers(pack, given)
    rec = recommend(pack, path)
    if fmt == "json":
        out.write(json.dumps(recommendation_json(pack, path, rec), indent=2) + "\n")
    else:
        summaries = tuple(
            (s.id, s.summary.text, s.url)
            for s in (pack.subject(x.subject_id) for x in rec.ranking[:2])
            if s is not None
        )
        text = render_recommendation(pack.title, safe_reply(rec), summaries=safe_reply(summaries))
        out.write(strip_controls(text) + "\n")
    return 0
