"""Venue adapters: thin translators between a venue's wire format and omsd's venue inputs."""

from adapters.contract import Inbox, VenueAdapter, VenueError

__all__ = ["Inbox", "VenueAdapter", "VenueError"]
