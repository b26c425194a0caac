"""Deterministic replay: fold journals through the pure core, verify checksums, tell order stories."""

from replay.checkpoint import Checkpoint, decode_checkpoint, encode_checkpoint
from replay.fold import FoldResult, ReplayDivergence, fold
from replay.report import print_story, print_summary, summarize
from replay.story import StoryLine, order_story

__all__ = [
    "Checkpoint",
    "FoldResult",
    "ReplayDivergence",
    "StoryLine",
    "decode_checkpoint",
    "encode_checkpoint",
    "fold",
    "order_story",
    "print_story",
    "print_summary",
    "summarize",
]
