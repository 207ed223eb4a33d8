"""A window as signed month, day and raw pieces: every instant counted exactly once.

The rollup path reads a window ``(since, T]`` as whole months and days from the rollups plus spans
of raw signals, some of them subtracted (a partial month read as the month less the days outside
it, T's day as its day less what follows T). Whatever the bounds, the signs of the pieces holding
an instant must add up to 1 inside the window and 0 outside it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.engine import MICROSECOND, Piece, window_pieces

instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)


def _weight(pieces: list[Piece], x: datetime) -> int:
    """How many times the pieces count an instant (month and day pieces hold whole UTC days)."""
    weight = 0
    for p in pieces:
        inside = p.lo <= x < p.hi if p.level == "raw" else p.lo <= x.date() < p.hi
        weight += p.sign if inside else 0
    return weight


def _probes(pieces: list[Piece], since: datetime, at: datetime) -> set[datetime]:
    """The instants where a mistake would show: every bound, a microsecond either side, and the
    midnights around them."""
    bounds = {since, at}
    for p in pieces:
        for bound in (p.lo, p.hi):
            bounds.add(bound if isinstance(bound, datetime) else datetime.combine(bound, time(), UTC))
    probes = set()
    for b in bounds:
        midnight = datetime.combine(b.date(), time(), UTC)
        probes |= {
            b - MICROSECOND,
            b,
            b + MICROSECOND,
            midnight,
            midnight - MICROSECOND,
            midnight + timedelta(days=1),
        }
    return probes


@settings(max_examples=400, deadline=None)
@given(at=instants, days=st.integers(min_value=1, max_value=730), extra=st.lists(instants, max_size=20))
def test_pieces_count_every_instant_of_the_window_once(at, days, extra):
    since = at - timedelta(days=days)
    pieces = window_pieces(since, at)
    for x in _probes(pieces, since, at) | set(extra):
        assert _weight(pieces, x) == (1 if since < x <= at else 0), (since, at, x, pieces)


def test_the_days_of_a_nearly_whole_month_are_the_month_less_the_rest():
    at = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    pieces = window_pieces(at - timedelta(days=30), at)
    # November before the 29th: the month less the 29th and 30th; T's day: its day rollup less
    # what follows T (the 29th's day rows cancel out and are not read)
    assert Piece("month", datetime(2026, 11, 1).date(), datetime(2026, 12, 1).date()) in pieces
    assert Piece("day", datetime(2026, 11, 29).date(), datetime(2026, 12, 1).date(), -1) in pieces
    assert Piece("day", datetime(2026, 11, 29).date(), datetime(2026, 11, 30).date()) in pieces
    assert Piece("raw", at + MICROSECOND, datetime(2026, 11, 30, tzinfo=UTC), -1) in pieces
    # October 31st alone: one day, not October less thirty
    assert Piece("day", datetime(2026, 10, 31).date(), datetime(2026, 11, 1).date()) in pieces
