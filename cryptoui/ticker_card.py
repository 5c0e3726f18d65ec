"""One card: a symbol's live price, change, state, its alert and a remove button.

The card is one element whose component (ticker_card.js) takes every later change from the symbol's room
(price_feed): the server sends each change once for all viewers, and a card holds no binding to the shared
entry, so a new viewer costs the same whether 1 or 1000 others watch the symbol.
"""
from __future__ import annotations

from typing import Awaitable, Callable

from nicegui import ui

from scraper import PriceEntry

from .price_feed import price_message, status_message


class TickerCard(ui.element, component='ticker_card.js'):
    """The card for one symbol; `entry.symbol` has passed normalize_symbol, so it is safe in attributes."""

    def __init__(self, entry: PriceEntry, on_remove: Callable[[str], Awaitable[None]],
                 on_listening: Callable[[str], None], on_alert: Callable[[str], None]) -> None:
        super().__init__()
        self.symbol = entry.symbol
        self._props['symbol'] = entry.symbol
        self._props['ticker'] = entry.ticker
        self._props['exchange'] = entry.exchange
        # What the entry holds now shows at once (a cached price with no round trip); the rest is pushed.
        self._props['initial'] = {**price_message(entry), **status_message(entry)}
        self.on('remove', lambda: on_remove(self.symbol))
        self.on('listening', lambda: on_listening(self.symbol))
        self._props['alert'] = None
        self.on('alert', lambda: on_alert(self.symbol))

    def show_alert(self, view: dict | None) -> None:
        """The alert line (alerts.card_view); sent only when it changes, never per tick."""
        if self._props['alert'] != view:
            self._props['alert'] = view
