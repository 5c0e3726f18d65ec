"""The page's chart series, read off the socket that carries its quotes (tradingview-facts: "The page's chart
series").

The page may hold several chart sessions at once (its mini chart, a related symbol's) and reuse series ids
across them, in the same frames as the quotes. So a series is ours only when the page itself asked for it on a
symbol it asked to resolve as ours (what it SENT says that), and the server resolved that symbol as ours.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from market.history import Bar

from .tv_protocol import Message, symbol_name


@dataclass(frozen=True)
class Described:
    """`symbol_resolved`: what to call the instrument and how many decimals its prices have."""
    name: str
    decimals: int | None


@dataclass(frozen=True)
class Loaded:
    """`timescale_update`: the series' bars, oldest first, replacing any we had."""
    bars: list[Bar]
    resolution: int  # seconds a bar spans


@dataclass(frozen=True)
class Updated:
    """`du`: the current bar changed, or new bars began."""
    bars: list[Bar]


@dataclass(frozen=True)
class Completed:
    """`series_completed`: the initial load is over."""


@dataclass(frozen=True)
class Failed:
    """`symbol_error`, `series_error` or `critical_error` for our series: the quotes carry on alone."""
    reason: str


SeriesEvent = Described | Loaded | Updated | Completed | Failed
_RESOLUTION = re.compile(r'(\d*)([SDWM]?)')
_UNIT_SECONDS = {'': 60, 'S': 1, 'D': 86_400, 'W': 7 * 86_400, 'M': 30 * 86_400}


def resolution_seconds(resolution: Any) -> int | None:
    """TradingView's resolutions: minutes as a bare number ('1', '5', '240'), else a count and a unit ('1D',
    'W', '12M', '5S'). None for anything else."""
    match = _RESOLUTION.fullmatch(resolution) if isinstance(resolution, str) else None
    if match is None or not (match[1] or match[2]):
        return None
    count = int(match[1] or 1)
    return count * _UNIT_SECONDS[match[2]] if count > 0 else None


def pricescale_decimals(pricescale: Any) -> int | None:
    """100 -> 2 decimals. A scale that is not a power of ten (fractions, for bonds) names no decimals."""
    if not isinstance(pricescale, (int, float)) or isinstance(pricescale, bool) or pricescale < 1:
        return None
    decimals = round(math.log10(pricescale))
    return decimals if 10 ** decimals == pricescale else None


class ChartSeriesReader:
    """One data socket's chart sessions, as far as they concern `symbol` (EXCHANGE:TICKER)."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._asked: set[tuple[str, str]] = set()  # (session, symbol id) the page asked to resolve as ours
        self._resolved: set[tuple[str, str]] = set()  # ... and the server resolved as ours
        self._series: dict[tuple[str, str], tuple[str, int]] = {}  # (session, series id) -> symbol id, seconds

    def sent(self, message: Message) -> None:
        """What the page asked for: which (session, symbol id) is ours, and which series hang on it."""
        p = message.params
        if message.method == 'resolve_symbol' and len(p) >= 3 and _strings(p[:2]):
            if symbol_name(p[2]) == self.symbol:
                self._asked.add((p[0], p[1]))
        elif message.method in ('create_series', 'modify_series') and len(p) >= 5 and _strings(p[:2]):
            seconds = resolution_seconds(p[4])
            if isinstance(p[3], str) and seconds is not None:
                self._series[(p[0], p[1])] = (p[3], seconds)
        elif message.method == 'remove_series' and len(p) >= 2 and _strings(p[:2]):
            self._series.pop((p[0], p[1]), None)
        elif message.method == 'chart_delete_session' and p and isinstance(p[0], str):
            self._forget_session(p[0])

    def received(self, message: Message) -> Iterator[SeriesEvent]:
        p = message.params
        if not p or not isinstance(p[0], str):
            return
        session = p[0]
        if message.method == 'symbol_resolved' and len(p) >= 3 and isinstance(p[2], dict):
            yield from self._resolve(session, p[1], p[2])
        elif message.method in ('timescale_update', 'du') and len(p) >= 2 and isinstance(p[1], dict):
            for series_id, body in p[1].items():
                if (seconds := self._ours(session, series_id)) and (bars := _bars(body)):
                    yield Loaded(bars, seconds) if message.method == 'timescale_update' else Updated(bars)
        elif message.method == 'series_completed' and len(p) >= 2 and self._ours(session, p[1]):
            yield Completed()
        elif message.method == 'symbol_error' and len(p) >= 2 and (session, p[1]) in self._asked:
            yield Failed(f'the chart could not resolve {self.symbol}')
        elif message.method == 'series_error' and len(p) >= 2 and self._ours(session, p[1]):
            yield Failed('the chart series failed')
        elif message.method == 'critical_error' and any(s == session for s, _ in self._asked):
            yield Failed('the chart session failed')

    def _resolve(self, session: str, symbol_id: Any, info: dict[str, Any]) -> Iterator[SeriesEvent]:
        key = (session, symbol_id)
        if key not in self._asked or self.symbol not in (info.get('pro_name'), info.get('full_name')):
            return
        self._resolved.add(key)
        name = info.get('description')
        yield Described(name if isinstance(name, str) else '', pricescale_decimals(info.get('pricescale')))

    def _ours(self, session: str, series_id: Any) -> int | None:
        """The seconds a bar of this series spans, if it is ours."""
        series = self._series.get((session, series_id)) if isinstance(series_id, str) else None
        if series is None or (session, series[0]) not in self._resolved:
            return None
        return series[1]

    def _forget_session(self, session: str) -> None:
        self._asked = {key for key in self._asked if key[0] != session}
        self._resolved = {key for key in self._resolved if key[0] != session}
        self._series = {key: value for key, value in self._series.items() if key[0] != session}


def _strings(values: list[Any]) -> bool:
    return all(isinstance(value, str) for value in values)


def _bars(body: Any) -> list[Bar]:
    """The well-formed bars of one series' update, oldest first; a malformed one is skipped, not guessed at."""
    points = body.get('s') if isinstance(body, dict) else None
    bars: list[Bar] = []
    for point in points if isinstance(points, list) else ():
        values = point.get('v') if isinstance(point, dict) else None
        if not isinstance(values, list) or len(values) < 5:
            continue
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values[:6]):
            continue
        t, o, h, low, c = (float(v) for v in values[:5])
        bars.append((t, o, h, low, c, float(values[5]) if len(values) > 5 else 0.0))
    return sorted(bars, key=lambda bar: bar[0])
