"""``Guard``: what protects one venue connection, shared by every call made on it (commands, streams, backfills)."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from adapters.resilience.breaker import CircuitBreaker
from adapters.resilience.errors import OutcomeUnknown, RateLimited, VenueUnavailable
from adapters.resilience.gate import RateGate
from adapters.resilience.policy import ResiliencePolicy

__all__ = ["Guard"]

T = TypeVar("T")


class Guard:
    """The rate gate and the circuit breaker of one venue connection.

    ``call`` waits at the gate, runs the call and books its outcome: a rate limit pauses the gate (every
    call waits, so a 429 never turns into a ban), transport failures count toward the breaker, and any
    answer from the venue (a refusal included) counts as the venue being up.
    """

    def __init__(self, policy: ResiliencePolicy, on_change: Callable[[bool, str], None] | None = None) -> None:
        self.policy = policy
        self.gate = RateGate()
        self.breaker = CircuitBreaker(policy.circuit_breaker_threshold, policy.breaker_cooldown_s, on_change)

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run ``fn`` once behind the gate and book the outcome; its exceptions propagate."""
        trial = await self.gate.enter()
        limited = False
        try:
            result = await fn()
        except RateLimited as error:
            limited = True
            self.rate_limited(error)
            raise
        except (VenueUnavailable, OutcomeUnknown) as error:
            self.breaker.failure(str(error))
            raise
        finally:
            self.gate.leave(trial, limited)
        self.breaker.success()
        return result

    def rate_limited(self, error: RateLimited) -> None:
        """Pause every call for the venue's Retry-After (a ban also counts as a failure)."""
        self.gate.pause(error.retry_after or self.policy.rate_limit_pause_s, str(error))
        if error.banned:
            self.breaker.failure(str(error))
