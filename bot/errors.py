"""Every exception a user, a pack author or an operator can cause.

``str(error)`` is what the user sees, and it ends with what to do about it::

    AdvisorError
    ├── PackError               a pack file is wrong (file:line:col, key, fix)
    ├── LintFailed              a pack loaded but has lint errors
    ├── UnknownAnswer           typed text matches no option (choices, did-you-mean)
    ├── StaleAnswer             a click on a step that is no longer current
    ├── NotYourConversation     a click on someone else's conversation
    ├── NoConversation          nothing to act on yet
    ├── ConversationFinished    an answer after the result
    ├── NothingToUndo           back at the first question
    ├── PackUnavailable         the conversation's pack version is gone
    ├── StoreUnavailable        the database is locked, read-only, corrupt or unknown
    ├── SettingsError           an environment variable is missing or malformed
    ├── NoTeamSession           no team session here, or none with that id
    ├── VoteClosed              a vote (or Next) for a team question that has closed
    ├── MemberLeft              a vote from someone who left the session's channel
    ├── TeamSessionFinished     a vote after the team's result
    ├── NotAllowedToAdvance     Next from someone who neither started it nor manages the channel
    ├── NoVotesYet              Next before anyone voted
    └── StoreSignal             signals the engine handles; never shown to a user
        ├── ConversationExists
        └── VersionConflict
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class AdvisorError(Exception):
    """Base for every error a user or pack author can cause; str(error) is shown to them."""


class PackError(AdvisorError):
    """A pack file is wrong: the author fixes the file, not the code."""

    def __init__(self, path: Path | str, line: int, column: int, key: str, fix: str) -> None:
        self.path, self.line, self.column, self.key, self.fix = Path(path), line, column, key, fix
        super().__init__(f"{path}:{line}:{column}: {key}: {fix}")


class LintFailed(AdvisorError):
    """The pack parsed but lint found errors; the first few are in the message."""

    def __init__(self, pack_path: Path, messages: Sequence[str]) -> None:
        self.pack_path, self.messages = pack_path, tuple(messages)
        shown = "\n".join(self.messages[:5])
        more = f"\n... and {len(self.messages) - 5} more" if len(self.messages) > 5 else ""
        super().__init__(f"{shown}{more}\nFix these in {pack_path} (run `advisor lint {pack_path}` for all).")


class UnknownAnswer(AdvisorError):
    """Typed text matched no option of the current question."""

    def __init__(self, text: str, choices: Sequence[str], suggestion: str | None) -> None:
        self.text, self.choices, self.suggestion = text, tuple(choices), suggestion
        listed = ", ".join(f"{i}. {c}" for i, c in enumerate(self.choices, 1))
        if suggestion is not None:
            message = f"'{text}' is not one of the options. Did you mean '{suggestion}'?"
        else:
            message = f"'{text}' is not one of the options."
        super().__init__(f"{message} Answer with a number or a label: {listed}.")


class StaleAnswer(AdvisorError):
    """The click belongs to a step that has already been answered or undone."""

    def __init__(self, *, step: int, current_step: int) -> None:
        self.step, self.current_step = step, current_step
        super().__init__(
            "That question was already answered, so this click changed nothing. "
            "Use the newest message to carry on."
        )


class NotYourConversation(AdvisorError):
    """Someone clicked a button of a conversation they do not own."""

    def __init__(self, *, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        super().__init__(
            "This advisor conversation belongs to someone else, so your click changed nothing. "
            "Start your own with /choose-framework."
        )


class NoConversation(AdvisorError):
    """The user asked for status, back or a result before starting."""

    def __init__(self) -> None:
        super().__init__("You have no advisor conversation yet. Start one with `start`.")


class ConversationFinished(AdvisorError):
    """An answer arrived after the recommendation was given."""

    def __init__(self) -> None:
        super().__init__(
            "This conversation already has its recommendation. "
            "Use `back` to change the last answer or `restart` to begin again."
        )


class PackUnavailable(AdvisorError):
    """The pack version a conversation started on is no longer loaded."""

    def __init__(self, *, pack_id: str, version: str) -> None:
        self.pack_id, self.version = pack_id, version
        super().__init__(
            f"The '{pack_id}' advisor was updated since you started (version {version[:8]} is gone), "
            "so your answers can't be finished on it. Use `restart` to begin again on the new version."
        )


class StoreUnavailable(AdvisorError):
    """The database can't be used: the cause and the path say what to fix."""

    def __init__(self, *, location: str, cause: str, fix: str) -> None:
        self.location, self.cause, self.fix = location, cause, fix
        super().__init__(f"Cannot use the database at {location}: {cause}. {fix}")


class SettingsError(AdvisorError):
    """An environment variable or option is missing or malformed."""

    def __init__(self, *, name: str, expected: str, got: str | None = None) -> None:
        self.name, self.expected, self.got = name, expected, got
        shown = "is not set" if got is None else f"is {got!r}"
        super().__init__(f"{name} {shown}; expected {expected}.")


class StoreSignal(AdvisorError):
    """A store outcome the engine handles itself."""


class ConversationExists(StoreSignal):
    """Two first clicks raced to create the same conversation; the loser reloads."""

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        super().__init__(f"conversation {conversation_id} exists already")


class VersionConflict(StoreSignal):
    """The conversation changed since it was read; the engine reloads and re-checks."""

    def __init__(self, conversation_id: str, expected_version: int) -> None:
        self.conversation_id, self.expected_version = conversation_id, expected_version
        super().__init__(f"conversation {conversation_id} is no longer at version {expected_version}")


class NothingToUndo(AdvisorError):
    """`back` at the first question."""

    def __init__(self) -> None:
        super().__init__("You are at the first question, so there is nothing to go back to.")


class NoTeamSession(AdvisorError):
    """A team command or click names a session that is not (or no longer) stored."""

    def __init__(self, session_id: str = "") -> None:
        self.session_id = session_id
        named = f" '{session_id}'" if session_id else " here"
        super().__init__(
            f"There is no team session{named}. Start one with `/choose-framework team` "
            "(or `advisor chat --team a,b,c` in a terminal)."
        )


class VoteClosed(AdvisorError):
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


class MemberLeft(AdvisorError):
    """A vote from someone the platform reported as gone from the session's channel."""

    def __init__(self, *, member: str) -> None:
        self.member = member
        super().__init__(
            "You left this channel, so your vote was not counted and nothing changed. "
            "Rejoin the channel to vote."
        )


class TeamSessionFinished(AdvisorError):
    """A vote arrived after the team's result was given."""

    def __init__(self) -> None:
        super().__init__(
            "This team session has finished and its result is final, so your vote changed nothing. "
            "Start a new one with `/choose-framework team`."
        )


class NotAllowedToAdvance(AdvisorError):
    """Next from someone who did not start the session and cannot manage the channel."""

    def __init__(self, *, member: str, starter: str) -> None:
        self.member, self.starter = member, starter
        super().__init__(
            f"Only {starter}, who started this session, or someone who can manage this channel "
            "can move to the next question. Your vote still counts."
        )


class NoVotesYet(AdvisorError):
    """Next before anyone voted: there is no majority to follow."""

    def __init__(self) -> None:
        super().__init__(
            "Nobody has voted on this question yet, so there is no majority to follow. "
            "Vote first, then press Next."
        )
