"""The daemon's HTTP side (aiohttp): /metrics now; the OMS and CCXT-compatible APIs build on it."""

from oms_daemon.http_api.app import HttpHost, build_app

__all__ = ["HttpHost", "build_app"]
