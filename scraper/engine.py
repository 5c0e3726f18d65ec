"""The engine: one shared Chromium and one watcher (one tab) per symbol, all on the event loop it runs on.

Who wants which symbol, and how many of them, is the caller's business (prices/): here a symbol is watched
from `watch` to `unwatch`, and every change of its entry is reported through the hook given to `watch`.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from market.entry import PriceEntry, SeriesListener
from market.symbols import sort_key
from settings import Settings

from .browser import BrowserService
from .watcher import SymbolWatcher

log = logging.getLogger(__name__)
EntryHook = Callable[[PriceEntry], None]


@dataclass
class _Watch:
    entry: PriceEntry
    task: asyncio.Task


class PriceEngine:
    def __init__(self, settings: Settings, browser: BrowserService | None = None) -> None:
        self.settings = settings
        self.browser = browser or BrowserService(settings)
        self._watches: dict[str, _Watch] = {}
        self._closing: set[asyncio.Task] = set()

    async def start(self) -> None:
        await self.browser.start()

    async def stop(self) -> None:
        tasks = [watch.task for watch in self._watches.values()] + list(self._closing)
        self._watches.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.browser.stop()

    def watch(self, symbol: str, on_change: EntryHook, on_series: SeriesListener | None = None) -> PriceEntry:
        """Open a tab for a symbol that passed normalize_symbol; `on_change(entry)` follows every change, and
        `on_series(entry, bars, resolution)` every load of the page's chart series."""
        if symbol in self._watches:
            raise RuntimeError(f'{symbol} is already watched')
        entry = PriceEntry(symbol, on_change=on_change, on_series=on_series)
        watcher = SymbolWatcher(entry, self.browser, self.settings)
        task = asyncio.create_task(watcher.run(), name=f'watch {symbol}')
        self._watches[symbol] = _Watch(entry, task)
        log.info('%s: watching (symbols watched: %d)', symbol, len(self._watches))
        return entry

    def unwatch(self, symbol: str) -> None:
        """Close the symbol's tab and forget its price; nothing is reported for it any more."""
        watch = self._watches.pop(symbol, None)
        if watch is None:
            return
        watch.entry.on_change = watch.entry.on_series = None
        watch.task.cancel()
        self._closing.add(watch.task)
        watch.task.add_done_callback(self._closing.discard)
        log.info('%s: no viewer left, closing its tab', symbol)

    def entry(self, symbol: str) -> PriceEntry | None:
        watch = self._watches.get(symbol)
        return watch.entry if watch is not None else None

    @property
    def symbols(self) -> list[str]:
        return sorted(self._watches, key=sort_key)
