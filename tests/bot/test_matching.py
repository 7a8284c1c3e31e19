"""Typed answers: number, id, label or synonym, case-insensitively, with did-you-mean for near misses."""

from __future__ import annotations

import pytest

from bot.errors import UnknownAnswer
from bot.matching import resolve_answer
from bot.pack.loader import load_pack
from tests.conftest import TINY

KIND = load_pack(TINY).questions["kind"]


@pytest.mark.parametrize(
    ("typed", "option"),
    [
        ("1", "pages"),
        ("2.", "api"),
        ("pages", "pages"),
        ("JSON API", "api"),
        ("json api", "api"),
        ("  Rest ", "api"),
        ("HTML", "pages"),
        ("not sure", "unsure"),
        ("not-sure", "unsure"),
        ("web", "pages"),
    ],
)
def test_resolves(typed: str, option: str) -> None:
    assert resolve_answer(KIND, typed).id == option


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("jsn api", "JSON API"),
        ("jsonapi", "JSON API"),
        ("web pges", "Web pages"),
        ("kubernetes", None),
        ("4", None),
        ("0", None),
        ("-1", None),
        ("-2", None),
        ("+1", None),
        ("\u22121", None),
        ("not json", None),
        ("no idea", None),
        ("html or json api", None),
    ],
)
def test_unknown_answers_list_the_choices(typed: str, suggestion: str | None) -> None:
    with pytest.raises(UnknownAnswer) as caught:
        resolve_answer(KIND, typed)
    assert caught.value.suggestion == suggestion
    assert "1. Web pages, 2. JSON API, 3. Not sure" in str(caught.value)
    if suggestion:
        assert f"Did you mean '{suggestion}'?" in str(caught.value)


@pytest.mark.parametrize(
    ("typed", "option"),
    [
        ("mostly html pages", "pages"),
        ("a REST API for our app", "api"),
        ("Rest, mostly.", "api"),
        ("I'm not sure", "unsure"),
        ("sites", "pages"),
        ("json api please", "api"),
    ],
)
def test_a_phrase_that_names_one_option_resolves(typed: str, option: str) -> None:
    assert resolve_answer(KIND, typed).id == option


def test_a_negative_number_is_never_read_as_an_option() -> None:
    """'-1' once became option 1 because '-' was normalised to a space."""
    with pytest.raises(UnknownAnswer) as caught:
        resolve_answer(KIND, "-1")
    assert str(caught.value).startswith("'-1' is not one of the options.")


@pytest.mark.parametrize("typed", ["9" * 5000, "²", "¹", "0" * 7 + "1"])
def test_numbers_no_option_has_are_refused_not_crashed_on(typed: str) -> None:
    question = load_pack(TINY).questions["kind"]
    with pytest.raises(UnknownAnswer):
        resolve_answer(question, typed)
