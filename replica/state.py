"""Market state, who watches what, test controls and counters (the sockets themselves: connections.py).
One `Market` per app, used on its event loop only."""
from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .connections import ChartSeries, DataSocket, PushSocket, Socket
from .formatting import decimals_for, price_text, round_price
from .search import SearchDesk
from .series import Bars, SeriesMode
from .troubles import Troubles
from .universe import EXCHANGES, Listing, listings, related_symbols

PRICE_FIELDS = frozenset({'lp', 'ch', 'chp', 'lp_time', 'bid', 'ask', 'high_price', 'low_price'})
UNKNOWN_SYMBOLS_KEPT = 1000  # bound the stats kept for unknown symbols, whatever clients ask for


@dataclass
class Counters:
    page_loads: int = 0
    served: int = 0  # pages actually rendered: its parity picks the main symbol's name form
    blocked: int = 0  # page requests the firewall turned away
    sockets_opened: int = 0
    sockets_closed: int = 0
    chart_sessions: int = 0  # series created for this symbol, by any page (its own, or a mini chart)
    user_agent: str | None = None  # headers of the last page request, so a test can see what a client sent
    sec_ch_ua: str | None = None

    def stats(self) -> dict[str, Any]:
        return {'page_loads': self.page_loads, 'blocked': self.blocked, 'sockets_opened': self.sockets_opened,
                'sockets_closed': self.sockets_closed, 'chart_sessions': self.chart_sessions,
                'user_agent': self.user_agent, 'sec_ch_ua': self.sec_ch_ua}


@dataclass(eq=False)
class SymbolState:
    listing: Listing
    price: float
    prev_close: float  # the 24 h reference that `ch` and `chp` are measured from
    volume: float
    lp_time: int
    frozen: bool = False
    dom_only: bool = False
    series: SeriesMode = 'on'  # the chart series: 'on', 'off' (no chart at all), 'stopped' (no du)
    bars: Bars | None = None  # made at the first chart that asks, then kept in step with the price
    counters: Counters = field(default_factory=Counters)
    mains: set[DataSocket] = field(default_factory=set)
    watchers: set[DataSocket] = field(default_factory=set)
    push_watchers: set[PushSocket] = field(default_factory=set)
    charts: set[ChartSeries] = field(default_factory=set)

    @property
    def small_decimals(self) -> int:
        return self.listing.coin.small_decimals

    @property
    def text(self) -> str:
        return price_text(self.price, self.small_decimals)

    @property
    def change(self) -> float:
        return round(self.price - self.prev_close, decimals_for(self.price, self.small_decimals))

    @property
    def change_percent(self) -> float:
        return round((self.price - self.prev_close) / self.prev_close * 100, 2)

    def price_fields(self) -> dict[str, Any]:
        return {'lp': self.price, 'ch': self.change, 'chp': self.change_percent, 'lp_time': self.lp_time}

    @property
    def pricescale(self) -> int:
        return 10 ** decimals_for(self.price, self.small_decimals)

    def set_price(self, price: float, now: float) -> dict[str, Any]:
        self.price = round_price(price, self.small_decimals)
        self.lp_time = int(now)
        if self.bars is not None:
            self.bars.move(self.price, now)
        return self.price_fields()

    def history(self, now: float) -> Bars:
        """The bars, made on first use so that they end at the price of that moment."""
        if self.bars is None:
            self.bars = Bars(self.listing.symbol, self.price, self.small_decimals, self.volume, now)
        self.bars.roll(now)
        return self.bars

    def snapshot(self) -> dict[str, Any]:
        """Every field the first qsd carries."""
        listing, coin = self.listing, self.listing.coin
        decimals = decimals_for(self.price, self.small_decimals)
        spread = 10 ** -decimals
        return {
            **self.price_fields(), 'volume': self.volume, 'currency_code': listing.currency,
            'bid': round(self.price - spread, decimals), 'ask': round(self.price + spread, decimals),
            'high_price': round(max(self.price, self.prev_close) * 1.012, decimals),
            'low_price': round(min(self.price, self.prev_close) * 0.991, decimals),
            'open_price': self.prev_close, 'prev_close_price': self.prev_close,
            'description': listing.description, 'local_description': f'{coin.local_name} / {listing.currency}',
            'exchange': listing.exchange, 'type': 'spot', 'short_name': listing.ticker,
            'pro_name': listing.symbol, 'original_name': listing.symbol,
            'pricescale': self.pricescale, 'minmov': 1, 'fractional': False,
            'current_session': 'market', 'update_mode': 'streaming', 'is_tradable': True,
            'base-currency-logoid': f'crypto/XTVC{coin.base}', 'currency-logoid': 'country/US',
        }

    def stats(self) -> dict[str, Any]:
        return {**self.counters.stats(), 'sockets_open': len(self.mains), 'price': self.price,
                'frozen': self.frozen, 'dom_only': self.dom_only, 'series': self.series,
                'chart_sessions_open': len(self.charts), 'watchers': len(self.watchers) + len(self.push_watchers)}


@dataclass(eq=False)
class Market:
    tick_interval: float
    rng: random.Random
    symbols: dict[str, SymbolState] = field(default_factory=dict)  # by `EX:TICKER`
    unknown: dict[str, Counters] = field(default_factory=dict)  # page loads of symbols nobody lists
    troubles: Troubles = field(default_factory=Troubles)
    data_sockets: set[DataSocket] = field(default_factory=set)
    push_sockets: set[PushSocket] = field(default_factory=set)
    pages: int = 0
    blocked: int = 0
    asset_requests: int = 0
    tick_changed: asyncio.Event = field(default_factory=asyncio.Event)
    clock: Callable[[], float] = time.time  # epoch seconds of lp_time and the bars; tests may run it ahead
    search: SearchDesk = field(default_factory=SearchDesk)  # the symbol search's counters and troubles

    @classmethod
    def create(cls, tick_interval: float, seed: int | None, clock: Callable[[], float] = time.time) -> Market:
        market = cls(tick_interval=tick_interval, rng=random.Random(seed), clock=clock)
        now = int(clock())
        for symbol, listing in listings().items():
            # Each exchange trades a little away from the others, and USDT books a hair away from USD
            # ones; yesterday's close and the volume are each market's own.
            start = listing.coin.price * EXCHANGES[listing.exchange].price_factor
            start *= 1.0003 if listing.currency == 'USDT' else 1.0
            start = round_price(start, listing.coin.small_decimals)
            prev_close = round_price(start * market.rng.uniform(0.97, 1.03), listing.coin.small_decimals)
            volume = round(listing.coin.supply * market.rng.uniform(0.002, 0.01), 2)  # 24 h, in coins
            market.symbols[symbol] = SymbolState(listing, start, prev_close, volume, now)
        return market

    def related(self, symbol: str) -> list[str]:
        return related_symbols(self.symbols[symbol].listing, self.symbols)

    def counters(self, symbol: str) -> Counters:
        if symbol in self.symbols:
            return self.symbols[symbol].counters
        if symbol not in self.unknown and len(self.unknown) >= UNKNOWN_SYMBOLS_KEPT:
            return Counters()  # past the cap: counted nowhere
        return self.unknown.setdefault(symbol, Counters())

    # --- sockets -------------------------------------------------------------------------------

    def open_data(self, sock: DataSocket) -> None:
        self.data_sockets.add(sock)
        if sock.main in self.symbols:
            state = self.symbols[sock.main]
            state.mains.add(sock)
            state.counters.sockets_opened += 1

    def close_socket(self, sock: Socket) -> None:
        """Forget a socket everywhere. Idempotent: drop, send failures and the handler's exit all call it."""
        sock.open = False
        for symbol in sock.subs:
            state = self.symbols[symbol]
            if isinstance(sock, PushSocket):
                state.push_watchers.discard(sock)
            elif isinstance(sock, DataSocket):
                state.watchers.discard(sock)
        sock.subs.clear()
        if isinstance(sock, DataSocket):
            for session in sock.charts.values():
                for series in session.series.values():
                    self.symbols[series.symbol].charts.discard(series)
            sock.charts.clear()
        if isinstance(sock, DataSocket) and sock in self.data_sockets:
            self.data_sockets.discard(sock)
            if sock.main in self.symbols:
                state = self.symbols[sock.main]
                state.mains.discard(sock)
                state.counters.sockets_closed += 1
        if isinstance(sock, PushSocket):
            self.push_sockets.discard(sock)

    def subscribe(self, sock: Socket, symbol: str, session: str, name: str) -> None:
        state = self.symbols[symbol]
        if isinstance(sock, PushSocket):  # a pushstream gets only what the page's data socket does not carry
            state.push_watchers.add(sock)
        elif isinstance(sock, DataSocket):
            state.watchers.add(sock)
        names = sock.subs.setdefault(symbol, [])
        if (session, name) not in names:
            names.append((session, name))

    def unsubscribe(self, sock: DataSocket, symbol: str, session: str) -> None:
        names = [n for n in sock.subs.get(symbol, []) if n[0] != session]
        if names:
            sock.subs[symbol] = names
        elif symbol in sock.subs:
            del sock.subs[symbol]
            self.symbols[symbol].watchers.discard(sock)

    # --- motion ----------------------------------------------------------------------------------

    def step(self) -> dict[str, dict[str, Any]]:
        """One tick of random motion for every watched, unfrozen symbol: what changed, per symbol."""
        updates: dict[str, dict[str, Any]] = {}
        now = self.clock()
        for symbol, state in self.symbols.items():
            if state.frozen or not (state.watchers or state.push_watchers):
                continue
            roll = self.rng.random()
            if roll < 0.25:
                continue  # quiet this tick: real symbols update every 1-4 s, not on a clock
            if roll < 0.4:
                state.volume = round(state.volume + self.rng.uniform(0.01, 5) * 10, 2)
                updates[symbol] = {'volume': state.volume}
                continue
            tick = 10 ** -decimals_for(state.price, state.small_decimals)
            move = state.price * self.rng.gauss(0, 0.0004)
            if abs(move) < tick:
                move = tick if self.rng.random() < 0.5 else -tick
            if state.price + move <= tick:
                move = tick
            updates[symbol] = state.set_price(state.price + move, now)
        return updates

    # --- controls --------------------------------------------------------------------------------

    def reset(self) -> None:
        self.troubles, self.search = Troubles(), SearchDesk()
        self.pages = self.blocked = self.asset_requests = 0
        self.unknown.clear()
        for state in self.symbols.values():
            state.frozen = state.dom_only = False
            state.series = 'on'
            state.counters = Counters()

    def set_tick(self, interval: float) -> None:
        self.tick_interval = interval
        self.tick_changed.set()

    def stats(self) -> dict[str, Any]:
        symbols = {symbol: state.stats() for symbol, state in self.symbols.items()}
        for symbol, counters in self.unknown.items():
            symbols[symbol] = {**counters.stats(), 'sockets_open': 0, 'price': None}
        return {'symbols': symbols, 'asset_requests': self.asset_requests, 'pages': self.pages,
                'blocked': self.blocked, 'search': self.search.stats(),
                'data_sockets_open': len(self.data_sockets), 'pushstreams_open': len(self.push_sockets),
                'tick_interval': self.tick_interval}
