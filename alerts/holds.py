"""The symbols armed alerts hold in the price source, as one more viewer each: the tab stays open with no page.

One subscription per symbol, however many alerts it has; released when its last armed alert goes. A symbol
the source refuses (--max-symbols reached, e.g. after the cap was lowered and the app restarted) waits and is
asked for again every RETRY_S, and its alerts say they are on hold meanwhile.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from prices import PriceSource, TooManySymbols

log = logging.getLogger(__name__)
RETRY_S = 10.0


class Holds:
    def __init__(self, engine: PriceSource) -> None:
        self._engine = engine
        self.held: set[str] = set()
        self.waiting: set[str] = set()

    def hold(self, symbol: str) -> None:
        """Hold `symbol` now, or raise TooManySymbols (whose text is for the person setting the alert)."""
        if symbol not in self.held:
            self._engine.subscribe(symbol)
            self.held.add(symbol)
            self.waiting.discard(symbol)

    def sync(self, wanted: Iterable[str]) -> None:
        """Hold exactly `wanted`: release the rest, and ask for what is missing (waiting if refused)."""
        wanted = set(wanted)
        for symbol in self.held - wanted:
            self.held.discard(symbol)
            self._engine.unsubscribe(symbol)
        self.waiting &= wanted
        for symbol in sorted(wanted - self.held):
            try:
                self.hold(symbol)
            except TooManySymbols:
                if symbol not in self.waiting:
                    log.warning('%s: its alerts wait, the price source is full (--max-symbols)', symbol)
                self.waiting.add(symbol)

    def release_all(self) -> None:
        """At shutdown. The engine may be gone already (a Ctrl+C reaches its process too): nothing to give back."""
        for symbol in self.held:
            try:
                self._engine.unsubscribe(symbol)
            except RuntimeError as error:
                log.info('%s not given back: %s', symbol, error)
        self.held.clear()
        self.waiting.clear()
