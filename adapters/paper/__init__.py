"""The embedded paper venue: a deterministic matching engine behind the ``VenueAdapter`` surface."""

from adapters.paper.adapter import PaperVenue
from adapters.paper.config import PaperSymbol, PaperVenueConfig
from adapters.paper.engine import PaperExchange

__all__ = ["PaperExchange", "PaperSymbol", "PaperVenue", "PaperVenueConfig"]
