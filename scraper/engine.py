"""Subscriptions: one watcher per symbol however many viewers, cache-first, torn down with the last viewer."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Callable

from .browser import BrowserService
from .settings import Settings
from .state import PriceEntry
from .symbols import normalize_symbol
from .watcher import SymbolWatcher

log = logging.getLogger(__name__)


class TooManySymbols(RuntimeError):
    """The cap on open tabs is reached; `str(error)` is a message for the person who asked."""


@dataclass
class _Subscription:
    entry: PriceEntry
    task: asyncio.Task
    viewers: int = 1


class PriceEngine:
    """The price state of every watched symbol, and the only way in or out of it."""

    def __init__(self, settings: Settings, browser: BrowserService | None = None) -> None:
        self.settings = settings
        self.browser = browser or BrowserService(settings)
        self._subscriptions: dict[str, _Subscription] = {}
        self._closing: set[asyncio.Task] = set()
        self._price_listeners: list[Callable[[PriceEntry], None]] = []

    async def start(self) -> None:
        await self.browser.start()

    async def stop(self) -> None:
        tasks = [sub.task for sub in self._subscriptions.values()] + list(self._closing)
        self._subscriptions.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.browser.stop()

    def on_price(self, listener: Callable[[PriceEntry], None]) -> None:
        """Call `listener(entry)` after every price change of any symbol."""
        self._price_listeners.append(listener)

    def subscribe(self, raw_symbol: str) -> PriceEntry:
        """The entry for a symbol, watched from now on. Raises InvalidSymbol or TooManySymbols.

        Synchronous on purpose: with no await between lookup and insert, simultaneous first
        subscribers cannot start two watchers.
        """
        symbol = normalize_symbol(raw_symbol)
        if subscription := self._subscriptions.get(symbol):
            subscription.viewers += 1
            return subscription.entry
        if len(self._subscriptions) >= self.settings.max_symbols:
            raise TooManySymbols(f'At most {self.settings.max_symbols} symbols can be watched at once; '
                                 'remove one first.')
        entry = PriceEntry(symbol)
        watcher = SymbolWatcher(entry, self.browser, self.settings, self._price_changed)
        task = asyncio.create_task(watcher.run(), name=f'watch {symbol}')
        self._subscriptions[symbol] = _Subscription(entry, task)
        log.info('%s: watching (symbols watched: %d)', symbol, len(self._subscriptions))
        return entry

    def unsubscribe(self, symbol: str) -> None:
        """Give back one subscription; the last one closes the tab and forgets the price."""
        subscription = self._subscriptions.get(symbol)
        if subscription is None:
            return
        subscription.viewers -= 1
        if subscription.viewers > 0:
            return
        del self._subscriptions[symbol]
        subscription.task.cancel()
        self._closing.add(subscription.task)
        subscription.task.add_done_callback(self._closing.discard)
        log.info('%s: last viewer left, closing its tab', symbol)

    def entry(self, symbol: str) -> PriceEntry | None:
        subscription = self._subscriptions.get(symbol)
        return subscription.entry if subscription else None

    def viewers(self, symbol: str) -> int:
        subscription = self._subscriptions.get(symbol)
        return subscription.viewers if subscription else 0

    @property
    def symbols(self) -> list[str]:
        return sorted(self._subscriptions)

    def _price_changed(self, entry: PriceEntry) -> None:
        for listener in self._price_listeners:
            listener(entry)
