"""omsd: an event-sourced order management system daemon for algorithmic trading."""

from oms_daemon.native import guard

guard()  # before anything imports the core: a stale native build must not shadow its source
