"""Back-off, the rate gate and the circuit breaker on their own (time is injected where it matters)."""

import asyncio
import random

from adapters.resilience import Backoff, BreakerState, CircuitBreaker, RateGate


class Clock:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_given_a_backoff_then_delays_grow_exponentially_up_to_the_cap_with_jitter_below() -> None:
    backoff = Backoff(0.5, 2.0, 3.0, 0.5, random.Random(1))
    delays = [backoff.delay(n) for n in range(5)]
    for n, delay in enumerate(delays):
        base = min(0.5 * 2**n, 3.0)
        assert base * 0.5 <= delay <= base
    assert Backoff(1, 2, 10, 0.0).delay(3) == 8


def test_given_n_failures_in_a_row_then_the_breaker_opens_once_and_tells() -> None:
    told: list[tuple[bool, str]] = []
    breaker = CircuitBreaker(3, 5.0, lambda available, reason: told.append((available, reason)), Clock())
    breaker.failure("a")
    breaker.success()  # a success in between resets the count
    for reason in ("b", "c", "d", "e"):
        breaker.failure(reason)
    assert breaker.state is BreakerState.OPEN
    assert told == [(False, "3 consecutive failures, last: d")]


def test_given_an_open_breaker_when_the_cooldown_passes_then_half_open_and_a_success_closes_it() -> None:
    clock = Clock()
    told: list[bool] = []
    breaker = CircuitBreaker(1, 5.0, lambda available, _: told.append(available), clock)
    breaker.failure("down")
    clock.now += 5
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.failure("still down")  # a failed probe: a new cool-down
    assert breaker.state is BreakerState.OPEN
    clock.now += 5
    breaker.success()
    assert breaker.state is BreakerState.CLOSED and told == [False, True]


async def test_given_a_paused_gate_then_callers_wait_and_one_trial_goes_first() -> None:
    gate = RateGate()
    gate.pause(0.05, "429")
    order: list[str] = []

    async def call(name: str, limited: bool) -> None:
        trial = await gate.enter()
        order.append(f"{name}:{'trial' if trial else 'open'}")
        await asyncio.sleep(0.02)
        gate.leave(trial, limited)

    await asyncio.gather(call("a", False), call("b", False), call("c", False))
    # every caller waited the pause out; one went alone, the others only after it was not limited
    assert order[0].endswith(":trial") and all(o.endswith(":open") for o in order[1:])
    assert gate.remaining == 0 and not gate.limited


async def test_given_the_trial_is_limited_again_then_the_gate_stays_closed() -> None:
    gate = RateGate()
    gate.pause(0.01)
    trial = await gate.enter()
    gate.pause(0.2)
    gate.leave(trial, limited=True)
    assert gate.limited and gate.remaining > 0.1


def test_given_a_watcher_then_it_is_told_each_longer_pause_until_unwatched() -> None:
    clock = Clock()
    gate = RateGate(clock)
    told: list[float] = []
    gate.watch(told.append)
    gate.pause(2.0)
    gate.pause(1.0)  # shorter than the pause running: nothing changes, nothing told
    clock.now += 1.5
    gate.pause(3.0)
    gate.unwatch(told.append)
    gate.pause(10.0)
    assert told == [2.0, 3.0]
