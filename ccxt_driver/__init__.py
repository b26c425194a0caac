"""The OMS-first ccxt driver (seed 004): a strategy written against ccxt's unified API trades through omsd.

``ccxt_driver.omsd`` is the sync exchange class; ``ccxt_driver.async_support.omsd`` the asyncio one and
``ccxt_driver.pro.omsd`` the pro one (``watch_orders``, ``watch_my_trades``, ``watch_positions``). Every
id they return is an omsd internal id (order ids, deal ids = fill ids, position ids).
"""

from ccxt_driver.errors import EXACT, REASONS, exception_for
from ccxt_driver.sync import omsd

__all__ = ["EXACT", "REASONS", "exception_for", "omsd"]
