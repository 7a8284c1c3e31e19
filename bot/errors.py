"""Every exception a user, a pack author or an operator can cause, grouped by what the catcher does.

``str(error)`` is what the user sees, and it ends with what to do about it. Adapters catch
`AdvisorError` at the edge and show it; anything else is a bug and is logged with its
traceback. The groups let a caller handle a whole kind at once, as httpx's `_exceptions.py`
does (a CLI maps `PackError` to exit 1 and `StoreError` to exit 3, an adapter may answer any
`ClickRefused` without logging)::

    AdvisorError
    ├── ClickRefused              a click or typed answer that changed nothing, and why
    │   ├── StaleAnswer               the step was already answered or undone
    │   ├── NotYourConversation       someone else's conversation
    │   ├── ConversationFinished      an answer after the result
    │   ├── NothingToUndo             back at the first question
    │   ├── VoteClosed                a vote (or Next) for a team question that has closed
    │   ├── TeamSessionFinished       a vote after the team's result
    │   ├── MemberLeft                a vote from someone who left the session's channel
    │   ├── NotAllowedToAdvance       Next from someone who may not close the question
    │   ├── NoVotesYet                Next before anyone voted
    │   ├── NotAllowedToDecide        a tie decision from someone who is not the starter or a manager
    │   ├── NoTieToDecide             a tie decision when one option leads
    │   ├── NotATiedOption            a tie decision for an option that is not among the tied ones
    │   ├── NotAllowedToAccept        Accept from someone who is not the starter or a manager
    │   ├── RecordNotReady            Accept before the team reached its result
    │   └── ChoiceNeeded              Accept of a tied result without choosing between the tied
    ├── InputError                typed or sent input the advisor can't read
    │   └── UnknownAnswer             typed text matches no option (choices, did-you-mean)
    ├── NotFound                  nothing to act on
    │   ├── NoConversation
    │   └── NoTeamSession
    ├── PackError                 a knowledge pack can't be used as it is
    │   ├── PackFileError             a pack file is wrong (file:line:col, key, fix)
    │   ├── LintFailed                a pack loaded but has lint errors
    │   ├── PackNotLoaded             no pack with that id is loaded
    │   ├── PackUnavailable           the conversation's pack version is gone
    │   └── AnswersDoNotFit           stored answers no longer fit the pack version
    ├── StoreError                the database can't do what was asked
    │   ├── StoreUnavailable          locked, read-only, corrupt, unreachable
    │   └── RetriesExhausted          too many concurrent changes in a row
    └── SettingsError             an environment variable or option is missing or malformed

    StoreSignal                   internal: the engines handle these, they never reach a user
    ├── ConversationExists
    ├── TeamSessionExists
    └── VersionConflict

Adapters add their own leaves under these groups (a malformed button is an `InputError`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

ECHO_LIMIT = 40
"""Characters of someone's own typed text shown back to them in an error message."""
_SEQUENCE = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-?]*[ -/]*[@-~]?|\x9b[0-?]*[ -/]*[@-~]?")
"""Terminal escape sequences (CSI, OSC) as a whole, so no `[2J` is left behind in a quote."""


def _is_control(char: str) -> bool:
    """C0 and C1 controls (newline and tab become spaces later) and bidirectional overrides."""
    if char in "\n\t":
        return False
    return unicodedata.category(char) == "Cc" or "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069"


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """Typed text as an error quotes it: control characters dropped, cut to `limit` with "…".

    A 10,000-character answer or one holding terminal escapes is quoted short and inert on
    every platform; each adapter still escapes the whole message for its medium.
    """
    text = _SEQUENCE.sub("", text)
    kept = " ".join("".join(c for c in text if not _is_control(c)).split())
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"


class AdvisorError(Exception):
    """Base for every error a user or pack author can cause; str(error) is shown to them."""


# --- clicks that changed nothing ----------------------------------------------------------


class ClickRefused(AdvisorError):
    """A click or answer was refused and nothing changed; the message says why and what to do."""


class StaleAnswer(ClickRefused):
    """The click belongs to a step that has already been answered or undone."""

    def __init__(self, *, step: int, current_step: int) -> None:
        self.step, self.current_step = step, current_step
        super().__init__(
            "That question was already answered, so this click changed nothing. "
            "Use the newest message to carry on."
        )


class NotYourConversation(ClickRefused):
    """Someone clicked a button of a conversation they do not own."""

    def __init__(self, *, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        super().__init__(
            "This advisor conversation belongs to someone else, so your click changed nothing. "
            "Start your own with /choose-framework."
        )


class ConversationFinished(ClickRefused):
    """An answer arrived after the recommendation was given."""

    def __init__(self) -> None:
        super().__init__(
            "This conversation already has its recommendation. "
            "Use `back` to change the last answer or `restart` to begin again."
        )


class NothingToUndo(ClickRefused):
    """`back` at the first question."""

    def __init__(self) -> None:
        super().__init__("You are at the first question, so there is nothing to go back to.")


class VoteClosed(ClickRefused):
    """A vote or a Next click for a team question that has already closed."""

    def __init__(self, *, step: int, current_step: int, closed_prompt: str = "", chosen: str = "") -> None:
        self.step, self.current_step = step, current_step
        self.closed_prompt, self.chosen = closed_prompt, chosen
        which = f' "{closed_prompt}"' if closed_prompt else ""
        decided = f" (the team chose {chosen})" if chosen else ""
        super().__init__(
            f"Voting on{which} has closed{decided}, so your click changed nothing. "
            "Vote on the newest question."
        )


class TeamSessionFinished(ClickRefused):
    """A vote arrived after the team's result was given."""

    def __init__(self) -> None:
        super().__init__(
            "This team session has finished and its result is final, so your vote changed nothing. "
            "Start a new one with `/choose-framework team`."
        )


class MemberLeft(ClickRefused):
    """A vote from someone the platform reported as gone from the session's channel."""

    def __init__(self, *, member: str) -> None:
        self.member = member
        super().__init__(
            "You left this channel, so your vote was not counted and nothing changed. "
            "Rejoin the channel to vote."
        )


class NotAllowedToAdvance(ClickRefused):
    """Next from someone who did not start the session and cannot manage the channel."""

    def __init__(self, *, member: str, starter: str) -> None:
        self.member, self.starter = member, starter
        super().__init__(
            f"Only {starter}, who started this session, or someone who can manage this channel "
            "can move to the next question. Your vote still counts."
        )


class NoVotesYet(ClickRefused):
    """Next before anyone voted: there is no majority to follow."""

    def __init__(self) -> None:
        super().__init__(
            "Nobody has voted on this question yet, so there is no majority to follow. "
            "Vote first, then press Next."
        )


class NotAllowedToDecide(ClickRefused):
    """A tie decision from someone who did not start the session and cannot manage the channel."""

    def __init__(self, *, member: str, starter: str) -> None:
        self.member, self.starter = member, starter
        super().__init__(
            f"Only {starter}, who started this session, or someone who can manage this channel "
            "can decide a tie. Talk it over: anyone may still change their vote until then."
        )


class NoTieToDecide(ClickRefused):
    """A tie decision for a question whose votes have a clear leader."""

    def __init__(self, *, leader: str) -> None:
        self.leader = leader
        led = f"{leader} has the most votes" if leader else "nobody has voted yet"
        super().__init__(
            f"There is no tie to decide on this question: {led}, so nothing changed. "
            "Press Next to close it on the votes."
        )


class NotATiedOption(ClickRefused):
    """A tie decision for an option that is not one of the tied ones."""

    def __init__(self, *, chosen: str, tied: Sequence[str]) -> None:
        self.chosen, self.tied = chosen, tuple(tied)
        super().__init__(
            f"{chosen} is not one of the tied options, so nothing changed. Choose one of: {', '.join(tied)}."
        )


class NotAllowedToAccept(ClickRefused):
    """Accept from someone who did not start the session and cannot manage the channel."""

    def __init__(self, *, member: str, starter: str) -> None:
        self.member, self.starter = member, starter
        super().__init__(
            f"Only {starter}, who started this session, or someone who can manage this channel "
            "can accept its decision record. It stays proposed until then."
        )


class RecordNotReady(ClickRefused):
    """Accept for a session that has not reached its result."""

    def __init__(self) -> None:
        super().__init__(
            "This team session is still open, so its decision cannot be accepted yet. "
            "Answer the remaining questions first."
        )


class ChoiceNeeded(ClickRefused):
    """Accept of a result whose top options are tied, or of an option that is not on top."""

    def __init__(self, *, tied: Sequence[str], given: str = "") -> None:
        self.tied, self.given = tuple(tied), given
        if len(self.tied) == 1:
            message = (
                f"{self.tied[0]} is the team's pick and {given} is not, so nothing changed. "
                "Accept the record without choosing an option."
            )
        else:
            named = ", ".join(self.tied[:-1]) + " and " + self.tied[-1]
            problem = f"{given} is not one of them" if given else "accepting needs a choice between them"
            message = (
                f"{named} are tied at the top and {problem}, so nothing changed. Accept one of them "
                "by name (in a terminal: `advisor record SESSION --accept --choose ID`)."
            )
        super().__init__(message)


# --- input the advisor can't read ---------------------------------------------------------


class InputError(AdvisorError):
    """Typed text or a payload that does not say anything the advisor can act on."""


class UnknownAnswer(InputError):
    """Typed text matched no option of the current question."""

    def __init__(self, text: str, choices: Sequence[str], suggestion: str | None) -> None:
        self.text, self.choices, self.suggestion = text, tuple(choices), suggestion
        listed = ", ".join(f"{i}. {c}" for i, c in enumerate(self.choices, 1))
        shown = echo(text)
        if suggestion is not None:
            message = f"'{shown}' is not one of the options. Did you mean '{suggestion}'?"
        else:
            message = f"'{shown}' is not one of the options."
        super().__init__(f"{message} Answer with a number or a label: {listed}.")


# --- nothing to act on --------------------------------------------------------------------


class NotFound(AdvisorError):
    """The conversation or session a command names does not exist (yet, or any more)."""


class NoConversation(NotFound):
    """The user asked for status, back or a result before starting."""

    def __init__(self) -> None:
        super().__init__("You have no advisor conversation yet. Start one with `start`.")


class NoTeamSession(NotFound):
    """A team command or click names a session that is not (or no longer) stored."""

    def __init__(self, session_id: str = "") -> None:
        self.session_id = session_id
        named = f" '{session_id}'" if session_id else " here"
        super().__init__(
            f"There is no team session{named}. Start one with `/choose-framework team` "
            "(or `advisor chat --team a,b,c` in a terminal)."
        )


# --- knowledge packs ----------------------------------------------------------------------


class PackError(AdvisorError):
    """A knowledge pack can't be used as it is: the author fixes the files, not the code."""


class PackFileError(PackError):
    """A pack file is wrong at one place."""

    def __init__(self, path: Path | str, line: int, column: int, key: str, fix: str) -> None:
        self.path, self.line, self.column, self.key, self.fix = Path(path), line, column, key, fix
        super().__init__(f"{path}:{line}:{column}: {key}: {fix}")


class LintFailed(PackError):
    """The pack parsed but lint found errors; the first few are in the message."""

    def __init__(self, pack_path: Path, messages: Sequence[str]) -> None:
        self.pack_path, self.messages = pack_path, tuple(messages)
        shown = "\n".join(self.messages[:5])
        more = f"\n... and {len(self.messages) - 5} more" if len(self.messages) > 5 else ""
        super().__init__(f"{shown}{more}\nFix these in {pack_path} (run `advisor lint {pack_path}` for all).")


class PackNotLoaded(PackError):
    """A pack id was asked for that this process never loaded."""

    def __init__(self, *, pack_id: str, loaded: Sequence[str]) -> None:
        self.pack_id, self.loaded = pack_id, tuple(loaded)
        known = ", ".join(self.loaded) or "none"
        super().__init__(
            f"No advisor pack '{pack_id}' is loaded (loaded: {known}). "
            "Set ADVISOR_PACK to one of them, or add the pack to ADVISOR_KNOWLEDGE."
        )


class PackUnavailable(PackError):
    """The pack version a conversation started on is no longer loaded."""

    def __init__(self, *, pack_id: str, version: str) -> None:
        self.pack_id, self.version = pack_id, version
        super().__init__(
            f"The '{pack_id}' advisor was updated since you started (version {version[:8]} is gone), "
            "so your answers can't be finished on it. Use `restart` to begin again on the new version."
        )


class AnswersDoNotFit(PackError):
    """Stored answers name a question or option that this pack version does not have there."""

    def __init__(self, *, pack_id: str, version: str, question_id: str, option_id: str = "") -> None:
        self.pack_id, self.version = pack_id, version
        self.question_id, self.option_id = question_id, option_id
        where = f"{question_id}={option_id}" if option_id else question_id
        super().__init__(
            f"Your answers ({where}) no longer fit the '{pack_id}' advisor (version {version[:8]}). "
            "Use `restart` to begin again on the current version."
        )


# --- storage ------------------------------------------------------------------------------


class StoreError(AdvisorError):
    """The database could not do what was asked; nothing was saved.

    `str(error)` is for whoever runs the advisor (it names the file and the fix); a chat user
    can do nothing about a locked file, so chat adapters show `chat_text` instead.
    """

    chat_text = "The advisor's database is busy or unavailable, so nothing was saved. Try again in a moment."


class StoreUnavailable(StoreError):
    """The database can't be used: the cause and the path say what to fix."""

    def __init__(self, *, location: str, cause: str, fix: str) -> None:
        self.location, self.cause, self.fix = location, cause, fix
        super().__init__(f"Cannot use the database at {location}: {cause}. {fix}")


class RetriesExhausted(StoreError):
    """Other changes kept landing between our read and our save, more times than is plausible."""

    def __init__(self, *, what: str, attempts: int) -> None:
        self.what, self.attempts = what, attempts
        super().__init__(
            f"{attempts} other changes landed on {what} while yours was being saved, so yours was not. "
            "Nothing was lost; try again."
        )


# --- settings -----------------------------------------------------------------------------


class SettingsError(AdvisorError):
    """An environment variable or option is missing or malformed."""

    def __init__(self, *, name: str, expected: str, got: str | None = None) -> None:
        self.name, self.expected, self.got = name, expected, got
        shown = "is not set" if got is None else f"is {got!r}"
        super().__init__(f"{name} {shown}; expected {expected}.")


# --- internal signals ---------------------------------------------------------------------


class StoreSignal(Exception):
    """A store outcome the engines handle themselves; never shown to a user."""


class ConversationExists(StoreSignal):
    """Two first clicks raced to create the same conversation; the loser reloads."""

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        super().__init__(f"conversation {conversation_id} exists already")


class TeamSessionExists(StoreSignal):
    """A team session is already open at the same key; the loser shows that one."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        super().__init__(f"a team session is already open where {session_id} was to start")


class VersionConflict(StoreSignal):
    """The row changed since it was read; the engine reloads and re-checks."""

    def __init__(self, row_id: str, expected_version: int) -> None:
        self.row_id, self.expected_version = row_id, expected_version
        super().__init__(f"{row_id} is no longer at version {expected_version}")
