"""The resiliency layer every venue adapter sits behind: retries, rate-limit pauses, breakers, dead letters.

Adapters raise ``VenueUnavailable`` (not sent: safe to resend), ``RateLimited`` (pause every call) or
``OutcomeUnknown`` (sent, no answer). ``ResilientVenue`` runs each core venue command under the
``ResiliencePolicy``: it retries what may be retried, never resends a submit whose outcome is unknown
(the order is queried by client order id instead), opens a ``CircuitBreaker`` per venue connection
(journaled as ``VenueAvailability``) and dead-letters commands that exhausted their retries
(journaled as ``CommandDeadLettered``). A ``Guard`` (gate + breaker) is shared with the adapter's own
background calls (streams, backfills), so one 429 pauses everything that goes to that venue.
"""

from adapters.resilience.backoff import Backoff
from adapters.resilience.breaker import BreakerState, CircuitBreaker
from adapters.resilience.errors import OutcomeUnknown, RateLimited, VenueUnavailable
from adapters.resilience.gate import RateGate
from adapters.resilience.guard import Guard
from adapters.resilience.policy import ResiliencePolicy
from adapters.resilience.venue import ResilientVenue

__all__ = [
    "Backoff",
    "BreakerState",
    "CircuitBreaker",
    "Guard",
    "OutcomeUnknown",
    "RateGate",
    "RateLimited",
    "ResiliencePolicy",
    "ResilientVenue",
    "VenueUnavailable",
]
