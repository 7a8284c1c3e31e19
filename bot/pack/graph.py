"""Draw a pack's question flow as Mermaid or Graphviz DOT text, for READMEs and reviews.

Options of one question that lead to the same place are one edge listing them (or "any
answer" when every option goes there), so a diagram shows the flow instead of a fan of
parallel arrows whose labels overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.pack.model import RESULT, Pack

ANY_ANSWER = "any answer"


@dataclass(frozen=True, slots=True)
class Edge:
    """One arrow: from a question to where some of its options lead, with those options' labels."""

    source: str
    target: str
    labels: tuple[str, ...]
    every_option: bool
    """Every option of the question leads here: the label says "any answer" instead of listing them."""


def edges(pack: Pack) -> tuple[Edge, ...]:
    """The flow's arrows, parallel ones merged, in the pack's question and option order."""
    out: list[Edge] = []
    for question in pack.questions.values():
        targets: dict[str, list[str]] = {}
        for option in question.options:
            targets.setdefault(option.next, []).append(option.label)
        for target, labels in targets.items():
            out.append(Edge(question.id, target, tuple(labels), every_option=len(targets) == 1))
    return tuple(out)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mermaid_text(text: str, limit: int = 60) -> str:
    return _short(text, limit).replace('"', "#quot;")


def _mermaid_label(edge: Edge) -> str:
    if edge.every_option and len(edge.labels) > 1:
        return ANY_ANSWER
    return "<br/>".join(_mermaid_text(label, 40) for label in edge.labels)


def to_mermaid(pack: Pack) -> str:
    lines = ["flowchart TD"]
    for question in pack.questions.values():
        lines.append(f'    {question.id}["{_mermaid_text(question.prompt)}"]')
    lines.append(f"    {RESULT}((Recommendation))")
    for edge in edges(pack):
        lines.append(f'    {edge.source} -- "{_mermaid_label(edge)}" --> {edge.target}')
    lines.append(f"    style {pack.start} stroke-width:3px")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _dot_label(edge: Edge) -> str:
    if edge.every_option and len(edge.labels) > 1:
        return ANY_ANSWER
    # "\l" ends a left-aligned line in Graphviz: a list of options reads as a list.
    return (
        "".join(f"{_dot_text(label)}\\l" for label in edge.labels)
        if len(edge.labels) > 1
        else (_dot_text(edge.labels[0]))
    )


def to_dot(pack: Pack) -> str:
    lines = [f'digraph "{_dot_text(pack.id)}" {{', "    rankdir=TB;", "    node [shape=box];"]
    for question in pack.questions.values():
        lines.append(f'    "{question.id}" [label="{_dot_text(question.prompt)}"];')
    lines.append(f'    "{RESULT}" [label="Recommendation", shape=doublecircle];')
    for edge in edges(pack):
        lines.append(f'    "{edge.source}" -> "{edge.target}" [label="{_dot_label(edge)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
