"""Each browser's own list of tickers, kept in app.storage.user so it survives reloads and restarts."""
from __future__ import annotations

from typing import MutableMapping

from scraper import InvalidSymbol, normalize_symbol

KEY = 'tickers'


class Watchlist:
    """The symbols one browser follows, always sorted and normalized."""

    def __init__(self, storage: MutableMapping) -> None:
        self._storage = storage

    @property
    def symbols(self) -> list[str]:
        return list(self._storage.get(KEY, []))

    def add(self, symbol: str) -> None:
        self._storage[KEY] = sorted({*self.symbols, symbol})

    def remove(self, symbol: str) -> None:
        self._storage[KEY] = [known for known in self.symbols if known != symbol]

    def valid_symbols(self) -> list[str]:
        """The stored list, dropping anything that would no longer pass validation."""
        valid = []
        for symbol in self.symbols:
            try:
                if normalize_symbol(symbol) == symbol:
                    valid.append(symbol)
            except InvalidSymbol:
                pass
        if valid != self.symbols:
            self._storage[KEY] = valid
        return valid
