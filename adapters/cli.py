"""The `advisor` command: the composition root that wires settings, packs, the store and an adapter.

Chat SDKs are imported only by the subcommand that needs them, so `advisor chat` starts fast;
a subcommand whose optional dependencies are missing says which extra to install. Shell
completion is argcomplete's (`eval "$(register-python-argcomplete advisor)"`), imported only
when the shell asks for completions.

Exit codes: 0 ok, 1 lint or scenario failures, 2 bad usage or input, 3 database unusable,
130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from adapters.console.controls import strip_controls
from adapters.settings import Settings
from bot.errors import AdvisorError, PackError, SettingsError, StoreError
from bot.pack.findings import Finding

if TYPE_CHECKING:
    from adapters.services import Services
    from bot.team.record import RecordEntry

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STORE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
RECORD_PLATFORMS = ("terminal", "slack", "discord")
TEAM_COMMANDS = """team sessions (--team a,b,c): each member in turn types an answer, or
  pass              skip your turn on this question
  tally             the votes so far on this question
  next              close this question now, on the votes given (the starter only)
  decide ANSWER     settle a tie: choose one of the tied answers (the starter only)
  vote NAME ANSWER  change NAME's vote (also while a tie waits for the starter)
  help, quit
Every member gets a turn on every question; --quorum N is how many votes a question needs
before it closes. A tie is never settled by itself: it waits for the starter (the first name)."""
RECORD_EXAMPLES = """examples:
  advisor record SESSION_ID                    the record as MADR Markdown
  advisor record SESSION_ID -o docs/decisions  write docs/decisions/0001-<topic>.md
  advisor record SESSION_ID --accept           the starter accepts it (proposed -> accepted)
  advisor record SESSION_ID --accept --choose flask   accept a tied result for Flask
  advisor record --list [--format json]        every record, numbered per channel"""
_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
PLATFORMS = ("terminal", "slack", "discord")
GRAPH_FORMATS = ("mermaid", "dot", "svg", "png")

EXTRAS: Mapping[str, str] = {
    "slack_bolt": "slack",
    "slack_sdk": "slack",
    "aiohttp": "slack",
    "discord": "discord",
    "asyncpg": "postgres",
}
"""A module an optional feature imports -> the extra (pyproject.toml) that installs it."""


class MissingExtra(AdvisorError):
    """A subcommand needs an optional dependency that is not installed; says how to install it."""

    def __init__(self, *, module: str, extra: str, command: str) -> None:
        self.module, self.extra, self.command = module, extra, command
        super().__init__(
            f"`advisor {command}` needs the optional '{extra}' dependencies, and {module} is not"
            f" installed. Install them with: pip install 'framework-advisor[{extra}]'"
            f" (in a clone of the repository: .venv/bin/pip install '.[{extra}]')"
        )


def missing_extra(error: ModuleNotFoundError, command: str) -> MissingExtra | None:
    """The friendly error for an import that failed because an extra is missing, else None (a bug)."""
    module = (error.name or "").split(".")[0]
    extra = EXTRAS.get(module)
    return None if extra is None else MissingExtra(module=module, extra=extra, command=command)


def require_extra(extra: str, *, command: str) -> None:
    """Import the extra's modules now, before any database is opened, so a missing one is named."""
    import importlib

    for module, needed_by in EXTRAS.items():
        if needed_by == extra:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as error:
                raise MissingExtra(module=module, extra=extra, command=command) from error


@dataclass(frozen=True, slots=True)
class Duration:
    """A duration as typed (`30d`) and as a timedelta: messages repeat it the way it was given."""

    text: str
    delta: timedelta

    def __str__(self) -> str:
        return self.text


def parse_duration(text: str) -> Duration:
    """'30d', '12h', '90m', '2w' -> Duration."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration; use e.g. 30d, 12h, 90m or 2w")
    amount, unit = int(match[1]), match[2]
    delta = timedelta(
        **{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: amount}
    )
    return Duration(f"{amount}{unit}", delta)


# --- shell completion (argcomplete calls these with the word typed so far) ----------------

Completer = Callable[..., Iterable[str]]


def _completes(action: argparse.Action, completer: Completer) -> None:
    """argcomplete reads an action's `completer` attribute: its documented hook."""
    action.completer = completer  # type: ignore[attr-defined]


def _directories(prefix: str, **_: Any) -> list[str]:
    """Folders, for --pack: packs are folders."""
    base = Path(prefix).expanduser()
    parent = base if prefix.endswith("/") else base.parent
    try:
        return [f"{p}/" for p in sorted(parent.iterdir()) if p.is_dir() and str(p).startswith(prefix)]
    except OSError:
        return []


def _answers(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    """QUESTION=OPTION pairs of the pack (`--pack` if given, else the configured one)."""
    from bot.pack.loader import read_pack

    try:
        folder = parsed_args.pack or Settings.from_env().pack_dir
        pack, _findings = read_pack(folder)
    except (AdvisorError, OSError):
        return []
    if pack is None:
        return []
    pairs = [f"{q.id}={o.id}" for q in pack.questions.values() for o in q.options]
    return [pair for pair in pairs if pair.startswith(prefix)]


def _platform_words(name: str) -> Completer:
    """What may follow `advisor slack` / `advisor discord`: their own actions and options."""

    def complete(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
        parsers: list[argparse.ArgumentParser] = []
        try:
            if name == "slack":
                from adapters.slack import run as slack_run

                given = list(parsed_args.rest or ())
                parsers = [slack_run._manifest_parser() if given[:1] == ["manifest"] else slack_run._parser()]
                words = ["manifest"] if not given else []
            else:
                from adapters.discord import run as discord_run

                parsers = [discord_run._parser()]
                words = []
        except ImportError:
            return []
        for parser in parsers:
            for action in parser._actions:
                words += action.option_strings
                if isinstance(action, argparse._SubParsersAction):
                    words += list(action.choices)
        return [word for word in words if word.startswith(prefix)]

    return complete


def _offer_completions(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """When the shell asks (`_ARGCOMPLETE` set), print completions and exit; otherwise do nothing."""
    if "_ARGCOMPLETE" not in environ:
        return
    import argcomplete

    argcomplete.autocomplete(parser)


def _help_width() -> int:
    """The width argparse formats help to, worked out as `shutil.get_terminal_size` does ($COLUMNS,
    else the terminal, else 80, less 2): argparse builds a formatter for every argument added, and
    its own would import shutil (and with it bz2, lzma, zlib) on every start for that."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


class _RawHelp(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs kept as written (their examples are laid out by hand)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_help_width())


class _WideHelp(argparse.HelpFormatter):
    """Room for `recommend` and `scenarios` beside their help, instead of on a line of their own.

    argparse measures the command names without their extra indent, so the longest ones would
    otherwise push their help onto the next line.
    """

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30, width=_help_width())

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction):
            longest = max((len(name) for name in action.choices), default=0)
            self._action_max_length = max(self._action_max_length, longest + self._current_indent + 4)


PACK_HELP = "a pack folder (default: the shipped python-web pack, or $ADVISOR_PACK)"
FORMAT_HELP = "text for people, json for scripts (default: text)"


class _Version(argparse.Action):
    """`--version`, reading the package metadata only when asked (argparse's own action needs the
    text up front, and reading it costs every start ~10 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **_: Any) -> None:
        super().__init__(
            option_strings,
            dest=dest,
            default=argparse.SUPPRESS,
            nargs=0,
            help="show program's version number and exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: Any, **__: Any) -> None:
        from bot import __version__

        parser._print_message(f"{parser.prog} {__version__}\n", sys.stdout)
        parser.exit()


def _build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The `advisor` parser; with `only`, that subcommand's alone (argparse builds the others' ~80
    arguments in ~10 ms, a start's worth of work, for nothing)."""
    parser = argparse.ArgumentParser(
        prog="advisor",
        description="Helps you (or your team) choose a Python web framework, and explains why.",
        epilog="Run `advisor COMMAND --help` for a command's options. Start with: advisor chat",
        formatter_class=_WideHelp,
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    if only in (None, "chat"):
        chat = sub.add_parser(
            "chat",
            help="talk to the advisor in this terminal (resumes where you left)",
            epilog=TEAM_COMMANDS,
            formatter_class=_RawHelp,
        )
        chat.add_argument("--user", help="whose conversation (default: your OS user name)")
        _completes(chat.add_argument("--pack", type=Path, help=PACK_HELP), _directories)
        chat.add_argument("--team", metavar="A,B,C", help="a team session: these members take turns")
        chat.add_argument("--topic", default="", help="what the team is deciding (with --team)")
        chat.add_argument("--quorum", type=int, default=0, help="votes that close a question by themselves")
        chat.add_argument("--anonymous", action="store_true", help="show vote counts, not who voted")
        chat.add_argument(
            "--no-color", action="store_true", help="no colour or bold, even on a terminal (or set NO_COLOR)"
        )

    if only in (None, "record"):
        record = sub.add_parser(
            "record",
            help="a team session's decision record (MADR): write, accept or list them",
            description="Write a team session's decision record, accept it, or list the records.",
            epilog=RECORD_EXAMPLES,
            formatter_class=_RawHelp,
        )
        record.add_argument(
            "session_id", metavar="SESSION_ID", nargs="?", help="the id `advisor chat --team` printed"
        )
        record.add_argument(
            "--output",
            "-o",
            type=Path,
            help="a file, or a folder for the numbered file (default: standard output)",
        )
        record.add_argument(
            "--format",
            choices=("markdown", "json"),
            default="markdown",
            help="the output (default: markdown)",
        )
        record.add_argument(
            "--accept",
            action="store_true",
            help="accept the decision as its starter: status proposed -> accepted",
        )
        record.add_argument(
            "--choose",
            metavar="ID",
            default="",
            help="with --accept on a tied result: the framework chosen (e.g. flask)",
        )
        record.add_argument(
            "--list", action="store_true", help="list the records, numbered per workspace and channel"
        )
        record.add_argument(
            "--platform",
            choices=(*RECORD_PLATFORMS, "all"),
            default="all",
            help="with --list: only this platform's records",
        )
        _completes(record.add_argument("--pack", type=Path, help=PACK_HELP), _directories)

    if only in (None, "recommend"):
        rec = sub.add_parser("recommend", help="answer a whole path at once, for scripts")
        answer = rec.add_argument(
            "--answer",
            "-a",
            action="append",
            default=[],
            metavar="QUESTION=OPTION",
            help="one answer, e.g. -a deliver=api (repeat it; `advisor questions` lists the ids)",
        )
        _completes(answer, _answers)
        rec.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)
        _completes(rec.add_argument("--pack", type=Path, help=PACK_HELP), _directories)

    if only in (None, "questions"):
        questions = sub.add_parser("questions", help="list the question and option ids that recommend takes")
        questions.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)
        _completes(questions.add_argument("--pack", type=Path, help=PACK_HELP), _directories)

    if only in (None, "lint"):
        lint = sub.add_parser("lint", help="check a knowledge pack")
        _completes(lint.add_argument("pack", nargs="?", type=Path, help=PACK_HELP), _directories)
        lint.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)
        lint.add_argument("--scenarios", action="store_true", help="also run the pack's scenario tests")
        lint.add_argument(
            "--robustness",
            action="store_true",
            help="also change each scenario answer in turn and fail on top picks outside `acceptable`"
            " (runs the scenario tests too)",
        )
        lint.add_argument("--verbose", "-v", action="store_true", help="with --robustness, list every flip")

    if only in (None, "scenarios"):
        scen = sub.add_parser("scenarios", help="run a pack's scenario tests")
        _completes(scen.add_argument("pack", nargs="?", type=Path, help=PACK_HELP), _directories)
        scen.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)

    if only in (None, "pack"):
        pack_cmd = sub.add_parser(
            "pack", help="look after a knowledge pack: freshness, and the versions kept in the database"
        )
        pack_actions = pack_cmd.add_subparsers(dest="pack_action", required=True, metavar="ACTION")
        fresh = pack_actions.add_parser(
            "freshness", help="compare each subject's latest_version with installed packages (or PyPI)"
        )
        _completes(fresh.add_argument("pack", nargs="?", type=Path, help=PACK_HELP), _directories)
        fresh.add_argument(
            "--online", action="store_true", help="ask PyPI's JSON API for the latest releases"
        )

    if only in (None, "graph"):
        graph = sub.add_parser("graph", help="draw a pack's question flow")
        _completes(graph.add_argument("pack", nargs="?", type=Path, help=PACK_HELP), _directories)
        graph.add_argument(
            "--format",
            choices=GRAPH_FORMATS,
            default="mermaid",
            help="mermaid or dot text; svg or png drawn by Graphviz's `dot` (default: mermaid)",
        )
        graph.add_argument("--output", "-o", type=Path, help="a file (default: standard output)")

    if only in (None, "forget"):
        forget = sub.add_parser("forget", help="delete everything stored about a user")
        forget.add_argument(
            "--user", required=True, help="the user's id on that platform (a name in a terminal)"
        )
        forget.add_argument(
            "--platform", default="terminal", choices=PLATFORMS, help="where the user is (default: terminal)"
        )
        forget.add_argument("--workspace", help="only this workspace or guild (default: all)")

    if only in (None, "purge"):
        purge = sub.add_parser(
            "purge", help="delete conversations and team sessions idle for longer than a duration"
        )
        purge.add_argument(
            "--older-than",
            required=True,
            type=parse_duration,
            metavar="DURATION",
            help="idle for longer than this: 30d, 12h, 90m or 2w",
        )

    if only in (None, "pack"):
        status = pack_actions.add_parser(
            "status", help="the current version, the kept ones, and the conversations pinned to each"
        )
        _completes(status.add_argument("pack", nargs="?", type=Path, help=PACK_HELP), _directories)
        status.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)
        prune = pack_actions.add_parser(
            "prune", help="drop kept versions no conversation or open team session uses"
        )
        _completes(prune.add_argument("pack", nargs="?", type=Path, help=PACK_HELP), _directories)

    if only in (None, "health"):
        health = sub.add_parser("health", help="ask a running bot whether it is ready (the container check)")
        health.add_argument("--live", action="store_true", help="only whether it answers (/healthz)")
        health.add_argument("--port", type=int, help="default: ADVISOR_HEALTH_PORT, else PORT")

    for name, title in (("slack", "Slack"), ("discord", "Discord")):
        if only not in (None, name):
            continue
        platform = sub.add_parser(
            name, help=f"run or set up the {title} bot (advisor {name} --help)", add_help=False
        )
        rest = platform.add_argument("rest", nargs=argparse.REMAINDER, help=f"see advisor {name} --help")
        _completes(rest, _platform_words(name))
    return parser


SUBCOMMANDS = (
    "chat",
    "record",
    "recommend",
    "questions",
    "lint",
    "scenarios",
    "pack",
    "graph",
    "forget",
    "purge",
    "health",
    "slack",
    "discord",
)


def _subcommand(word: str) -> str | None:
    """The subcommand `word` names, or None (an option or a typo: the whole parser then answers)."""
    return word if word in SUBCOMMANDS else None


def _pack_dir(settings: Settings, given: Path | None) -> Path:
    return given if given is not None else settings.pack_dir


def _findings_json(findings: Sequence[Finding]) -> str:
    return json.dumps(
        [
            {
                "file": f.at.file,
                "line": f.at.line,
                "column": f.at.column,
                "code": f.code,
                "severity": f.severity.value,
                "message": f.message,
            }
            for f in findings
        ],
        indent=2,
    )


def _lint(
    folder: Path, *, fmt: str, scenarios: bool, out: TextIO, robustness: bool = False, verbose: bool = False
) -> int:
    from bot.pack.lint import lint_pack
    from bot.pack.loader import read_pack
    from bot.pack.robustness import RobustnessReport, check_robustness, describe
    from bot.pack.scenarios import run_scenarios

    pack, findings = read_pack(folder)
    report: RobustnessReport | None = None
    if pack is not None and not any(f.is_error for f in findings):
        findings.extend(lint_pack(pack))
        if (scenarios or robustness) and not any(f.is_error for f in findings):
            for outcome in run_scenarios(pack):
                findings.extend(outcome.findings)
            if robustness:  # it varies only the scenarios that passed just now
                report = check_robustness(pack)
                findings.extend(report.findings)
    if fmt == "json":
        out.write(_findings_json(findings) + "\n")
    else:
        for finding in findings:
            out.write(strip_controls(str(finding)) + "\n")
        errors = sum(f.is_error for f in findings)
        warnings = len(findings) - errors
        if pack is not None and report is not None:
            if verbose:
                for variant in report.flips:
                    mark = "ok  " if variant.is_acceptable else "FAIL"
                    out.write(f"{mark} '{variant.scenario.name}': {describe(pack, variant)}\n")
            out.write(
                f"robustness: {report.scenarios} scenarios, {len(report.variants)} single-answer variants,"
                f" {len(report.flips)} flip the top pick, {len(report.failed)} outside `acceptable`"
                " or into `never`\n"
            )
        if pack is not None:
            out.write(
                f"{folder}: {len(pack.questions)} questions, {len(pack.subjects)} subjects,"
                f" {len(pack.scenarios)} scenarios; {errors} error(s), {warnings} warning(s)\n"
            )
    return EXIT_FAILED if any(f.is_error for f in findings) else EXIT_OK


def _scenarios(folder: Path, *, fmt: str, out: TextIO) -> int:
    from bot.pack.loader import load_pack
    from bot.pack.scenarios import run_scenarios

    pack = load_pack(folder)
    outcomes = list(run_scenarios(pack))
    if fmt == "json":
        out.write(
            json.dumps(
                [
                    {
                        "name": o.scenario.name,
                        "passed": o.passed,
                        "top": o.ranking[0] if o.ranking else None,
                        "ranking": list(o.ranking),
                        "path": [f"{q}={a}" for q, a in o.path],
                        "problems": [f.message for f in o.findings],
                    }
                    for o in outcomes
                ],
                indent=2,
            )
            + "\n"
        )
    else:
        for o in outcomes:
            mark = "ok  " if o.passed else "FAIL"
            line = f"{mark} {o.scenario.name}: {o.ranking[0] if o.ranking else '?'} ({len(o.path)} questions)"
            out.write(strip_controls(line) + "\n")
            for finding in o.findings:
                out.write(strip_controls(f"     {finding}") + "\n")
        passed = sum(o.passed for o in outcomes)
        out.write(f"{passed} passed, {len(outcomes) - passed} failed\n")
    return EXIT_OK if all(o.passed for o in outcomes) else EXIT_FAILED


def _freshness(folder: Path, *, online: bool, out: TextIO) -> int:
    from adapters.package_index import index_versions, installed_versions
    from bot.pack.freshness import FoundVersion, Status, check_freshness, package_name
    from bot.pack.loader import load_pack

    pack = load_pack(folder)
    names = [package_name(s) for s in pack.subjects]
    found: dict[str, FoundVersion] = installed_versions(names)
    if online:
        from_index, failed = index_versions(names)
        found.update(from_index)  # the index knows the newest release; an install may lag
        for problem in failed:
            out.write(f"PyPI did not answer for {problem}\n")
    verdicts = check_freshness(pack, found)
    for verdict in verdicts:
        out.write(f"{verdict.status.value:<12} {verdict}\n")
    counts = {status: sum(v.status is status for v in verdicts) for status in Status}
    hint = "" if online else "; add --online to ask PyPI about the rest"
    out.write(
        f"{folder}: {counts[Status.OUT_OF_DATE]} out of date, {counts[Status.CURRENT]} current,"
        f" {counts[Status.AHEAD]} newer than installed, {counts[Status.UNKNOWN]} not found{hint}\n"
    )
    return EXIT_FAILED if counts[Status.OUT_OF_DATE] else EXIT_OK


class GraphvizMissing(AdvisorError):
    """`advisor graph --format svg|png` without Graphviz's `dot` on PATH."""

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        super().__init__(
            f"--format {fmt} is drawn by Graphviz, and its `dot` command is not on PATH. Install"
            " Graphviz (apt install graphviz, brew install graphviz, or https://graphviz.org/download/),"
            " or print the text with --format dot (or mermaid) and draw it elsewhere."
        )


class GraphvizFailed(AdvisorError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"Graphviz's dot could not draw the flow: {detail}. Check `dot -V` works.")


class BinaryToTerminal(AdvisorError):
    def __init__(self) -> None:
        super().__init__("A PNG is binary: add --output flow.png, or redirect it: > flow.png")


def _graph(folder: Path, *, fmt: str, output: Path | None, out: TextIO, environ: Mapping[str, str]) -> int:
    import shutil
    import subprocess

    from bot.pack.graph import to_dot, to_mermaid
    from bot.pack.loader import load_pack

    pack = load_pack(folder)
    if fmt in ("mermaid", "dot"):
        text = strip_controls(to_mermaid(pack) if fmt == "mermaid" else to_dot(pack))
        if output is None:
            out.write(text)
        else:
            output.write_text(text, encoding="utf-8")
        return EXIT_OK
    dot = shutil.which("dot", path=environ.get("PATH", os.defpath))
    if dot is None:
        raise GraphvizMissing(fmt)
    binary = getattr(out, "buffer", None)
    if fmt == "png" and output is None and (binary is None or out.isatty()):
        raise BinaryToTerminal()
    try:
        drawn = subprocess.run(
            [dot, f"-T{fmt}"], input=to_dot(pack).encode(), capture_output=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GraphvizFailed(str(error)) from None
    if drawn.returncode != 0:
        raise GraphvizFailed(
            drawn.stderr.decode(errors="replace").strip()[:500] or f"exit {drawn.returncode}"
        )
    if output is not None:
        output.write_bytes(drawn.stdout)
    elif fmt == "svg":
        out.write(strip_controls(drawn.stdout.decode("utf-8", errors="replace")))
    else:
        out.flush()
        binary.write(drawn.stdout)  # type: ignore[union-attr]  # checked above: png needs a binary stream
        binary.flush()  # type: ignore[union-attr]
    return EXIT_OK


def _questions(folder: Path, *, fmt: str, out: TextIO) -> int:
    from adapters.console.questions import questions_json, questions_text
    from bot.pack.loader import load_pack

    pack = load_pack(folder)
    if fmt == "json":
        out.write(json.dumps(questions_json(pack), indent=2) + "\n")
    else:
        out.write(strip_controls(questions_text(pack)))
    return EXIT_OK


def _recommend(folder: Path, answers: Sequence[str], *, fmt: str, out: TextIO) -> int:
    from adapters.console.recommend import recommend_path

    return recommend_path(folder, answers, fmt=fmt, out=out)


async def _open(settings: Settings, pack: Path | None) -> Services:
    from adapters.services import open_services

    return await open_services(settings, pack_dir=_pack_dir(settings, pack))


def _chat(
    settings: Settings,
    args: argparse.Namespace,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str],
) -> int:
    from adapters.console.pager import terminal_pager
    from adapters.console.personal import run_console
    from adapters.console.style import Style, wants_colour
    from bot.personal.conversation import Actor

    colour = wants_colour(stream=stdout, environ=environ, disabled=args.no_color)
    on_terminal = stdin.isatty() and stdout.isatty()
    with asyncio.Runner() as runner:
        services = runner.run(_open(settings, args.pack))
        try:
            actor = Actor("terminal", "local", args.user or _os_user())
            return run_console(
                engine=services.engine,
                actor=actor,
                runner=runner,
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
                style=Style(colour=colour),
                pager=terminal_pager(stdout=stdout, environ=environ) if on_terminal else None,
                # input() reads sys.stdin and writes sys.stdout: only for the process's own terminal.
                use_readline=on_terminal and stdin is sys.stdin and stdout is sys.stdout,
            )
        except KeyboardInterrupt:
            stdout.write("\nInterrupted. Your answers are saved: run `advisor chat` to carry on.\n")
            return EXIT_INTERRUPTED
        finally:
            runner.run(services.close())


def _os_user() -> str:
    import getpass  # it imports termios: only for a chat started without --user

    return getpass.getuser()


def team_members(text: str) -> list[str]:
    """'alice, bob,carol' -> ['alice', 'bob', 'carol']; duplicates and blanks are refused."""
    members = [m.strip() for m in text.split(",") if m.strip()]
    if len(members) < 2 or len(set(members)) != len(members):
        raise SettingsError(
            name="--team", expected="two or more different names separated by commas", got=text
        )
    return members


def _team_chat(settings: Settings, args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from adapters.console.team import run_team_console

    members = team_members(args.team)
    with asyncio.Runner() as runner:
        services = runner.run(_open(settings, args.pack))
        try:
            return run_team_console(
                engine=services.team,
                members=members,
                runner=runner,
                stdin=stdin,
                stdout=stdout,
                topic=args.topic,
                quorum=args.quorum,
                anonymous=args.anonymous,
            )
        except KeyboardInterrupt:
            stdout.write("\nInterrupted. The votes are saved: run the same command to carry on.\n")
            return EXIT_INTERRUPTED
        finally:
            runner.run(services.close())


def _record(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    """A stored session's decision record (on the pack version it was decided with), its
    acceptance, or the list of records."""
    from bot.team.record import record_json, record_markdown

    if args.list:
        return _record_list(settings, args, stdout)
    if not args.session_id:
        raise SettingsError(name="SESSION_ID", expected="a team session id (or --list for all records)")

    async def read() -> tuple[str, str, str]:
        services = await _open(settings, args.pack)
        try:
            said = ""
            if args.accept:
                session = await services.team.session(args.session_id)
                reply = await services.team.accept(
                    session_id=args.session_id, member=session.starter, can_manage=True, choice=args.choose
                )
                said = f"Accepted: {reply.accepted_choice} (by {reply.accepted_by})."
            record = await services.team.record_of(args.session_id)
        finally:
            await services.close()
        if args.format == "json":
            text = json.dumps(record_json(record), indent=2, ensure_ascii=False) + "\n"
            return text, f"{record.stem}.json", said
        return record_markdown(record), record.filename, said

    text, filename, said = asyncio.run(read())
    text, said = strip_controls(text), strip_controls(said)  # topics and names came from chat users
    if said:
        stdout.write(said + "\n")
    if args.output is None:
        if not said:
            stdout.write(text)
        return EXIT_OK
    target = args.output / filename if args.output.is_dir() else args.output
    target.write_text(text, encoding="utf-8")
    stdout.write(f"Wrote the decision record of team session {args.session_id} to {target}.\n")
    return EXIT_OK


def _record_list(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    platforms = RECORD_PLATFORMS if args.platform == "all" else (args.platform,)

    async def read() -> list[RecordEntry]:
        services = await _open(settings, args.pack)
        try:
            entries: list[RecordEntry] = []
            for platform in platforms:
                entries += await services.team.records(platform=platform)
            return entries
        finally:
            await services.close()

    entries = asyncio.run(read())
    if args.format == "json":
        rows = [
            {
                "record": f"{e.stem}.md",
                "status": e.status,
                "date": e.decided_on.isoformat(),
                "topic": e.topic,
                "decision": e.chosen,
                "session": e.session_id,
                "platform": e.platform,
                "workspace": e.workspace,
                "channel": e.channel,
                "finished": e.finished,
            }
            for e in entries
        ]
        stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    if not entries:
        stdout.write("No decision records yet. A team session writes one: advisor chat --team a,b,c\n")
        return EXIT_OK
    stdout.write("| Record | Status | Date | Decision | Session | Where |\n|---|---|---|---|---|---|\n")
    for e in entries:
        decision = e.chosen or ("(session open)" if not e.finished else "(undecided)")
        cells = [f"{e.stem}.md", e.status, e.decided_on.isoformat(), decision, e.session_id]
        cells.append(f"{e.platform} {e.workspace}/{e.channel}")
        stdout.write(strip_controls("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |") + "\n")
    return EXIT_OK


_NOT_ERASED = (
    "The deleted rows may stay readable in the database files for a while: on PostgreSQL run"
    " VACUUM on the advisor's tables; on SQLite run the command again when no bot is reading.\n"
)


def _with_store(settings: Settings, action: str, args: argparse.Namespace, out: TextIO) -> int:
    from bot.personal.engine import utc_now
    from bot.privacy import forget_user, purge_idle
    from bot.store import open_store

    async def go() -> int:
        store = await open_store(settings.db_url, create_folder=settings.db_is_default)
        try:
            if action == "forget":
                forgotten = await forget_user(
                    conversations=store,
                    teams=store,
                    platform=args.platform,
                    workspace=args.workspace,
                    user=args.user,
                )
                who = f"{args.platform} user {args.user}"
                said = forgotten.summary(who=who)
                # An operator reads this about someone else: "they", and whose data it was.
                out.write(f"{said}\n" if said.endswith(f"{who}.") else f"{who}: {said}\n")
                erased = forgotten.erased
            else:
                duration: Duration = args.older_than
                purged = await purge_idle(
                    conversations=store, teams=store, older_than=utc_now() - duration.delta
                )
                out.write(
                    f"Purged {purged.conversations} conversation(s) and {purged.teams} team session(s)"
                    f" idle for longer than {duration}.\n"
                )
                erased = purged.erased
            if not erased:
                out.write(_NOT_ERASED)
            return EXIT_OK
        finally:
            await store.close()

    return asyncio.run(go())


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    env: Mapping[str, str] = os.environ if environ is None else environ
    given = list(sys.argv[1:] if argv is None else argv)
    completing = "_ARGCOMPLETE" in env
    parser = _build_parser(None if completing or not given else _subcommand(given[0]))
    _offer_completions(parser, env)
    if not given:
        stdout.write(parser.format_help())
        return EXIT_OK
    if given[:1] == ["slack"] or given[:1] == ["discord"]:
        # argparse.REMAINDER rejects a leading "--flag" (`advisor slack --http`): pass it all on.
        args = argparse.Namespace(command=given[0], rest=given[1:])
    else:
        args = parser.parse_args(given)
    if args.command is None:  # only global flags, e.g. `advisor --verbose` once there are some
        stdout.write(parser.format_help())
        return EXIT_OK
    try:
        return _dispatch(args, stdin=stdin, stdout=stdout, stderr=stderr, environ=env)
    except ModuleNotFoundError as error:
        friendly = missing_extra(error, args.command)
        if friendly is None:
            raise
        stderr.write(f"advisor: {friendly}\n")
        return EXIT_USAGE
    except StoreError as error:
        stderr.write(f"advisor: {strip_controls(str(error))}\n")
        return EXIT_STORE
    except PackError as error:
        stderr.write(f"advisor: {strip_controls(str(error))}\n")
        return EXIT_FAILED
    except AdvisorError as error:  # SettingsError, InputError, MissingExtra, ...: bad usage or input
        stderr.write(f"advisor: {strip_controls(str(error))}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        stderr.write("\nadvisor: interrupted; nothing was lost.\n")
        return EXIT_INTERRUPTED


def _dispatch(
    args: argparse.Namespace, *, stdin: TextIO, stdout: TextIO, stderr: TextIO, environ: Mapping[str, str]
) -> int:
    settings = Settings.from_env(environ)
    command = args.command
    if command == "chat" and args.team:
        return _team_chat(settings, args, stdin, stdout)
    if command == "chat":
        return _chat(settings, args, stdin, stdout, stderr, environ)
    if command == "record":
        return _record(settings, args, stdout)
    if command == "recommend":
        return _recommend(_pack_dir(settings, args.pack), args.answer, fmt=args.format, out=stdout)
    if command == "questions":
        return _questions(_pack_dir(settings, args.pack), fmt=args.format, out=stdout)
    if command == "lint":
        return _lint(
            _pack_dir(settings, args.pack),
            fmt=args.format,
            scenarios=args.scenarios,
            out=stdout,
            robustness=args.robustness,
            verbose=args.verbose,
        )
    if command == "pack" and args.pack_action == "freshness":
        return _freshness(_pack_dir(settings, args.pack), online=args.online, out=stdout)
    if command == "pack":
        from adapters.console.packs import pack_command

        return pack_command(settings, args.pack_action, _pack_dir(settings, args.pack), args, stdout)
    if command == "health":
        from adapters.runtime.probe import probe

        return probe(settings, live=args.live, port=args.port, out=stdout)
    if command == "scenarios":
        return _scenarios(_pack_dir(settings, args.pack), fmt=args.format, out=stdout)
    if command == "graph":
        return _graph(
            _pack_dir(settings, args.pack), fmt=args.format, output=args.output, out=stdout, environ=environ
        )
    if command in ("forget", "purge"):
        return _with_store(settings, command, args, stdout)
    if command == "slack":
        rest = list(args.rest)
        if rest[:1] != ["manifest"] and not {"-h", "--help"} & set(rest):
            require_extra("slack", command="slack")
        from adapters.slack.run import main as slack_main

        return slack_main(rest, settings=settings, stdout=stdout)
    if command == "discord":
        require_extra("discord", command="discord")
        from adapters.discord.run import main as discord_main

        return discord_main(args.rest, settings=settings, stdout=stdout)
    raise AssertionError(f"unhandled command {command}")  # argparse makes this unreachable


def main_entry() -> None:
    """Console-script entry point: exit with main()'s code."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`advisor ... | head`): stop quietly, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)
