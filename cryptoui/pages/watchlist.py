"""Each browser's own list of symbols, kept in app.storage.user so it survives reloads and restarts."""
from __future__ import annotations

from collections.abc import MutableMapping

from market.symbols import InvalidSymbol, normalize_symbol, sort_key

KEY = 'tickers'


class Watchlist:
    """The symbols one browser follows (`EXCHANGE:TICKER`), by ticker then exchange."""

    def __init__(self, storage: MutableMapping, default_exchange: str) -> None:
        self._storage = storage
        self._default_exchange = default_exchange

    @property
    def symbols(self) -> list[str]:
        return list(self._storage.get(KEY, []))

    def add(self, symbol: str) -> None:
        self._storage[KEY] = sorted({*self.symbols, symbol}, key=sort_key)

    def remove(self, symbol: str) -> None:
        self._storage[KEY] = [known for known in self.symbols if known != symbol]

    def valid_symbols(self) -> list[str]:
        """The stored list in today's form. Lists stored before symbols named their exchange hold bare
        tickers ('BTCUSD'): those meant the configured exchange, so they are rewritten with it. Anything that
        would no longer pass validation is dropped."""
        valid: list[str] = []
        for stored in self.symbols:
            try:
                symbol = normalize_symbol(stored, self._default_exchange) if isinstance(stored, str) else ''
            except InvalidSymbol:
                continue
            if not symbol:
                continue
            if symbol not in valid:
                valid.append(symbol)
        valid.sort(key=sort_key)
        if valid != self.symbols:
            self._storage[KEY] = valid
        return valid
