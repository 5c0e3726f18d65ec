"""Prices from this machine's own engine: viewers counted here, the engine in its own process (engine_process).

This is the seam between the engine and the UI. The UI's loop owns everything in this module: who watches
what, the cap, and one LivePrice per symbol, whose changes it tells its listeners. The engine only hears
"watch" once per symbol and "unwatch" when its last viewer leaves, and hands each change of an entry back to
this loop.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from market.entry import Status
from market.history import PriceHistory
from market.symbols import InvalidSymbol, normalize_symbol, sort_key
from scraper.engine_messages import BrowserHealth, Changed, Forget, Own, Republish, SeriesLoaded, Unwatch, Watch
from settings import Settings

from .engine_process import EngineProcess
from .health import ClusterView, Mode
from .listeners import Listeners, Remove
from .live_price import LivePrice
from .source import PriceListener, SeriesListener, TooManySymbols

log = logging.getLogger(__name__)


@dataclass
class _Subscription:
    price: LivePrice
    token: int  # tells this watch's hand-overs from those of an earlier watch of the same symbol
    viewers: int = 1
    fence: int | None = None  # a cluster node's lease term under which the engine publishes it


class LocalPrices:
    """The PriceSource, SourceHealth and Instruments of a single process (and of each cluster node's own tabs)."""

    mode = Mode.SINGLE

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine = EngineProcess(settings, self._apply, self._apply_series, self._lag, self._engine_died)
        self._lag_listeners: Listeners[[float]] = Listeners()
        self._restart: asyncio.Task | None = None
        self._restarts = 0  # in a row, without a price in between: they back off
        self._subscriptions: dict[str, _Subscription] = {}
        self._price_listeners: Listeners[[LivePrice]] = Listeners()
        self._state_listeners: Listeners[[LivePrice]] = Listeners()
        self._handover_listeners: Listeners[[float]] = Listeners()
        self._change_listeners: Listeners[[str, dict[str, Any]]] = Listeners()
        self._series_listeners: Listeners[[str, PriceHistory]] = Listeners()
        self._tokens = 0

    @property
    def browser(self) -> BrowserHealth:
        """The engine's browser as last reported (with every change, and 4 times a second)."""
        return self._engine.browser

    @property
    def engine_pid(self) -> int | None:
        return self._engine.pid

    async def start(self) -> None:
        await self._engine.start()

    async def stop(self) -> None:
        if self._restart is not None:
            self._restart.cancel()
        self._subscriptions.clear()
        await self._engine.stop()

    def on_price(self, listener: PriceListener) -> Remove:
        """Call `listener(price)` on this loop after every price change of any symbol."""
        return self._price_listeners.add(listener)

    def on_state(self, listener: PriceListener) -> Remove:
        """Call `listener(price)` on this loop after a symbol's status, message, currency or name changed."""
        return self._state_listeners.add(listener)

    def on_handover(self, listener: Callable[[float], None]) -> Remove:
        """Call `listener(seconds)` with how long each change waited between the engine and this loop."""
        return self._handover_listeners.add(listener)

    def on_hop(self, listener: Callable[[float], None]) -> Remove:
        """No other node sends this one anything."""
        return lambda: None

    def on_change(self, listener: Callable[[str, dict[str, Any]], None]) -> Remove:
        """Call `listener(symbol, values)` after every change of any entry (price, status, message...)."""
        return self._change_listeners.add(listener)

    def on_series(self, listener: SeriesListener) -> Remove:
        """Call `listener(symbol, history)` after the page's chart series (re)loaded into a symbol's history."""
        return self._series_listeners.add(listener)

    def on_engine_lag(self, listener: Callable[[float], None]) -> Remove:
        """Call `listener(seconds)` with each sample (4 a second) of how late the engine's loop runs."""
        return self._lag_listeners.add(listener)

    def subscribe(self, raw_symbol: str) -> LivePrice:
        """The price of a symbol, watched from now on. Raises InvalidSymbol or TooManySymbols.

        Synchronous on purpose: with no await between lookup and insert, simultaneous first subscribers
        cannot start two watchers. A symbol already watched is answered from its cached price at once.
        """
        symbol = normalize_symbol(raw_symbol, self.settings.exchange)
        if subscription := self._subscriptions.get(symbol):
            subscription.viewers += 1
            return subscription.price
        if len(self._subscriptions) >= self.settings.max_symbols:
            raise TooManySymbols(f'At most {self.settings.max_symbols} symbols can be watched at once; '
                                 'remove one first.')
        self._tokens += 1
        subscription = _Subscription(LivePrice(symbol), self._tokens)
        self._engine.send(Watch(symbol, subscription.token))
        self._subscriptions[symbol] = subscription
        return subscription.price

    def unsubscribe(self, raw_symbol: str) -> None:
        """Give back one subscription; the last one closes the tab and forgets the price."""
        symbol = self._known(raw_symbol)
        subscription = self._subscriptions.get(symbol)
        if subscription is None:
            return
        subscription.viewers -= 1
        if subscription.viewers > 0:
            return
        del self._subscriptions[symbol]
        if subscription.fence is not None:  # a cluster node's last viewer anywhere left: the cluster forgets it
            self._engine.send(Forget(symbol))
        self._engine.send(Unwatch(symbol))

    def entry(self, raw_symbol: str) -> LivePrice | None:
        subscription = self._subscriptions.get(self._known(raw_symbol))
        return subscription.price if subscription else None

    def history(self, raw_symbol: str) -> PriceHistory | None:
        price = self.entry(raw_symbol)
        return price.history if price else None

    def viewers(self, raw_symbol: str) -> int:
        subscription = self._subscriptions.get(self._known(raw_symbol))
        return subscription.viewers if subscription else 0

    @property
    def symbols(self) -> list[str]:
        """`EXCHANGE:TICKER` of every watched symbol, by ticker then exchange."""
        return sorted(self._subscriptions, key=sort_key)

    def owner(self, raw_symbol: str) -> str | None:
        """The node whose Chromium watches the symbol: in a single process, no node is named."""
        return None

    def cluster_view(self) -> ClusterView | None:
        return None

    def browser_health(self) -> BrowserHealth:
        return self._engine.browser

    def publish_as(self, symbol: str, fence: int | None) -> None:
        """Cluster nodes: the engine publishes this watched symbol's changes under `fence`; None stops it."""
        subscription = self._subscriptions.get(symbol)
        if subscription is not None and subscription.fence != fence:
            subscription.fence = fence
            self._engine.send(Own(symbol, fence))

    def republish(self, symbol: str) -> None:
        """Cluster nodes: the engine publishes the symbol's whole current state again."""
        if symbol in self._subscriptions:
            self._engine.send(Republish(symbol))

    @property
    def published(self) -> int:
        return self._engine.published

    def _known(self, raw_symbol: str) -> str:
        try:
            return normalize_symbol(raw_symbol, self.settings.exchange)
        except InvalidSymbol:
            return ''

    def _apply(self, change: Changed) -> None:
        """On this loop: one change of a watched entry, as the engine handed it over."""
        subscription = self._subscriptions.get(change.symbol)
        if subscription is None or subscription.token != change.token:
            return  # from a watch that has ended since
        self._restarts = 0
        self._handover_listeners(time.time() - change.handed_at)
        moved, restated = subscription.price.apply(change.values)
        if restated:
            self._state_listeners(subscription.price)
        if moved:
            self._price_listeners(subscription.price)
        self._change_listeners(change.symbol, change.values)

    def _apply_series(self, series: SeriesLoaded) -> None:
        subscription = self._subscriptions.get(series.symbol)
        if subscription is not None and subscription.token == series.token:
            subscription.price.apply_series(series.bars, series.resolution)
            self._series_listeners(series.symbol, subscription.price.history)

    def _lag(self, seconds: float) -> None:
        self._lag_listeners(seconds)

    def _engine_died(self) -> None:
        """Start a new engine and give it every symbol still wanted; their cards say what happened meanwhile."""
        for subscription in list(self._subscriptions.values()):
            if subscription.price.set_status(Status.RECONNECTING, 'The price engine stopped; restarting it'):
                self._state_listeners(subscription.price)
        self._restart = asyncio.get_running_loop().create_task(self._restart_engine(), name='restart engine')

    async def _restart_engine(self) -> None:
        self._restarts += 1
        await asyncio.sleep(min(self.settings.backoff_max, self.settings.backoff_initial * 2 ** (self._restarts - 1)))
        await self._engine.start()
        for symbol, subscription in self._subscriptions.items():
            self._tokens += 1
            subscription.token = self._tokens
            self._engine.send(Watch(symbol, subscription.token))
            if subscription.fence is not None:
                self._engine.send(Own(symbol, subscription.fence))
        log.info('price engine restarted with %d symbols', len(self._subscriptions))
