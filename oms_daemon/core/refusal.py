"""A refusal: the stable reason code and the human message of one failed check."""

import msgspec

from oms_daemon.core.reasons import Reason

__all__ = ["Refusal"]


class Refusal(msgspec.Struct, frozen=True, gc=False):
    """One reason an order would be refused, with a human message."""

    reason: Reason
    message: str
