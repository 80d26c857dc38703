"""The arithmetic of the dashboard: pure functions over plain numbers, checked by hand in tests.

Percentiles use the nearest-rank method (the smallest value with at least p % of the values at
or below it), so that every figure shown is a time some ticket really took, and a coordinator
can check it with a sorted list and a pencil.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

TARGET_SHARE = 0.85  # the bar a supplier is held to (docs/domain.md, « Targets »)

# Backlog age buckets, in calendar days since the supplier received the ticket.
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    (_l("< 1 j"), 1),
    (_l("1–3 j"), 3),
    (_l("3–7 j"), 7),
    (_l("7–15 j"), 15),
    (_l("> 15 j"), math.inf),
)


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0 < p ≤ 100) by nearest rank; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count)."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def age_bucket(days: float) -> int:
    for index, (_label, upper) in enumerate(AGE_BUCKETS):
        if days < upper:
            return index
    return len(AGE_BUCKETS) - 1


@dataclass
class Target:
    """One service level (taken into account, or resolved) over a set of clocks."""

    hours: list[float] = field(default_factory=list)  # business hours of the stopped clocks
    met: int = 0
    breached: int = 0  # stopped late, or still running past the due time
    # The same two figures when the database computed them (PostgreSQL's percentile_cont(0.5)
    # and percentile_disc(0.9) are this module's median and nearest rank) instead of `hours`.
    known_median: float | None = None
    known_p90: float | None = None

    @property
    def measured(self) -> int:
        return self.met + self.breached

    @property
    def median(self) -> float | None:
        return median(self.hours) if self.hours else self.known_median

    @property
    def p90(self) -> float | None:
        return nearest_rank(self.hours, 90) if self.hours else self.known_p90

    @property
    def within(self) -> float | None:
        return share(self.met, self.measured)

    @property
    def meets_bar(self) -> bool | None:
        within = self.within
        return None if within is None else within >= TARGET_SHARE


@dataclass
class FirstContact:
    """The requests the EN team solved at the first contact, out of those opened (the
    programme's bar: 85 % of incidents solved at the first call)."""

    resolved: int = 0
    opened: int = 0

    @property
    def share(self) -> float | None:
        return share(self.resolved, self.opened)

    @property
    def meets_bar(self) -> bool | None:
        value = self.share
        return None if value is None else value >= TARGET_SHARE


@dataclass
class Scorecard:
    """The figures of one supplier, or one equipment lot, over a period."""

    key: object
    name: str
    received: int = 0
    plan: Target = field(default_factory=Target)
    resolve: Target = field(default_factory=Target)
    reopened: int = 0
    closed: int = 0
    auto_closed: int = 0
    backlog: list[int] = field(default_factory=lambda: [0] * len(AGE_BUCKETS))

    @property
    def reopen_rate(self) -> float | None:
        return share(self.reopened, self.received)

    @property
    def auto_close_rate(self) -> float | None:
        return share(self.auto_closed, self.closed)

    @property
    def backlog_total(self) -> int:
        return sum(self.backlog)


def total(cards: Iterable[Scorecard], name: str) -> Scorecard:
    """All the cards together (the figures are recomputed from the values, not averaged)."""
    whole = Scorecard(key=None, name=name)
    for card in cards:
        whole.received += card.received
        whole.reopened += card.reopened
        whole.closed += card.closed
        whole.auto_closed += card.auto_closed
        for mine, theirs in ((whole.plan, card.plan), (whole.resolve, card.resolve)):
            mine.hours.extend(theirs.hours)
            mine.met += theirs.met
            mine.breached += theirs.breached
        whole.backlog = [a + b for a, b in zip(whole.backlog, card.backlog, strict=True)]
    return whole
