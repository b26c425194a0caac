"""Adapter tests: let pytest rewrite the asserts of the shared venue contract suite (clear failure diffs)."""

import sys

import pytest

if "adapters.testing.contract" not in sys.modules:
    pytest.register_assert_rewrite("adapters.testing.contract")
