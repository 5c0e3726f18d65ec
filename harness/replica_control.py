"""A client for the TradingView replica's test controls (/_replica/...): prices, freezes, failures, stats."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from replica.universe import qualify


@dataclass
class ReplicaControl:
    """Drives the TradingView replica through its /_replica/ control API. A `symbol` is `EXCHANGE:TICKER`
    or a bare ticker, which means BINANCE's, as the replica reads it."""
    url: str

    def _post(self, path: str, **body: Any) -> dict:
        response = httpx.post(f'{self.url}/_replica/{path}', json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def set_price(self, symbol: str, price: float) -> dict:
        return self._post('price', symbol=symbol, price=price)

    def freeze(self, symbol: str, frozen: bool = True) -> None:
        self._post('freeze', symbol=symbol, frozen=frozen)

    def drop(self, symbol: str) -> None:
        self._post('drop', symbol=symbol)

    def fail(self, seconds: float, symbol: str | None = None, status: int = 503) -> None:
        self._post('fail', status=status, seconds=seconds, symbol=symbol)

    def hang(self, seconds: float, symbol: str | None = None) -> None:
        self._post('hang', seconds=seconds, symbol=symbol)

    def dom_only(self, symbol: str, on: bool = True) -> None:
        self._post('dom_only', symbol=symbol, on=on)

    def tick(self, interval: float) -> None:
        self._post('tick', interval=interval)

    def series(self, symbol: str, mode: str) -> None:
        """The symbol's chart series: 'on' (the default), 'off' (no page opens a chart session for it, and the
        socket answers none), 'stopped' (the series loads, then no `du` while quotes go on)."""
        self._post('series', symbol=symbol, mode=mode)

    def bar(self, symbol: str, close: float) -> dict:
        """A `du` alone, no qsd: the current bar closes at `close`; the quoted price stays. Answers
        `{"ok","sent_at","sockets","bar":{"t","o","h","l","c","v"},"price","frozen","series"}`."""
        return self._post('bar', symbol=symbol, close=close)

    def series_error(self, symbol: str, message: str = 'unknown error') -> int:
        """`series_error` on every live chart series of the symbol, which ends them. Returns how many."""
        return self._post('series_error', symbol=symbol, message=message)['sessions']

    def reset(self) -> None:
        self._post('reset')

    def stats(self, symbol: str | None = None) -> dict:
        data = httpx.get(f'{self.url}/_replica/stats', timeout=10).json()
        if symbol is None:
            return data
        # Keyed `EXCHANGE:TICKER` (BTCUSD is BINANCE:BTCUSD); a symbol nothing has asked for has no entry.
        return data['symbols'].get(qualify(symbol), {'page_loads': 0, 'blocked': 0, 'sockets_open': 0,
                                                     'sockets_opened': 0, 'sockets_closed': 0,
                                                     'user_agent': None, 'sec_ch_ua': None})

    def price(self, symbol: str) -> float:
        return self._price(symbol)['price']

    def price_text(self, symbol: str) -> str:
        """The price as the page shows it: with the decimals of the symbol's pricescale, as the app does too."""
        return self._price(symbol)['text']

    def _price(self, symbol: str) -> dict:
        response = httpx.get(f'{self.url}/_replica/price/{symbol}', timeout=10)  # the replica qualifies it
        response.raise_for_status()
        return response.json()

