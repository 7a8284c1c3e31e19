"""The `advisor` command: the composition root that wires settings, packs, the store and an adapter.

Chat SDKs are imported only by the subcommand that needs them, so `advisor chat` starts fast.
Exit codes: 0 ok, 1 lint or scenario failures, 2 bad usage or input, 3 database unusable,
130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

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


def parse_duration(text: str) -> timedelta:
    """'30d', '12h', '90m', '2w' -> timedelta."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration; use e.g. 30d, 12h, 90m or 2w")
    amount, unit = int(match[1]), match[2]
    return timedelta(
        **{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: amount}
    )


def _build_parser() -> argparse.ArgumentParser:
    from bot import __version__

    parser = argparse.ArgumentParser(
        prog="advisor",
        description="Helps you (or your team) choose a Python web framework, and explains why.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = sub.add_parser(
        "chat",
        help="talk to the advisor in this terminal (resumes where you left)",
        epilog=TEAM_COMMANDS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chat.add_argument("--user", help="whose conversation (default: your OS user name)")
    chat.add_argument("--pack", type=Path, help="a pack folder (default: the shipped python-web pack)")
    chat.add_argument("--team", metavar="A,B,C", help="a team session: these members take turns")
    chat.add_argument("--topic", default="", help="what the team is deciding (with --team)")
    chat.add_argument("--quorum", type=int, default=0, help="votes that close a question by themselves")
    chat.add_argument("--anonymous", action="store_true", help="show vote counts, not who voted")

    record = sub.add_parser(
        "record",
        help="a team session's decision record (MADR): write, accept or list them",
        description="Write a team session's decision record, accept it, or list the records.",
        epilog=RECORD_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    record.add_argument("session_id", metavar="SESSION_ID", nargs="?", help="the team session")
    record.add_argument(
        "--output",
        "-o",
        type=Path,
        help="a file, or a folder for the numbered file (default: standard output)",
    )
    record.add_argument("--format", choices=("markdown", "json"), default="markdown")
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
    record.add_argument("--pack", type=Path)

    rec = sub.add_parser("recommend", help="answer a whole path at once, for scripts")
    rec.add_argument("--answer", "-a", action="append", default=[], metavar="QUESTION=OPTION")
    rec.add_argument("--format", choices=("text", "json"), default="text")
    rec.add_argument("--pack", type=Path)

    lint = sub.add_parser("lint", help="check a knowledge pack")
    lint.add_argument("pack", nargs="?", type=Path)
    lint.add_argument("--format", choices=("text", "json"), default="text")
    lint.add_argument("--scenarios", action="store_true", help="also run the pack's scenario tests")
    lint.add_argument(
        "--robustness",
        action="store_true",
        help="also change each scenario answer in turn and fail on top picks outside `acceptable`"
        " (runs the scenario tests too)",
    )
    lint.add_argument("--verbose", "-v", action="store_true", help="with --robustness, list every flip")

    scen = sub.add_parser("scenarios", help="run a pack's scenario tests")
    scen.add_argument("pack", nargs="?", type=Path)
    scen.add_argument("--format", choices=("text", "json"), default="text")

    pack_cmd = sub.add_parser(
        "pack", help="look after a knowledge pack: freshness, and the versions kept in the database"
    )
    pack_actions = pack_cmd.add_subparsers(dest="pack_action", required=True, metavar="ACTION")
    fresh = pack_actions.add_parser(
        "freshness", help="compare each subject's latest_version with installed packages (or PyPI)"
    )
    fresh.add_argument("pack", nargs="?", type=Path)
    fresh.add_argument("--online", action="store_true", help="ask PyPI's JSON API for the latest releases")

    graph = sub.add_parser("graph", help="draw a pack's question flow")
    graph.add_argument("pack", nargs="?", type=Path)
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")

    forget = sub.add_parser("forget", help="delete everything stored about a user")
    forget.add_argument("--user", required=True)
    forget.add_argument("--platform", default="terminal", help="terminal, slack or discord")
    forget.add_argument("--workspace", help="only this workspace or guild (default: all)")

    purge = sub.add_parser(
        "purge", help="delete conversations and team sessions idle for longer than a duration"
    )
    purge.add_argument("--older-than", required=True, type=parse_duration, metavar="DURATION")

    status = pack_actions.add_parser(
        "status", help="the current version, the kept ones, and the conversations pinned to each"
    )
    status.add_argument("pack", nargs="?", type=Path, help="the pack folder (default: ADVISOR_PACK)")
    status.add_argument("--format", choices=("text", "json"), default="text")
    prune = pack_actions.add_parser(
        "prune", help="drop kept versions no conversation or open team session uses"
    )
    prune.add_argument("pack", nargs="?", type=Path, help="the pack folder (default: ADVISOR_PACK)")

    health = sub.add_parser("health", help="ask a running bot whether it is ready (the container check)")
    health.add_argument("--live", action="store_true", help="only whether it answers (/healthz)")
    health.add_argument("--port", type=int, help="default: ADVISOR_HEALTH_PORT, else PORT")

    for name in ("slack", "discord"):
        platform = sub.add_parser(name, help=f"run or set up the {name.title()} bot", add_help=False)
        platform.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


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
            out.write(f"{finding}\n")
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
            out.write(
                f"{mark} {o.scenario.name}: {o.ranking[0] if o.ranking else '?'} ({len(o.path)} questions)\n"
            )
            for finding in o.findings:
                out.write(f"     {finding}\n")
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


def _graph(folder: Path, *, fmt: str, out: TextIO) -> int:
    from bot.pack.graph import to_dot, to_mermaid
    from bot.pack.loader import load_pack

    pack = load_pack(folder)
    out.write(to_mermaid(pack) if fmt == "mermaid" else to_dot(pack))
    return EXIT_OK


def _recommend(folder: Path, answers: Sequence[str], *, fmt: str, out: TextIO) -> int:
    from adapters.console.recommend import recommend_path

    return recommend_path(folder, answers, fmt=fmt, out=out)


async def _open(settings: Settings, pack: Path | None) -> Services:
    from adapters.services import open_services

    return await open_services(settings, pack_dir=_pack_dir(settings, pack))


def _chat(settings: Settings, args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from adapters.console.personal import run_console
    from bot.personal.conversation import Actor

    with asyncio.Runner() as runner:
        services = runner.run(_open(settings, args.pack))
        try:
            actor = Actor("terminal", "local", args.user or getpass.getuser())
            return run_console(engine=services.engine, actor=actor, runner=runner, stdin=stdin, stdout=stdout)
        except KeyboardInterrupt:
            stdout.write("\nInterrupted. Your answers are saved: run `advisor chat` to carry on.\n")
            return EXIT_INTERRUPTED
        finally:
            runner.run(services.close())


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
        stdout.write("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n")
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
        store = await open_store(settings.db_url)
        try:
            if action == "forget":
                forgotten = await forget_user(
                    conversations=store,
                    teams=store,
                    platform=args.platform,
                    workspace=args.workspace,
                    user=args.user,
                )
                out.write(f"{args.platform} user {args.user}: {forgotten.summary()}\n")
                erased = forgotten.erased
            else:
                purged = await purge_idle(
                    conversations=store, teams=store, older_than=utc_now() - args.older_than
                )
                out.write(
                    f"Purged {purged.conversations} conversation(s) and {purged.teams} team session(s)"
                    f" idle for longer than {args.older_than}.\n"
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
    environ: dict[str, str] | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["slack"] or given[:1] == ["discord"]:
        # argparse.REMAINDER rejects a leading "--flag" (`advisor slack --http`): pass it all on.
        args = argparse.Namespace(command=given[0], rest=given[1:])
    else:
        args = _build_parser().parse_args(given)
    try:
        settings = Settings.from_env(environ)
        if args.command == "chat" and args.team:
            return _team_chat(settings, args, stdin, stdout)
        if args.command == "chat":
            return _chat(settings, args, stdin, stdout)
        if args.command == "record":
            return _record(settings, args, stdout)
        if args.command == "recommend":
            return _recommend(_pack_dir(settings, args.pack), args.answer, fmt=args.format, out=stdout)
        if args.command == "lint":
            return _lint(
                _pack_dir(settings, args.pack),
                fmt=args.format,
                scenarios=args.scenarios,
                out=stdout,
                robustness=args.robustness,
                verbose=args.verbose,
            )
        if args.command == "pack" and args.pack_action == "freshness":
            return _freshness(_pack_dir(settings, args.pack), online=args.online, out=stdout)
        if args.command == "scenarios":
            return _scenarios(_pack_dir(settings, args.pack), fmt=args.format, out=stdout)
        if args.command == "graph":
            return _graph(_pack_dir(settings, args.pack), fmt=args.format, out=stdout)
        if args.command in ("forget", "purge"):
            return _with_store(settings, args.command, args, stdout)
        if args.command == "pack":
            from adapters.console.packs import pack_command

            return pack_command(settings, args.pack_action, _pack_dir(settings, args.pack), args, stdout)
        if args.command == "health":
            from adapters.runtime.probe import probe

            return probe(settings, live=args.live, port=args.port, out=stdout)
        if args.command == "slack":
            from adapters.slack.run import main as slack_main

            return slack_main(args.rest, settings=settings, stdout=stdout)
        if args.command == "discord":
            from adapters.discord.run import main as discord_main

            return discord_main(args.rest, settings=settings, stdout=stdout)
    except StoreError as error:
        stderr.write(f"advisor: {error}\n")
        return EXIT_STORE
    except PackError as error:
        stderr.write(f"advisor: {error}\n")
        return EXIT_FAILED
    except SettingsError as error:
        stderr.write(f"advisor: {error}\n")
        return EXIT_USAGE
    except AdvisorError as error:
        stderr.write(f"advisor: {error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        stderr.write("\nadvisor: interrupted; nothing was lost.\n")
        return EXIT_INTERRUPTED
    raise AssertionError(f"unhandled command {args.command}")  # argparse makes this unreachable


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
