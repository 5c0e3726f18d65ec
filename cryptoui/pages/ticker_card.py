"""One card: a symbol's live price, change, state, sparkline, its alert, a link to its chart and a remove button.

The card is one element whose component (ticker_card.js) takes every later change from the symbol's room
(price_feed): the server sends each change once for all viewers, and a card holds no binding to the shared
entry, so a new viewer costs the same whether 1 or 1000 others watch the symbol. Its sparkline grows in the
browser from the newest point each 'prices' message carries, so history costs no message per tick.
"""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import orjson
from nicegui import ui

from cryptoui.fanout.price_feed import price_message, sparkline, status_message
from library_hooks.element_props import forget_prop
from prices import LivePrice

BROWSER_MODULES = {'crypto-ui': 'web'}  # cryptoui/pages/web/: the clock, price formatting and sparkline shared in JS


class TickerCard(ui.element, component='ticker_card.js', esm=BROWSER_MODULES):
    """The card for one symbol; `entry.symbol` has passed normalize_symbol, so it is safe in attributes.

    `href` is the symbol's chart view (symbol_page.path), which a click or Enter on the card opens.
    """

    def __init__(self, entry: LivePrice, href: str, on_remove: Callable[[str], Awaitable[None]],
                 on_listening: Callable[[str], None], on_alert: Callable[[str], None]) -> None:
        super().__init__()
        self.symbol = entry.symbol
        self._props['symbol'] = entry.symbol
        self._props['ticker'] = entry.ticker
        self._props['exchange'] = entry.exchange
        self._props['href'] = href
        # What the entry holds now shows at once (a cached price and its sparkline, with no round trip); the
        # rest is pushed. `now` lets the browser say "2 s ago" by the server's clock, not its own.
        self._props['initial'] = {**price_message(entry), **status_message(entry), 'now': time.time()}
        # As text: NiceGUI would wrap each of its ~100 points in an observable list, per card per viewer.
        self._props['history'] = orjson.dumps(sparkline(entry.history)).decode()
        self.on('remove', lambda: on_remove(self.symbol))
        self.on('listening', lambda: self._listening(on_listening))
        self._props['alert'] = None
        self.on('alert', lambda: on_alert(self.symbol))

    def show_alert(self, view: dict | None) -> None:
        """The alert line (alerts.card_view); sent only when it changes, never per tick."""
        if self._props['alert'] != view:
            self._props['alert'] = view

    def _listening(self, on_listening: Callable[[str], None]) -> None:
        # The browser has the sparkline now, and grows it itself: the server need not keep a copy per viewer.
        forget_prop(self, 'history')  # nothing to tell the page
        on_listening(self.symbol)
