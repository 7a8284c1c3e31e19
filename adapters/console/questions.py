"""`advisor questions`: every question and option id, its label and where it leads, as text or JSON.

These are the ids `advisor recommend -a QUESTION=OPTION` takes, so a script author reads them
once instead of learning them one error at a time.
"""

from __future__ import annotations

from typing import Any

from bot.pack.model import RESULT, Pack
from bot.pack.paths import path_lengths

RESULT_LABEL = "the recommendation"


def _leads_to(target: str) -> str:
    return RESULT_LABEL if target == RESULT else target


def questions_text(pack: Pack) -> str:
    lengths = path_lengths(pack)
    span = f"; a path asks {min(lengths)} to {max(lengths)} of them" if lengths else ""
    lines = [
        f"{pack.title} ({pack.id}): {len(pack.questions)} questions{span}.",
        "Answer a whole path with: advisor recommend -a QUESTION=OPTION -a QUESTION=OPTION ...",
        "",
    ]
    for question in pack.questions.values():
        first = "  (the first question)" if question.id == pack.start else ""
        lines.append(f"{question.id}: {question.prompt}{first}")
        id_width = max((len(o.id) for o in question.options), default=0)
        label_width = max((len(o.label) for o in question.options), default=0)
        for option in question.options:
            lines.append(
                f"  {question.id}={option.id:<{id_width}}  {option.label:<{label_width}}"
                f"  -> {_leads_to(option.next)}"
            )
        lines.append("")
    return "\n".join(lines)


def questions_json(pack: Pack) -> dict[str, Any]:
    lengths = path_lengths(pack)
    return {
        "pack": pack.id,
        "title": pack.title,
        "version": pack.version,
        "start": pack.start,
        "path_lengths": {str(length): count for length, count in lengths.items()},
        "questions": [
            {
                "id": question.id,
                "prompt": question.prompt,
                "first": question.id == pack.start,
                "options": [
                    {
                        "id": option.id,
                        "label": option.label,
                        "synonyms": list(option.synonyms),
                        "next": option.next,
                        "answer": f"{question.id}={option.id}",
                    }
                    for option in question.options
                ],
            }
            for question in pack.questions.values()
        ],
    }
