"""Crypto exchanges through ccxt / ccxt.pro: ``CcxtVenue`` and its settings."""

from adapters.ccxt.adapter import CcxtVenue
from adapters.ccxt.config import CcxtVenueConfig, Credentials
from adapters.ccxt.translate import instrument_from_market

__all__ = ["CcxtVenue", "CcxtVenueConfig", "Credentials", "instrument_from_market"]
