"""The per-symbol price state, observable through one change hook. Knows nothing of threads or the UI.

It also owns an entry's two forms outside this process: `values()` is its state as it travels to the web process
(the engine's pipe) and to other nodes (a cluster message, in JSON), read back by `assign`; `public()` is what
programs read of it (/api/tickers, the SSE and WebSocket streams). The browser's messages are shorter on purpose
(cryptoui/fanout/price_feed.py says why).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .formatting import format_price
from .history import Bar
from .symbols import split_symbol


def bar_of(values: dict[str, Any]) -> Bar | None:
    """The bar of an entry's `values()`: through JSON it comes back a list."""
    bar = values['bar']
    return tuple(bar) if bar is not None else None


class Status(str, Enum):
    CONNECTING = 'connecting'
    LIVE = 'live'
    STALE = 'stale'
    RECONNECTING = 'reconnecting'
    ERROR = 'error'


# What a copy of an entry carries (the change hook stays with the original): `values()`, `assign`.
FIELDS = ('price', 'price_text', 'change', 'change_percent', 'currency', 'status', 'message', 'direction',
          'updated_at', 'source', 'name', 'decimals', 'bar')
SeriesListener = Callable[['PriceEntry', list[Bar], int], None]


@dataclass
class PriceEntry:
    """One symbol's latest known price. Every mutator ends with one call of `on_change`, if anything changed."""
    symbol: str  # EXCHANGE:TICKER, as normalize_symbol makes it
    price: float | None = None
    price_text: str = ''
    change: float | None = None
    change_percent: float | None = None
    currency: str = ''
    status: str = Status.CONNECTING.value
    message: str = 'Connecting…'
    # +1 or -1 for the last price move, 0 before the second price: lets a view flash green or red.
    direction: int = 0
    # Wall-clock time of the last word from the source about this symbol, even when the price held.
    updated_at: float | None = None
    # Where the current price came from: 'websocket', 'dom', 'scan' or 'poll'.
    source: str = ''
    # What the page's chart series told of the instrument: its name ("Bitcoin / U.S. Dollar"), the decimals
    # its prices have (from pricescale) and its current bar, as the last `du` left it.
    name: str = ''
    decimals: int | None = None
    bar: Bar | None = None
    on_change: Callable[[PriceEntry], None] | None = field(default=None, repr=False, compare=False)
    # A whole series loaded (bars, seconds a bar spans): too big to copy with every change, so it has its own.
    on_series: SeriesListener | None = field(default=None, repr=False, compare=False)

    @property
    def exchange(self) -> str:
        return split_symbol(self.symbol)[0]

    @property
    def ticker(self) -> str:
        return split_symbol(self.symbol)[1]

    def merge_quote(self, values: dict[str, Any], source: str, at: float | None = None) -> bool:
        """Apply the fields of one quote update; returns True when the price itself changed."""
        at = time.time() if at is None else at
        self.updated_at = at
        if isinstance(values.get('ch'), (int, float)):
            self.change = float(values['ch'])
        if isinstance(values.get('chp'), (int, float)):
            self.change_percent = float(values['chp'])
        if isinstance(values.get('currency_code'), str):
            self.currency = values['currency_code']
        price = values.get('lp')
        if not isinstance(price, (int, float)) or isinstance(price, bool):
            self._mark_live()
            self._notify()  # the source spoke (updated_at), even if only its volume moved
            return False
        return self.set_price(float(price), source, at)

    def set_price(self, price: float, source: str, at: float | None = None) -> bool:
        self.updated_at = time.time() if at is None else at
        changed = price != self.price
        if changed:
            if self.price is not None:
                self.direction = 1 if price > self.price else -1
            self.source = source
            self.price = price
            self.price_text = format_price(price, self.decimals)
        self._mark_live()
        self._notify()
        return changed

    def _mark_live(self) -> None:
        if self.price is not None and self.status != Status.LIVE.value:
            self.status = Status.LIVE.value
            self.message = ''

    def set_status(self, status: Status, message: str = '') -> bool:
        """True when it changed anything."""
        if (self.status, self.message) == (status.value, message):
            return False
        self.status = status.value
        self.message = message
        self._notify()
        return True

    def describe(self, name: str, decimals: int | None) -> None:
        if (self.name, self.decimals) != (name, decimals):
            self.name, self.decimals = name, decimals
            if self.price is not None:
                self.price_text = format_price(self.price, decimals)
            self._notify()

    def load_series(self, bars: list[Bar], resolution: int) -> None:
        if bars:
            self.bar = bars[-1]
        if self.on_series is not None:
            self.on_series(self, bars, resolution)

    def merge_bar(self, bar: Bar, at: float | None = None) -> None:
        """A `du`: the source spoke, though the last price (the quote's) may not have moved."""
        self.updated_at = time.time() if at is None else at
        self.bar = bar
        self._notify()

    def values(self) -> dict[str, Any]:
        """The fields a copy needs, to carry them to another process or node: as they are (the pipe pickles them)
        and JSON-ready (a cluster message). `assign` reads them back either way."""
        return {name: getattr(self, name) for name in FIELDS}

    def assign(self, values: dict[str, Any]) -> None:
        """Become the copy `values()` made (the change hook is not called: the copy's owner tells who listens)."""
        for name in FIELDS:
            setattr(self, name, values[name])
        self.bar = bar_of(values)

    def public(self) -> dict[str, Any]:
        """What programs read of the entry, numbers as numbers (null before the first price): each element of a
        stream's events, and the core of an /api/tickers row."""
        return {'symbol': self.symbol, 'exchange': self.exchange, 'ticker': self.ticker, 'price': self.price,
                'price_text': self.price_text, 'change': self.change, 'change_percent': self.change_percent,
                'status': self.status, 'message': self.message, 'currency': self.currency,
                'updated_at': self.updated_at}

    def _notify(self) -> None:
        if self.on_change is not None:
            self.on_change(self)
