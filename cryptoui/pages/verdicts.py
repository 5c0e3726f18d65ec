"""The first word from the source about symbols a page just added: live, or not found.

A page binds to a shared entry only while it waits for that word (a few hundred ms to a few seconds), so
it costs nothing per tick and nothing once the symbol is live (price_feed.py explains why a page holds no
binding to shared entries).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable

from nicegui import binding
from nicegui.binding import BindableProperty

from market.entry import PriceEntry, Status

NotFound = Callable[[str, str, str], None]  # symbol, the text typed, the source's message
WAITING = {Status.CONNECTING.value, Status.RECONNECTING.value}


class _Wait:
    status = BindableProperty(on_change=lambda wait, _: wait._changed())

    def __init__(self, entry: PriceEntry, raw: str, on_word: Callable[[_Wait], None]) -> None:
        self.entry = entry
        self.raw = raw
        self._on_word: Callable[[_Wait], None] | None = None  # not for the status it starts with
        self.status = entry.status
        binding.bind_from(self, 'status', entry, 'status')
        self._on_word = on_word

    def _changed(self) -> None:
        if self._on_word is not None and self.status not in WAITING:
            self._on_word(self)


class Verdicts:
    def __init__(self, on_not_found: NotFound) -> None:
        self._on_not_found = on_not_found
        self._waits: dict[str, _Wait] = {}

    def await_first_word(self, entry: PriceEntry, raw: str) -> None:
        self._drop(entry.symbol)
        if entry.status == Status.ERROR.value:  # another viewer's tab already knows
            self._on_not_found(entry.symbol, raw, entry.message)
        elif entry.status in WAITING:
            self._waits[entry.symbol] = _Wait(entry, raw, self._heard)

    def _heard(self, wait: _Wait) -> None:
        self._drop(wait.entry.symbol)
        if wait.status == Status.ERROR.value:
            # The status changes first, its message a moment later in the same update: read it after.
            asyncio.get_running_loop().call_soon(
                lambda: self._on_not_found(wait.entry.symbol, wait.raw, wait.entry.message))

    def forget(self, symbol: str) -> None:
        """The symbol left the page before its first word: stop waiting."""
        self._drop(symbol)

    def _drop(self, symbol: str) -> None:
        if (wait := self._waits.pop(symbol, None)) is not None:
            wait._on_word = None
            binding.remove([wait])

    def close(self) -> None:
        for symbol in list(self._waits):
            self._drop(symbol)
