"""Draw a pack's question flow as Mermaid or Graphviz DOT text, for READMEs and reviews."""

from __future__ import annotations

from bot.pack.model import RESULT, Pack


def _mermaid_text(text: str, limit: int = 60) -> str:
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return short.replace('"', "#quot;")


def to_mermaid(pack: Pack) -> str:
    lines = ["flowchart TD"]
    for question in pack.questions.values():
        lines.append(f'    {question.id}["{_mermaid_text(question.prompt)}"]')
    lines.append(f"    {RESULT}((Recommendation))")
    for question in pack.questions.values():
        for option in question.options:
            lines.append(f'    {question.id} -- "{_mermaid_text(option.label, 40)}" --> {option.next}')
    lines.append(f"    style {pack.start} stroke-width:3px")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(pack: Pack) -> str:
    lines = [f'digraph "{_dot_text(pack.id)}" {{', "    rankdir=TB;", "    node [shape=box];"]
    for question in pack.questions.values():
        lines.append(f'    "{question.id}" [label="{_dot_text(question.prompt)}"];')
    lines.append(f'    "{RESULT}" [label="Recommendation", shape=doublecircle];')
    for question in pack.questions.values():
        for option in question.options:
            lines.append(f'    "{question.id}" -> "{option.next}" [label="{_dot_text(option.label)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
