"""The state-checksum record: written by the daemon every N events and at clean shutdown."""

import msgspec

__all__ = ["Checkpoint", "decode_checkpoint", "encode_checkpoint"]


class Checkpoint(msgspec.Struct, frozen=True):
    """State hash after the event with sequence ``last_seq`` was applied."""

    last_seq: int
    state_hash: str
    events: int


encode_checkpoint = msgspec.msgpack.Encoder().encode
"""Encode a checkpoint as a journal payload."""

_decoder = msgspec.msgpack.Decoder(Checkpoint)


def decode_checkpoint(payload: bytes) -> Checkpoint:
    """Decode a checkpoint journal payload."""
    return _decoder.decode(payload)
