"""simex: a simulated exchange speaking Binance's spot REST and WebSocket API, with fault injection.

Run it with ``python -m simex --port N``; tests start it with ``SimexProcess`` and read its truth and
switch faults through ``SimexControl`` (the control API on its own port).
"""

from simex.config import SimAccount, SimexConfig, SimSymbol, load_config
from simex.control_client import SimexControl, SimexControlError
from simex.engine import Exchange
from simex.process import SimexProcess, binance_urls, free_port
from simex.server import SimexServer

__all__ = [
    "Exchange",
    "SimAccount",
    "SimSymbol",
    "SimexConfig",
    "SimexControl",
    "SimexControlError",
    "SimexProcess",
    "SimexServer",
    "binance_urls",
    "free_port",
    "load_config",
]
