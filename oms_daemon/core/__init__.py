"""The pure OMS core: frozen messages in, decisions out; no clock, randomness or IO.

Imports point inward: everything may import ``oms_daemon.core``; the core imports only the
standard library and msgspec.
"""

from oms_daemon.core.decide import client_order_id_for, decide
from oms_daemon.core.engine import Core
from oms_daemon.core.evolve import evolve
from oms_daemon.core.state import OmsState

__all__ = ["Core", "OmsState", "client_order_id_for", "decide", "evolve"]
