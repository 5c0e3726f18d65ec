"""The chart view's live part: one symbol's price, state, range figures and a large ECharts chart.

Like a card, it is one element whose component (symbol_chart.js) follows the symbol's room in the browser: each
'prices' message's newest point extends the chart there (the current bar, or a new one), so a viewer costs no
server-side update per tick. The server sends the history whole only when the page opens and when the
history was loaded again (a 'history' message in the room says so: the component asks for it).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
from nicegui import ui

from cryptoui.fanout.price_feed import price_message, status_message
from cryptoui.pages.ticker_card import BROWSER_MODULES
from library_hooks import echart
from library_hooks.element_props import forget_prop
from market.history import PriceHistory
from prices import LivePrice

echart.register_browser_module()  # symbol_chart.js imports `echarts` from NiceGUI's own copy

TICKS_SENT_S = 3600  # the recorded prices a page gets: the finest line of the shortest range (1h)


def chart_data(history: PriceHistory | None, loaded: float | None) -> dict[str, Any]:
    """The bars (all we keep, ≤ 2000) and the last hour of prices, as the component draws them, and when the
    history was last loaded whole (PriceFeed.loaded_at): the component asks again only after a newer load."""
    if history is None:
        return {'bars': [], 'ticks': [], 'resolution': 60, 'from_series': False, 'loaded': loaded}
    return {'bars': history.bars(), 'ticks': history.ticks(since=time.time() - TICKS_SENT_S),
            'resolution': history.resolution, 'from_series': history.from_series, 'loaded': loaded}


class SymbolChart(ui.element, component='symbol_chart.js', esm=BROWSER_MODULES):
    """`entry.symbol` has passed normalize_symbol, so it is safe in attributes."""

    def __init__(self, entry: LivePrice, history: PriceHistory | None, loaded: float | None,
                 on_listening: Callable[[], None], on_reload: Callable[[], None]) -> None:
        super().__init__()
        self._props['symbol'] = entry.symbol
        self._props['ticker'] = entry.ticker
        self._props['exchange'] = entry.exchange
        self._props['initial'] = {**price_message(entry), **status_message(entry), 'now': time.time()}
        # As text: NiceGUI would wrap each bar and price in an observable list (thousands per viewer).
        self._props['history'] = orjson.dumps(chart_data(history, loaded)).decode()
        self.on('listening', lambda: self._listening(on_listening))
        self.on('reload', on_reload)

    def _listening(self, on_listening: Callable[[], None]) -> None:
        # The browser holds the history now and extends it itself: no copy of it (~150 kB) stays here per viewer.
        forget_prop(self, 'history')  # nothing to tell the page
        on_listening()

    def load(self, history: PriceHistory | None, loaded: float | None) -> None:
        """The whole history again (after it was reloaded, or the socket came back): the chart starts over."""
        self.run_method('load', chart_data(history, loaded))
