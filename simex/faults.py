"""Fault injection, switched at run time through the control API.

REST rules (matched by ``method`` / ``path`` prefix / ``api_key``, each for ``times`` requests, or
until cleared when ``times`` is 0):

- ``http_error``: answer ``status`` (429, 418, 5xx...) before doing anything; 429 and 418 carry
  ``Retry-After: retry_after``. A request that arrives while a 429's Retry-After is still running
  (later than 0.1 s after it: requests already in flight are let through) gets Binance's escalation:
  a 418 IP ban for ``ban_s`` seconds (a 418 bans for ``retry_after``);
- ``stall``: hold the request ``seconds``, then do it (a slow exchange: it may act after the client gave up);
- ``blackhole``: hold the request ``seconds``, then drop the connection without doing anything;
- ``accept_then_timeout``: do the request, then hold the reply ``seconds`` (the client times out
  although the order exists: the UNKNOWN case);
- ``reset``: do the request, then drop the connection without a reply.

User-stream rules (matched by ``event`` type, ``execution`` type of executionReports and ``api_key``):
``drop``, ``duplicate``, ``delay`` (by ``seconds``, later events are not held back) and ``reorder``
(hold ``window`` events, release them newest first).
"""

import math
import time
from collections import Counter
from typing import Any, Literal

import msgspec

__all__ = ["FaultBoard", "Rule"]

RestKind = Literal["http_error", "stall", "blackhole", "accept_then_timeout", "reset"]
StreamKind = Literal["drop", "duplicate", "delay", "reorder"]
_REST_KINDS = frozenset({"http_error", "stall", "blackhole", "accept_then_timeout", "reset"})


class Rule(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One fault: what it does, what it matches and how many times it applies (0: until cleared)."""

    kind: RestKind | StreamKind
    times: int = 1
    method: str | None = None
    path: str | None = None
    api_key: str | None = None
    status: int = 503
    retry_after: int = 1
    ban_s: int = 5
    seconds: float = 0.0
    event: str | None = None
    execution: str | None = None
    window: int = 2

    @property
    def rest(self) -> bool:
        """True for rules that act on REST requests."""
        return self.kind in _REST_KINDS


class _Armed:
    __slots__ = ("left", "rule")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.left = rule.times


class FaultBoard:
    """The active rules and the rate-limit escalation state; counts what it did in ``stats``."""

    def __init__(self) -> None:
        self._rules: list[_Armed] = []
        self.limited_until = 0.0
        self.banned_until = 0.0
        self._ban_s = 5
        self._limited_at = 0.0
        self.in_flight_grace_s = 0.1
        self.stats: Counter[str] = Counter()

    def add(self, rules: list[Rule]) -> None:
        """Arm more rules (applied in the order added)."""
        self._rules.extend(_Armed(r) for r in rules)

    def clear(self) -> None:
        """Disarm every rule and lift any rate limit or ban."""
        self._rules.clear()
        self.limited_until = self.banned_until = 0.0

    def active(self) -> list[dict[str, Any]]:
        """The armed rules with how many uses each has left."""
        return [msgspec.to_builtins(a.rule) | {"left": a.left} for a in self._rules]

    def _take(self, match: Any) -> Rule | None:
        for armed in self._rules:
            if match(armed.rule):
                if armed.rule.times:
                    armed.left -= 1
                    if armed.left <= 0:
                        self._rules.remove(armed)
                return armed.rule
        return None

    def rest(self, method: str, path: str, api_key: str | None) -> Rule | None:
        """The REST fault for this request, if any (the rate-limit escalation comes first)."""
        now = time.monotonic()
        if now < self.banned_until:
            self.stats["refused_while_banned"] += 1
            return Rule(kind="http_error", status=418, retry_after=math.ceil(self.banned_until - now))
        if now < self.limited_until and now >= self._limited_at + self.in_flight_grace_s:
            # Binance bans an IP that does not back off after a 429 (requests already in flight excepted)
            self.banned_until, self.limited_until = now + self._ban_s, 0.0
            self.stats["escalated_to_418"] += 1
            return Rule(kind="http_error", status=418, retry_after=self._ban_s)

        def match(rule: Rule) -> bool:
            return (
                rule.rest
                and rule.method in (None, method)
                and (rule.path is None or path.startswith(rule.path))
                and rule.api_key in (None, api_key)
            )

        rule = self._take(match)
        if rule is not None and rule.kind == "http_error" and rule.status in (429, 418):
            self.stats[f"served_{rule.status}"] += 1
            if rule.status == 429:
                self.limited_until, self._ban_s, self._limited_at = now + rule.retry_after, rule.ban_s, now
            else:
                self.banned_until = now + rule.retry_after
        return rule

    def stream(self, api_key: str, event: dict[str, Any]) -> Rule | None:
        """The user-stream fault for this event, if any."""

        def match(rule: Rule) -> bool:
            return (
                not rule.rest
                and rule.api_key in (None, api_key)
                and rule.event in (None, event.get("e"))
                and rule.execution in (None, event.get("x"))
            )

        return self._take(match)
