"""The engine as adapters use it: one click = one load, one walk, one conditional save."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.errors import (
    ConversationFinished,
    NoConversation,
    NothingToUndo,
    NotYourConversation,
    PackUnavailable,
    StaleAnswer,
    UnknownAnswer,
)
from bot.pack.registry import PackRegistry
from bot.personal.conversation import Actor
from bot.personal.engine import Engine
from bot.personal.replies import (
    Notice,
    Offer,
    QuestionReply,
    RankingReply,
    ResultReply,
    StatusReply,
    WhyReply,
)
from bot.store.sqlite import SqliteStore
from tests.conftest import Clock


async def test_whole_flow_by_clicks_reaches_a_ranked_result(engine: Engine, alice: Actor) -> None:
    first = await engine.start(alice)
    assert isinstance(first, QuestionReply)
    assert first.question_id == "kind"
    second = await engine.answer(
        alice, conversation_id=first.conversation_id, step=first.step, option_id="pages"
    )
    assert isinstance(second, QuestionReply)
    assert second.question_id == "admin"
    assert second.step == first.step + 1
    done = await engine.answer(
        alice, conversation_id=second.conversation_id, step=second.step, option_id="need"
    )
    assert isinstance(done, ResultReply)
    rec = done.recommendation
    assert rec.top.subject_id == "alpha"
    assert [r.text for r in rec.top.reasons_for] == ["Alpha renders pages.", "Alpha ships an admin."]
    assert rec.runner_up is not None
    assert {c.name for c in rec.companions} == {"AlphaAdmin"}
    assert {s.id for s in rec.sources} >= {"s1"}


async def test_start_again_resumes_the_same_question(engine: Engine, alice: Actor) -> None:
    first = await engine.start(alice)
    assert isinstance(first, QuestionReply)
    await engine.answer(alice, conversation_id=first.conversation_id, step=first.step, option_id="api")
    again = await engine.start(alice)
    assert isinstance(again, QuestionReply)
    assert again.question_id == "size"
    assert again.conversation_id == first.conversation_id


async def test_typed_answers_by_number_label_and_synonym(engine: Engine, alice: Actor) -> None:
    await engine.start(alice)
    reply = await engine.answer_text(alice, "REST")
    assert isinstance(reply, QuestionReply)
    assert reply.question_id == "size"
    await engine.back(alice)
    reply = await engine.answer_text(alice, "1")
    assert isinstance(reply, QuestionReply)
    assert reply.question_id == "admin"


async def test_unknown_typed_answer_changes_nothing_and_lists_choices(engine: Engine, alice: Actor) -> None:
    await engine.start(alice)
    with pytest.raises(UnknownAnswer) as caught:
        await engine.answer_text(alice, "jsn api")
    assert caught.value.suggestion == "JSON API"
    assert "1. Web pages" in str(caught.value)
    status = await engine.status(alice)
    assert isinstance(status, StatusReply)
    assert status.answered == ()


async def test_stale_click_changes_nothing(engine: Engine, alice: Actor) -> None:
    first = await engine.start(alice)
    assert isinstance(first, QuestionReply)
    await engine.answer(alice, conversation_id=first.conversation_id, step=first.step, option_id="pages")
    with pytest.raises(StaleAnswer, match="already answered"):
        await engine.answer(alice, conversation_id=first.conversation_id, step=first.step, option_id="api")
    status = await engine.status(alice)
    assert isinstance(status, StatusReply)
    assert [a.answer for a in status.answered] == ["Web pages"]


async def test_someone_elses_click_changes_nothing(engine: Engine, alice: Actor, bob: Actor) -> None:
    first = await engine.start(alice)
    assert isinstance(first, QuestionReply)
    with pytest.raises(NotYourConversation, match="belongs to someone else"):
        await engine.answer(bob, conversation_id=first.conversation_id, step=first.step, option_id="api")
    again = await engine.answer(
        alice, conversation_id=first.conversation_id, step=first.step, option_id="api"
    )
    assert isinstance(again, QuestionReply)


async def test_fifty_concurrent_clicks_apply_exactly_once(engine: Engine, alice: Actor) -> None:
    first = await engine.start(alice)
    assert isinstance(first, QuestionReply)
    outcomes = await asyncio.gather(
        *(
            engine.answer(alice, conversation_id=first.conversation_id, step=first.step, option_id="pages")
            for _ in range(50)
        ),
        return_exceptions=True,
    )
    applied = [o for o in outcomes if isinstance(o, QuestionReply)]
    stale = [o for o in outcomes if isinstance(o, StaleAnswer)]
    assert len(applied) == 1
    assert len(stale) == 49
    status = await engine.status(alice)
    assert isinstance(status, StatusReply)
    assert len(status.answered) == 1


async def test_back_reranks_and_keeps_old_buttons_stale(engine: Engine, alice: Actor) -> None:
    first = await engine.start(alice)
    assert isinstance(first, QuestionReply)
    second = await engine.answer(
        alice, conversation_id=first.conversation_id, step=first.step, option_id="api"
    )
    assert isinstance(second, QuestionReply)
    back = await engine.back(alice, conversation_id=second.conversation_id, step=second.step)
    assert isinstance(back, QuestionReply)
    assert back.question_id == "kind"
    assert back.step == second.step + 1
    result = await engine.result(alice)
    assert isinstance(result, ResultReply)
    assert all(s.points == 0 for s in result.recommendation.ranking)
    with pytest.raises(StaleAnswer):
        await engine.answer(alice, conversation_id=first.conversation_id, step=first.step, option_id="pages")
    with pytest.raises(NothingToUndo):
        await engine.back(alice)


async def test_answer_after_result_is_refused(engine: Engine, alice: Actor) -> None:
    await engine.start(alice)
    await engine.answer_text(alice, "pages")
    await engine.answer_text(alice, "need")
    with pytest.raises(ConversationFinished):
        await engine.answer_text(alice, "1")


async def test_nothing_to_act_on_before_start(engine: Engine, alice: Actor) -> None:
    with pytest.raises(NoConversation):
        await engine.status(alice)


async def test_why_explains_the_current_question_with_sources(engine: Engine, alice: Actor) -> None:
    await engine.start(alice)
    why = await engine.why(alice)
    assert isinstance(why, WhyReply)
    assert why.why == "Pages and APIs favour different tools."
    assert {s.id for s in why.sources} == {"s1", "s2"}


async def test_unsure_answer_says_what_would_help(engine: Engine, alice: Actor) -> None:
    await engine.start(alice)
    reply = await engine.answer_text(alice, "not sure")
    assert isinstance(reply, QuestionReply)
    assert "browser or a program" in reply.notice


async def test_idle_conversation_offers_resume_even_after_restart(
    db_path: Path, registry: PackRegistry, clock: Clock, alice: Actor
) -> None:
    store = await SqliteStore.open(db_path)
    engine = Engine(store=store, registry=registry, advisor="tiny", clock=clock)
    first = await engine.start(alice)
    assert isinstance(first, QuestionReply)
    await engine.answer_text(alice, "api")
    await store.close()

    clock.advance(timedelta(hours=25))
    store = await SqliteStore.open(db_path)
    engine = Engine(store=store, registry=registry, advisor="tiny", clock=clock)
    offer = await engine.start(alice)
    assert isinstance(offer, Notice)
    assert offer.offers == (Offer.RESUME, Offer.RESTART)
    click = await engine.answer(
        alice, conversation_id=first.conversation_id, step=first.step + 1, option_id="small"
    )
    assert isinstance(click, Notice), "an expired conversation is not silently continued"
    typed = await engine.answer_text(alice, "small")
    assert isinstance(typed, Notice)
    resumed = await engine.resume(alice, conversation_id=offer.conversation_id, step=offer.step)
    assert isinstance(resumed, QuestionReply)
    assert resumed.question_id == "size"
    await store.close()


async def test_pack_update_finishes_on_the_old_version_while_loaded(
    tmp_path: Path, tiny_path: Path, store: SqliteStore, clock: Clock, alice: Actor
) -> None:
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_path, folder)
    registry = PackRegistry()
    registry.load(folder)
    engine = Engine(store=store, registry=registry, advisor="tiny", clock=clock)
    await engine.start(alice)
    await engine.answer_text(alice, "pages")
    # A structural edit: the option answered is renamed, so the answers no longer fit.
    text = (folder / "questions.yaml").read_text().replace("- id: pages", "- id: web")
    (folder / "questions.yaml").write_text(text)
    registry.reload("tiny")
    reply = await engine.answer_text(alice, "need")
    assert isinstance(reply, ResultReply)

    # A new process knows only the new version and keeps no versions anywhere (no archive):
    # the user is told and offered a restart.
    fresh = PackRegistry()
    fresh.load(folder)
    engine2 = Engine(store=store, registry=fresh, advisor="tiny", clock=clock)
    notice = await engine2.start(alice)
    assert isinstance(notice, Notice)
    assert notice.offers == (Offer.RESTART,)
    assert "updated" in notice.text
    with pytest.raises(PackUnavailable):
        await engine2.status(alice)
    restarted = await engine2.restart(alice)
    assert isinstance(restarted, QuestionReply)
    assert restarted.prompt == "What are you building?"


async def test_forget_deletes_everything_of_the_user(engine: Engine, alice: Actor, bob: Actor) -> None:
    await engine.start(alice)
    await engine.start(bob)
    notice = await engine.forget(alice)
    assert "Deleted 1" in notice.text
    with pytest.raises(NoConversation):
        await engine.status(alice)
    assert isinstance(await engine.status(bob), StatusReply)


async def test_unstarted_conversation_moves_to_the_new_pack_version(
    tmp_path: Path, tiny_path: Path, store: SqliteStore, clock: Clock, alice: Actor
) -> None:
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_path, folder)
    old = PackRegistry()
    old.load(folder)
    await Engine(store=store, registry=old, advisor="tiny", clock=clock).start(alice)
    text = (folder / "questions.yaml").read_text().replace("How big is it?", "How large is it?")
    (folder / "questions.yaml").write_text(text)
    new = PackRegistry()
    new.load(folder)
    engine = Engine(store=store, registry=new, advisor="tiny", clock=clock)
    first = await engine.answer_text(alice, "api")
    assert isinstance(first, QuestionReply)
    assert first.prompt == "How large is it?"
    second = await engine.answer_text(alice, "small")
    assert isinstance(second, ResultReply), "the first answer moved it to the version it was walked on"


# --- the engine owns every check a button needs -------------------------------------------


async def _finished(engine: Engine, actor: Actor) -> ResultReply:
    first = await engine.start(actor)
    assert isinstance(first, QuestionReply)
    second = await engine.answer(
        actor, conversation_id=first.conversation_id, step=first.step, option_id="pages"
    )
    assert isinstance(second, QuestionReply)
    done = await engine.answer(
        actor, conversation_id=second.conversation_id, step=second.step, option_id="need"
    )
    assert isinstance(done, ResultReply)
    return done


async def test_why_from_a_button_refuses_someone_elses_conversation(
    engine: Engine, alice: Actor, bob: Actor
) -> None:
    first = await engine.start(alice)
    await engine.start(bob)
    with pytest.raises(NotYourConversation):
        await engine.why(bob, conversation_id=first.conversation_id, step=first.step)


async def test_why_from_an_old_question_is_stale(engine: Engine, alice: Actor) -> None:
    first = await engine.start(alice)
    assert isinstance(first, QuestionReply)
    await engine.answer(alice, conversation_id=first.conversation_id, step=first.step, option_id="pages")
    with pytest.raises(StaleAnswer):
        await engine.why(alice, conversation_id=first.conversation_id, step=first.step)
    typed = await engine.why(alice)  # typed `why` has no button: it explains the current question
    assert isinstance(typed, WhyReply)
    assert typed.prompt == "Do editors need an admin?"


async def test_share_gives_the_owners_finished_result_only(engine: Engine, alice: Actor, bob: Actor) -> None:
    done = await _finished(engine, alice)
    shared = await engine.share(alice, conversation_id=done.conversation_id, step=done.step)
    assert shared.recommendation.top.subject_id == "alpha"
    with pytest.raises(NotYourConversation):
        await engine.share(bob, conversation_id=done.conversation_id, step=done.step)
    with pytest.raises(StaleAnswer):
        await engine.share(alice, conversation_id=done.conversation_id, step=done.step - 1)


async def test_share_before_the_result_is_refused(engine: Engine, alice: Actor) -> None:
    first = await engine.start(alice)
    with pytest.raises(StaleAnswer):
        await engine.share(alice, conversation_id=first.conversation_id, step=first.step)


# --- explanations with points: the full ranking, typed answers echoed -----------------------


async def test_ranking_lists_every_subject_with_the_answers_that_gave_its_points(
    engine: Engine, alice: Actor
) -> None:
    first = await engine.start(alice)
    assert isinstance(first, QuestionReply)
    await engine.answer(alice, conversation_id=first.conversation_id, step=first.step, option_id="api")
    done = await engine.answer_text(alice, "Large and long-lived")
    assert isinstance(done, ResultReply)
    ranking = await engine.ranking(alice, conversation_id=done.conversation_id, step=done.step)
    assert isinstance(ranking, RankingReply)
    assert ranking.finished
    assert ranking.answered == 2
    rows = [(s.place, s.name, s.points, [(a.answer, a.points) for a in s.answers]) for s in ranking.subjects]
    assert rows == [
        (1, "Beta", 4, [("JSON API", 3), ("Large and long-lived", 1)]),
        (2, "Alpha", 1, [("Large and long-lived", 2), ("JSON API", -1)]),
        (3, "Gamma", 0, []),
    ]


async def test_subjects_on_equal_points_share_a_place_and_a_level_top_says_neither_is_ahead(
    engine: Engine, alice: Actor
) -> None:
    await engine.start(alice)
    ranking = await engine.ranking(alice)  # typed `ranking` before any answer: the ranking so far
    assert isinstance(ranking, RankingReply)
    assert not ranking.finished
    assert [(s.place, s.points) for s in ranking.subjects] == [(1, 0), (1, 0), (1, 0)]
    assert "neither is ahead" in ranking.level_note  # all three are level at 0


async def test_full_ranking_from_a_button_refuses_someone_elses_or_an_old_result(
    engine: Engine, alice: Actor, bob: Actor
) -> None:
    done = await _finished(engine, alice)
    await engine.start(bob)
    with pytest.raises(NotYourConversation):
        await engine.ranking(bob, conversation_id=done.conversation_id, step=done.step)
    await engine.back(alice, conversation_id=done.conversation_id, step=done.step)
    with pytest.raises(StaleAnswer):
        await engine.ranking(alice, conversation_id=done.conversation_id, step=done.step)


@pytest.mark.parametrize(
    ("typed", "taken_as"),
    [
        ("api", "JSON API"),  # the option's id
        ("rest", "JSON API"),  # a synonym
        ("2", "JSON API"),  # a number
        ("json", "JSON API"),  # a prefix
        ("a REST API for our app", "JSON API"),  # a phrase
        ("JSON API", ""),  # the label itself: nothing to echo
        ("json api.", ""),  # the label, case and a final dot aside
    ],
)
async def test_a_typed_answer_is_echoed_as_understood_unless_it_was_the_label(
    engine: Engine, alice: Actor, typed: str, taken_as: str
) -> None:
    await engine.start(alice)
    reply = await engine.answer_text(alice, typed)
    assert isinstance(reply, QuestionReply)
    assert reply.prompt == "How big is it?"
    assert reply.taken_as == taken_as


async def test_the_typed_answer_that_finishes_is_echoed_on_the_result(engine: Engine, alice: Actor) -> None:
    await engine.start(alice)
    await engine.answer_text(alice, "html")
    done = await engine.answer_text(alice, "yes")
    assert isinstance(done, ResultReply)
    assert done.taken_as == "Yes, an admin"
    clicked = await engine.result(alice)  # the same result asked for again: nothing was typed
    assert isinstance(clicked, ResultReply)
    assert clicked.taken_as == ""


@pytest.mark.parametrize("typed", ["-1", "0", "+1", "-0"])
async def test_negative_or_zero_numbers_are_refused_and_change_nothing(
    engine: Engine, alice: Actor, typed: str
) -> None:
    await engine.start(alice)
    with pytest.raises(UnknownAnswer):
        await engine.answer_text(alice, typed)
    status = await engine.status(alice)
    assert isinstance(status, StatusReply)
    assert status.answered == ()
