"""The daemon's HTTP side (aiohttp): /metrics, /openapi.json, the OMS API (/oms, with the /oms/ws stream),
the ccxt driver's /ccxt paths and seed 001's /paper routes. See README.md beside this file."""

from oms_daemon.http_api.app import HttpHost, build_app

__all__ = ["HttpHost", "build_app"]
