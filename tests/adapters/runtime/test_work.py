"""Work after an acknowledgement lets the acknowledgements in progress go first, within a bound."""

from __future__ import annotations

import asyncio

from adapters.runtime.work import InFlight


async def _turns(count: int = 5) -> None:
    """Let the loop run everything that is ready, `count` times over (no time passes)."""
    for _ in range(count):
        await asyncio.sleep(0)


async def test_a_checkpoint_passes_at_once_when_nothing_is_being_acknowledged() -> None:
    work = InFlight(yield_bound=60)
    checkpoint = asyncio.create_task(work.after_acks())
    await _turns(1)
    assert checkpoint.done()


async def test_work_after_an_ack_waits_for_the_acknowledgements_in_progress() -> None:
    work = InFlight(yield_bound=60)
    order: list[str] = []

    async def reply() -> None:
        await work.after_acks()
        order.append("reply")

    with work.acknowledging():
        with work.acknowledging():  # two requests being acknowledged at once
            task = asyncio.create_task(reply())
            await _turns()
            order.append("first ack")
        await _turns()
        assert not task.done()  # one is still being acknowledged
        order.append("second ack")
    await task
    assert order == ["first ack", "second ack", "reply"]


async def test_a_stream_of_acknowledgements_never_holds_a_reply_past_the_bound() -> None:
    work = InFlight(yield_bound=0.02)
    with work.acknowledging():  # never finishes while the reply waits
        await asyncio.wait_for(work.after_acks(), timeout=5)
        assert work.held == 0, "a checkpoint that timed out is not left behind"


async def test_a_checkpoint_cancelled_at_shutdown_leaves_nothing_behind() -> None:
    work = InFlight(yield_bound=60)
    with work.acknowledging():
        checkpoint = asyncio.create_task(work.after_acks())
        await _turns()
        checkpoint.cancel()
        await asyncio.gather(checkpoint, return_exceptions=True)
        assert work.held == 0


async def test_held_work_goes_one_piece_per_turn_so_a_request_arriving_meanwhile_goes_first() -> None:
    """Fifty replies let go at once would run back to back before the loop read the next
    request; one per turn, a request that arrives meanwhile holds the rest again."""
    work = InFlight(yield_bound=60)
    done: list[int] = []

    async def reply(n: int) -> None:
        await work.after_acks()
        done.append(n)

    with work.acknowledging():
        tasks = [asyncio.create_task(reply(n)) for n in range(50)]
        await _turns()
        assert work.held == 50
    await asyncio.sleep(0)  # the first reply runs; the next is let go for the following turn
    with work.acknowledging():  # a request arrives
        await _turns()
        assert len(done) <= 2, "the held replies ran ahead of the request's acknowledgement"
        assert work.held >= 48
    await asyncio.gather(*tasks)
    assert done == list(range(50)), "in the order they were held"
