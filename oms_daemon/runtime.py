"""Process-level settings shared by the daemon, replay and benches."""

import gc

__all__ = ["tune_gc"]


def tune_gc() -> None:
    """Collect cycles rarely: the state holds millions of acyclic frozen structs that never need it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
