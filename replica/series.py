"""A symbol's 5-minute bars. Data only: the messages are in chart.py, the chart sessions a data socket opened
on them in connections.py.

History is a seeded random walk, the same for a symbol on every run, that ENDS at the live price: the
last bar is the current period and its close is the price the quotes carry. After that the bars follow
the price (`move`), so a chart opened later still ends where the quotes are.
"""
from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from typing import Literal

from .formatting import decimals_for, round_price

RESOLUTION = '5'  # what the page asks for: 5-minute bars...
PERIOD = 300  # ...of this many seconds
HISTORY = 300  # ...and this many of them (a little over 24 h); a series asking for more gets these
SIGMA = 0.0015  # log-return spread of one bar: about what BTC moves in 5 minutes
BARS_PER_DAY = 86400 // PERIOD
SeriesMode = Literal['on', 'off', 'stopped']
SERIES_MODES: tuple[SeriesMode, ...] = ('on', 'off', 'stopped')


@dataclass(slots=True)
class Bar:
    t: int  # opening time, epoch seconds, on a PERIOD boundary
    o: float
    h: float
    l: float  # noqa: E741 (the protocol's own name)
    c: float
    v: float

    def values(self) -> list[float]:
        """`[t, o, h, l, c, volume]`, as `timescale_update` and `du` carry them (t as a float, like the server)."""
        return [float(self.t), self.o, self.h, self.l, self.c, self.v]

    def as_dict(self) -> dict[str, float]:
        return {'t': self.t, 'o': self.o, 'h': self.h, 'l': self.l, 'c': self.c, 'v': self.v}


def period_of(now: float) -> int:
    return int(now) // PERIOD * PERIOD


class Bars:
    """The last HISTORY bars of one market, oldest first, contiguous (a quiet period is a flat bar)."""

    def __init__(self, symbol: str, price: float, small_decimals: int, volume_24h: float, now: float) -> None:
        self._small = small_decimals
        self._rng = random.Random(symbol)  # str seeds are stable across runs: the same history every time
        self._volume = volume_24h / BARS_PER_DAY
        self.bars: deque[Bar] = deque(maxlen=HISTORY)
        closes = [price]
        for _ in range(HISTORY - 1):  # walk back from the live price
            closes.append(self._round(closes[-1] * math.exp(self._rng.gauss(0, SIGMA))))
        closes.reverse()
        current = period_of(now)
        previous = self._round(closes[0] * math.exp(self._rng.gauss(0, SIGMA)))
        for k, close in enumerate(closes):
            last = k == HISTORY - 1
            # The current bar has only just begun: no wicks yet beyond its open and the live price.
            up, down = (0.0, 0.0) if last else (abs(self._rng.gauss(0, SIGMA / 2)), abs(self._rng.gauss(0, SIGMA / 2)))
            self.bars.append(Bar(current - (HISTORY - 1 - k) * PERIOD, previous,
                                 self._round(max(previous, close) * (1 + up)),
                                 self._round(min(previous, close) * (1 - down)),
                                 close, self._bar_volume(0.05 if last else 1.0)))
            previous = close

    @property
    def current(self) -> Bar:
        return self.bars[-1]

    def _round(self, price: float) -> float:
        tick = 10.0 ** -decimals_for(price, self._small)
        return max(round_price(price, self._small), tick)

    def _bar_volume(self, share: float) -> float:
        return round(self._volume * share * self._rng.uniform(0.3, 1.7), 4)

    def roll(self, now: float) -> None:
        """Bring the series up to the current period: each period nobody traded in is a flat bar."""
        period, last = period_of(now), self.bars[-1]
        if last.t >= period:
            return
        start = max(last.t + PERIOD, period - (HISTORY - 1) * PERIOD)
        for t in range(start, period + PERIOD, PERIOD):
            self.bars.append(Bar(t, last.c, last.c, last.c, last.c, 0.0))

    def move(self, price: float, now: float) -> Bar:
        """A trade at `price`: the current bar closes there, its high/low stretch to it, volume grows."""
        self.roll(now)
        bar = self.bars[-1]
        bar.c = price
        bar.h, bar.l = max(bar.h, price), min(bar.l, price)
        bar.v = round(bar.v + self._bar_volume(0.02), 4)
        return bar

    def after(self, sent: int) -> list[Bar]:
        """What a series whose last bar sent began at `sent` has not seen: the bars after it, or the
        current bar again (it changed) when no new period has begun."""
        fresh: list[Bar] = []
        for bar in reversed(self.bars):
            if fresh and bar.t <= sent:
                break
            fresh.append(bar)
        return fresh[::-1]

    def last(self, count: int) -> list[Bar]:
        return list(self.bars)[-count:]
