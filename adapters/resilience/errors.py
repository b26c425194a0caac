"""What an adapter raises when a venue call fails for a reason the resiliency layer handles.

A business refusal (insufficient funds, unknown order...) is never one of these: the adapter turns it
into a venue event (``VenueOrderRejected``, ``VenueCancelRejected``...). These say what is known about
whether the call took effect, which decides whether it may be sent again.
"""

from adapters.contract import VenueError

__all__ = ["OutcomeUnknown", "RateLimited", "VenueUnavailable"]


class VenueUnavailable(VenueError):
    """The call did not take effect: it never reached the venue, or the venue refused it before acting.

    Safe to send again (after ``retry_after`` seconds when the venue said so).
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(VenueUnavailable):
    """The venue refused the call for its rate limit (HTTP 429) or banned us (``banned``: HTTP 418).

    Every call to the venue must pause for ``retry_after`` seconds; sending anyway is what turns a 429
    into a ban.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, banned: bool = False) -> None:
        super().__init__(message, retry_after=retry_after)
        self.banned = banned


class OutcomeUnknown(VenueError):
    """The call was sent but no answer came (timeout, connection reset, 5xx): it may or may not have acted.

    A submit in this state is never sent again blindly; the order is looked up by client order id.
    """
