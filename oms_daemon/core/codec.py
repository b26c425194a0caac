"""Bytes of the journal payload: one msgpack-encoded input per record.

``SCHEMA_VERSION`` goes into every journal file header; a breaking change to an input gets a new
version and an upcaster here, so old journals still replay.
"""

import msgspec

from oms_daemon.core.inputs import AnyInput

__all__ = ["SCHEMA_VERSION", "decode_input", "encode_input"]

SCHEMA_VERSION = 1

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(AnyInput)

encode_input = _encoder.encode
"""Encode one input to its journal payload."""

decode_input = _decoder.decode
"""Decode one journal payload back to its input (the bound method itself: no Python frame per record)."""
