"""The first word from the source about symbols a page just added: live, or not found.

A page listens to the source's changes of state only while it waits for that word (a few hundred ms to a few
seconds), so it costs nothing per tick and nothing once the symbol is live (price_feed.py explains why a page
holds nothing per shared entry).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from market.entry import Status
from prices import LivePrice, PriceSource, Remove

NotFound = Callable[[str, str, str], None]  # symbol, the text typed, the source's message
WAITING = {Status.CONNECTING.value, Status.RECONNECTING.value}


@dataclass(frozen=True)
class _Wait:
    entry: LivePrice  # this watch's: a later watch of the same symbol is another entry
    raw: str


class Verdicts:
    """Owned by one page: `close()` (when the page goes) removes its listener, if it still has one."""

    def __init__(self, prices: PriceSource, on_not_found: NotFound) -> None:
        self._prices = prices
        self._on_not_found = on_not_found
        self._waits: dict[str, _Wait] = {}
        self._stop_listening: Remove | None = None  # while anything is awaited

    def await_first_word(self, entry: LivePrice, raw: str) -> None:
        self._drop(entry.symbol)
        if entry.status == Status.ERROR.value:  # another viewer's tab already knows
            self._on_not_found(entry.symbol, raw, entry.message)
        elif entry.status in WAITING:
            self._waits[entry.symbol] = _Wait(entry, raw)
            if self._stop_listening is None:
                self._stop_listening = self._prices.on_state(self._state_changed)

    def _state_changed(self, entry: LivePrice) -> None:
        wait = self._waits.get(entry.symbol)
        if wait is None or wait.entry is not entry or entry.status in WAITING:
            return
        self._drop(entry.symbol)
        if entry.status == Status.ERROR.value:
            # Not from inside the source's call: taking the card off gives the symbol back to the source.
            asyncio.get_running_loop().call_soon(lambda: self._on_not_found(entry.symbol, wait.raw, entry.message))

    def forget(self, symbol: str) -> None:
        """The symbol left the page before its first word: stop waiting."""
        self._drop(symbol)

    def close(self) -> None:
        self._waits.clear()
        self._stop()

    def _drop(self, symbol: str) -> None:
        self._waits.pop(symbol, None)
        if not self._waits:
            self._stop()

    def _stop(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
