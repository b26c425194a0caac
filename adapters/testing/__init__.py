"""Test support every venue adapter uses: the recording inbox and the venue contract suite."""

from adapters.testing.contract import OrderFactory, VenueContract
from adapters.testing.inbox import RecordingInbox, eventually

__all__ = ["OrderFactory", "RecordingInbox", "VenueContract", "eventually"]
