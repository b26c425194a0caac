"""The strategy API over ZeroMQ: requests on a ROUTER, the event stream on an XPUB.

The README's "Wire format" section is the contract.
"""

from oms_daemon.zmq_api.schema import REQUEST_TYPES, Reply, StreamMessage, WireCode
from oms_daemon.zmq_api.server import DEFAULT_MAX_FRAME_BYTES, ZmqApi, ZmqApiStats

__all__ = ["DEFAULT_MAX_FRAME_BYTES", "REQUEST_TYPES", "Reply", "StreamMessage", "WireCode", "ZmqApi", "ZmqApiStats"]
