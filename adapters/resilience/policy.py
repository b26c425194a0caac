"""``ResiliencePolicy``: retries, back-off, rate-limit pauses and circuit breaking (the ``[resiliency]`` table)."""

from typing import Annotated

import msgspec
from msgspec import Meta

__all__ = ["ResiliencePolicy"]

NonNegInt = Annotated[int, Meta(ge=0)]
PosInt = Annotated[int, Meta(gt=0)]
NonNegFloat = Annotated[float, Meta(ge=0)]
PosFloat = Annotated[float, Meta(gt=0)]
Fraction = Annotated[float, Meta(ge=0, le=1)]


class ResiliencePolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How venue calls are retried and when a venue is declared unavailable.

    - A call that did not take effect is retried up to ``max_retries`` times, waiting
      ``initial_backoff_s * backoff_multiplier ** n`` (at most ``max_backoff_s``, minus up to ``jitter``
      of it at random) or the venue's Retry-After, whichever is longer; then it is dead-lettered.
    - A submit whose outcome is unknown is never retried: the order is looked up by client order id.
    - ``circuit_breaker_threshold`` consecutive failures open the breaker: new orders are refused and an
      alert is raised; after ``breaker_cooldown_s`` the venue is probed, and one success closes it.
    - Streams reconnect after ``reconnect_initial_s``, doubling up to ``reconnect_max_s``, so they are
      back within that long of the venue coming back; ``rate_limit_pause_s`` is the pause after a 429
      that came without a Retry-After.
    """

    max_retries: NonNegInt = 3
    initial_backoff_s: NonNegFloat = 1.0
    backoff_multiplier: Annotated[float, Meta(ge=1)] = 2.0
    max_backoff_s: NonNegFloat = 30.0
    jitter: Fraction = 0.5
    circuit_breaker_threshold: PosInt = 5
    breaker_cooldown_s: PosFloat = 5.0
    reconnect_initial_s: PosFloat = 0.1
    reconnect_max_s: PosFloat = 2.0
    rate_limit_pause_s: PosFloat = 1.0
