"""`team [--anonymous] [--quorum N] [topic]` as typed after a chat command."""

from __future__ import annotations

import pytest

from adapters.typed import BadTeamOptions, TeamOptions, parse_team_options


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", TeamOptions("")),
        ("Orders API", TeamOptions("Orders API")),
        (" --anonymous Orders API ", TeamOptions("Orders API", anonymous=True)),
        ("Orders --quorum 3 API", TeamOptions("Orders API", quorum=3)),
        ("--quorum=4 --anon Billing", TeamOptions("Billing", anonymous=True, quorum=4)),
    ],
)
def test_parses(text: str, expected: TeamOptions) -> None:
    assert parse_team_options(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("--quorum", "not ''"),
        ("--quorum 1 x", "from 2"),
        ("--quorum many", "'many'"),
        ("--secret x", "--secret"),
        ("--quorum " + "9" * 5000, "not '999999999"),  # int() of 5,000 digits would raise
        ("--quorum ٣", "from 2"),  # an Arabic-Indic 3 is a digit to str.isdigit
        ("x" * 201, "the topic is 201 characters; keep it to 200"),
        ("--\x1b[2J" + "y" * 100, "is not an option"),
    ],
)
def test_bad_flags_say_what_to_type(text: str, problem: str) -> None:
    with pytest.raises(BadTeamOptions) as caught:
        parse_team_options(text)
    assert problem in str(caught.value)
    assert "Use: team [--anonymous] [--quorum N] [topic]" in str(caught.value)


def test_an_echoed_flag_is_short_and_inert() -> None:
    with pytest.raises(BadTeamOptions) as caught:
        parse_team_options("--\x1b]0;pwned\x07" + "z" * 500)
    assert "\x1b" not in str(caught.value)
    assert "\x07" not in str(caught.value)
    assert "z" * 50 not in str(caught.value)
