"""Where a symbol's price has been: the source's own bars, and every price we saw, bounded and compact.

Bars come from the page's chart series when it has one (chart_series.py); the prices come from its quotes.
Either alone is enough: with no series the prices build bars of their own, and when the series stops the
prices carry its current bar on. Numbers live in typed arrays (12 bytes a price, 48 a bar) rather than
Python objects (~100 bytes a price), so a day of one price a second costs ~1 MB, not ~9.
"""
from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

TICKS_KEPT = 86_400  # a day at one price a second, the most we record
BARS_KEPT = 2_000
QUOTE_BAR_SECONDS = 60  # the bars quotes build when the page sends no series
SPARK_WINDOW = 86_400.0
SPARK_POINTS = 96
SPARK_MIN_BARS = 8  # fewer bars than this in the window: the recorded prices draw a finer line
Bar = tuple[float, float, float, float, float, float]  # time (start, epoch s), open, high, low, close, volume


class _Columns:
    """Parallel typed arrays trimmed from the front in halves: appending stays O(1) amortized."""

    def __init__(self, typecodes: str, keep: int) -> None:
        self.columns: list[array[Any]] = [array(code) for code in typecodes]
        self.keep = keep

    def __len__(self) -> int:
        return len(self.columns[0])

    def append(self, row: Sequence[float]) -> None:
        for column, value in zip(self.columns, row, strict=False):
            column.append(value)
        if len(self) >= 2 * self.keep:
            for column in self.columns:
                del column[:len(column) - self.keep]

    def set_last(self, row: Sequence[float]) -> None:
        for column, value in zip(self.columns, row, strict=False):
            column[-1] = value

    def last(self) -> tuple[float, ...]:
        return tuple(column[-1] for column in self.columns)

    def rows(self, since: float = 0.0, after: bool = False) -> list[tuple[float, ...]]:
        """The kept rows whose first column is at least (`after`: more than) `since`; that column only grows."""
        first = (bisect.bisect_right if after else bisect.bisect_left)(self.columns[0], since)
        begin = max(first, len(self) - self.keep)
        return list(zip(*(column[begin:] for column in self.columns), strict=False))

    def clear(self) -> None:
        for column in self.columns:
            del column[:]

    @property
    def nbytes(self) -> int:
        return sum(column.buffer_info()[1] * column.itemsize for column in self.columns)


@dataclass(frozen=True)
class Sparkline:
    """What a card draws: points (time, price), oldest first, and how far apart new points go."""
    points: list[list[float]]
    step: float  # a new point closer than this to the last one replaces it

    def as_dict(self) -> dict[str, Any]:
        return {'points': self.points, 'step': self.step, 'window': SPARK_WINDOW}


class PriceHistory:
    """One symbol's history. Owned by whoever holds its price, and dropped with it."""

    def __init__(self) -> None:
        self._ticks = _Columns('Id', TICKS_KEPT)  # second (uint32), price
        self._bars = _Columns('dddddd', BARS_KEPT)
        self.resolution = QUOTE_BAR_SECONDS  # seconds a bar spans
        self.from_series = False  # the bars are the source's, not ones our quotes built
        self.last_point: tuple[float, float] | None = None  # the newest (time, price), whichever told it

    # --- what the source says -------------------------------------------------------------------------

    def set_series(self, bars: Iterable[Sequence[float]], resolution: int) -> None:
        """The series loaded (or loaded again): its bars replace ours; prices recorded since stay."""
        self._bars.clear()
        self.resolution, self.from_series = resolution, True
        for bar in sorted(bars, key=lambda bar: bar[0]):
            self._put_bar(_bar(bar))
        if len(self._bars) and (self.last_point is None or self._bars.last()[0] >= self.last_point[0]):
            self.last_point = (self._bars.last()[0], self._bars.last()[4])

    def update_bar(self, bar: Sequence[float], at: float) -> None:
        """A `du`: the current bar changed, or a new one began. `at` is when we heard it."""
        self._put_bar(_bar(bar))
        self.last_point = (at, float(bar[4]))

    def record(self, at: float, price: float) -> None:
        """A price we saw: kept (one a second), and carried into the current bar."""
        second = int(at)
        if len(self._ticks) and self._ticks.last()[0] == second:
            self._ticks.set_last((second, price))
        elif not len(self._ticks) or second > self._ticks.last()[0]:
            self._ticks.append((second, price))
        self._follow(at, price)
        self.last_point = (at, price)

    def _follow(self, at: float, price: float) -> None:
        if len(self._bars):
            start, open_, high, low, _, volume = self._bars.last()
            if at < start:
                return  # older than the bar the series is on: the series knows better
            if at < start + self.resolution:
                self._bars.set_last((start, open_, max(high, price), min(low, price), price, volume))
                return
        start = math.floor(at / self.resolution) * self.resolution
        self._bars.append((start, price, price, price, price, 0.0))

    def _put_bar(self, bar: Bar) -> None:
        if len(self._bars) and bar[0] == self._bars.last()[0]:
            self._bars.set_last(bar)
        elif not len(self._bars) or bar[0] > self._bars.last()[0]:
            self._bars.append(bar)
        # an update of a bar older than the current one: the page will not draw it either

    # --- what readers get -------------------------------------------------------------------------------

    def bars(self, since: float = 0.0) -> list[tuple[float, ...]]:
        """[start, open, high, low, close, volume] of the bars that end after `since`, oldest first."""
        return self._bars.rows(since - self.resolution, after=True)

    def ticks(self, since: float = 0.0) -> list[tuple[float, ...]]:
        """[second, price] from `since` on, oldest first."""
        return self._ticks.rows(since)

    def sparkline(self, now: float) -> Sparkline:
        """The last 24 h, from bars when there are enough of them, else from the prices we saw."""
        since = now - SPARK_WINDOW
        bars = [(bar[0], bar[4]) for bar in self.bars(since)]
        if len(bars) >= SPARK_MIN_BARS:
            points, step = bars, float(self.resolution)
        else:
            points = [(tick[0], tick[1]) for tick in self.ticks(since)]
            step = 1.0
        if self.last_point is not None:
            # The newest point stands for its whole slot, as the browser grows it (web/sparkline.js): a tick is kept
            # at its second and a bar at its start, so the price that made the last point is also in the slot before
            # it, and one price would be drawn twice.
            slot = math.floor(self.last_point[0] / step)
            points = [point for point in points if math.floor(point[0] / step) < slot] + [self.last_point]
        if len(points) > SPARK_POINTS:
            bucket = max(step, (points[-1][0] - points[0][0]) / SPARK_POINTS)
            points, step = _thin(points, bucket), bucket
        return Sparkline([[round(t, 3), v] for t, v in points], step)

    def snapshot(self, ticks_since: float = 0.0, bars_since: float = 0.0) -> dict[str, Any]:
        """As JSON takes it, for programs and for other nodes (which need not get every price of the day)."""
        return {'resolution': self.resolution, 'from_series': self.from_series, 'bars': self.bars(bars_since),
                'ticks': self.ticks(ticks_since),
                'last': list(self.last_point) if self.last_point else None}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Take another holder's snapshot, keeping whatever we recorded after it."""
        since = snapshot['ticks'][-1][0] if snapshot['ticks'] else -1
        later = [tick for tick in self.ticks() if tick[0] > since]
        self._ticks.clear()
        self._bars.clear()
        self.resolution, self.from_series = int(snapshot['resolution']), bool(snapshot['from_series'])
        for bar in snapshot['bars']:
            self._put_bar(_bar(bar))
        for second, price in snapshot['ticks']:
            self._ticks.append((int(second), float(price)))
        for second, price in later:  # carried into the snapshot's bars, as if they had come after it
            self._ticks.append((int(second), float(price)))
            self._follow(second, price)
        last = snapshot.get('last')
        if last and (self.last_point is None or last[0] > self.last_point[0]):
            self.last_point = (float(last[0]), float(last[1]))

    @property
    def nbytes(self) -> int:
        """What the numbers occupy (the arrays' allocations), for the README and /metrics."""
        return self._ticks.nbytes + self._bars.nbytes


def _bar(values: Sequence[float]) -> Bar:
    t, o, h, low, c, *rest = (float(value) for value in values)
    return (t, o, h, low, c, rest[0] if rest else 0.0)


def _thin(points: list[tuple[float, float]], bucket: float) -> list[tuple[float, float]]:
    """The last point of each `bucket` seconds: a line of at most ~SPARK_POINTS points that ends where now is."""
    kept: list[tuple[float, float]] = []
    for point in points:
        if kept and math.floor(point[0] / bucket) == math.floor(kept[-1][0] / bucket):
            kept[-1] = point
        else:
            kept.append(point)
    return kept
