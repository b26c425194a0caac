"""Reconciliation passes are bounded by construction: one in flight per account, a least interval between two,
and every ask that arrives meanwhile folded into the one pass still to come."""

import asyncio

from oms_daemon.core.events import SnapshotRequested
from oms_daemon.reconciliation import PassScheduler
from tests.zmq.harness import eventually


class Passes:
    """What the scheduler ran: the asks passed on, and how many ran at once at most."""

    def __init__(self) -> None:
        self.ran: list[SnapshotRequested] = []
        self.running = 0
        self.most_at_once = 0
        self.release = asyncio.Event()

    async def run(self, command: SnapshotRequested) -> None:
        self.ran.append(command)
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await self.release.wait()
        self.running -= 1


def ask(account: str, reason: str = "why") -> SnapshotRequested:
    return SnapshotRequested(account_id=account, reason=reason)


async def test_given_a_pass_running_when_a_thousand_asks_arrive_then_they_make_one_more_pass() -> None:
    passes = Passes()
    scheduler = PassScheduler(passes.run, min_interval_s=0)
    scheduler.request(ask("A", "first"))
    await eventually(lambda: passes.ran)
    # when a burst of asks arrives while the first pass runs
    for n in range(1000):
        scheduler.request(ask("A", f"ask {n}"))
    passes.release.set()
    await eventually(lambda: scheduler.busy == 0)
    # then one more pass ran, never two at once, for the first ask that was waiting
    assert [c.reason for c in passes.ran] == ["first", "ask 0"]
    assert passes.most_at_once == 1 and scheduler.folded == 999


async def test_given_a_least_interval_when_asked_again_right_after_a_pass_then_the_next_waits_it_out() -> None:
    now = [100.0]
    passes = Passes()
    passes.release.set()
    scheduler = PassScheduler(passes.run, min_interval_s=30, clock=lambda: now[0])
    scheduler.request(ask("A"))
    await eventually(lambda: len(passes.ran) == 1 and scheduler.busy == 0)
    # when asked again 5 s (of the scheduler's clock) later, then the pass is due but not started
    now[0] = 105.0
    scheduler.request(ask("A", "again"))
    scheduler.request(ask("A", "and again"))
    await eventually(lambda: scheduler.busy == 1)
    assert len(passes.ran) == 1 and scheduler.folded == 1
    await scheduler.close()


async def test_given_two_accounts_then_each_has_its_own_pass() -> None:
    passes = Passes()
    scheduler = PassScheduler(passes.run, min_interval_s=10)
    scheduler.request(ask("A"))
    scheduler.request(ask("B"))
    await eventually(lambda: len(passes.ran) == 2)
    assert {c.account_id for c in passes.ran} == {"A", "B"}
    await scheduler.close()
    assert scheduler.busy == 0
