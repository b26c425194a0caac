"""Python clients of omsd's ZeroMQ API: ``AsyncOmsClient`` for strategies, ``OmsClient`` for blocking code."""

from oms_daemon.client.aio import AsyncOmsClient
from oms_daemon.client.protocol import Amount, OmsClientError, OmsRejected, OmsTimeout, Reply
from oms_daemon.client.sync import OmsClient

__all__ = ["Amount", "AsyncOmsClient", "OmsClient", "OmsClientError", "OmsRejected", "OmsTimeout", "Reply"]
