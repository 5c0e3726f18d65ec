"""The page `/symbol/{SYMBOL}`: one symbol's live chart, its own URL to bookmark and share.

`/symbol/BTCUSD` is BTCUSD on the default exchange, `/symbol/COINBASE:BTCUSD` on another. The page holds the
symbol like a card does (PageSubscriptions, released when NiceGUI deletes the client), so opening it from a card
finds the symbol's tab already open and its price cached.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.responses import RedirectResponse
from nicegui import Client, ui

from cryptoui.fanout.subscriptions import PageSubscriptions
from cryptoui.pages import connection, theme
from cryptoui.pages.symbol_chart import SymbolChart
from market.symbols import InvalidSymbol, normalize_symbol, split_symbol
from prices import TooManySymbols

if TYPE_CHECKING:
    from cryptoui.services import Services

TITLE = 'Crypto Tracker'
SHOWN_INPUT = 40  # of a bad URL's symbol, echoed back as text


def path(symbol: str, default_exchange: str) -> str:
    """The chart view of a normalized symbol: the bare ticker on the default exchange."""
    exchange, ticker = split_symbol(symbol)
    return f'/symbol/{ticker if exchange == default_exchange else symbol}'


def _header() -> None:
    with ui.header().classes('app-header items-center px-3 sm:px-6 py-2 gap-2 no-wrap'):
        with ui.link(target='/').classes('back-link tap-target').props('aria-label="Back to the dashboard"'):
            ui.icon('arrow_back', size='1.5rem')
        ui.icon('show_chart', size='1.75rem').classes('text-indigo-300 gt-xs')
        ui.label(TITLE).classes('brand')
        ui.space()
        connection.indicator()
        theme.dark_mode_toggle()


def _problem(text: str) -> None:
    """A page that cannot show a chart says why where the chart would be, and offers the way back."""
    with ui.column().classes('page-body symbol-problem items-center gap-3'):
        ui.icon('error_outline', size='2.5rem').classes('text-negative')
        ui.label(text).classes('problem-text').props('role=alert')
        ui.link('Back to your tickers', '/').classes('back-to-list tap-target')


class SymbolView:
    """One browser tab's chart of one symbol; owns that page's subscription."""

    def __init__(self, services: Services, client: Client, symbol: str) -> None:
        self._services = services
        self._client = client
        self._symbol = symbol
        self._subscriptions = PageSubscriptions(services.prices, on_subscribed=services.feed.track,
                                                on_released=services.feed.untrack_if_unwatched)
        # on_delete, not on_disconnect: a reload builds the new page before this one goes, so the tab survives.
        client.on_delete(self._subscriptions.close)
        # Each (re)connect brings a new socket: into the symbol's room, with the current state (after a reconnect
        # the component asks for the history whole, so a gap while disconnected does not stay on the chart).
        client.on_connect(lambda: services.feed.follow(client, self._subscriptions.symbols))

    def build(self) -> None:
        try:
            entry = self._subscriptions.add(self._symbol)
        except TooManySymbols as error:
            _problem(str(error))
            return
        with ui.column().classes('page-body symbol-body'):
            self._chart = SymbolChart(entry, self._services.prices.history(self._symbol),
                                      self._services.feed.loaded_at(self._symbol),
                                      on_listening=self._follow, on_reload=self._reload)

    def _follow(self) -> None:
        self._services.feed.follow(self._client, self._subscriptions.symbols)

    def _reload(self) -> None:
        services = self._services
        self._chart.load(services.prices.history(self._symbol), services.feed.loaded_at(self._symbol))


def register(services: Services) -> None:
    @ui.page('/symbol/{raw}')
    def symbol_page(client: Client, raw: str) -> RedirectResponse | None:
        try:
            symbol = normalize_symbol(raw, services.settings.exchange)
        except InvalidSymbol as error:
            shown = raw if len(raw) <= SHOWN_INPUT else raw[:SHOWN_INPUT] + '…'
            ui.page_title(f'Not a symbol · {TITLE}')
            theme.apply_colors()
            _header()
            _problem(f'“{shown}” is not a symbol we can chart. {error}')  # a label: text, never HTML
            return None
        canonical = path(symbol, services.settings.exchange)
        if f'/symbol/{raw}' != canonical:  # one URL per symbol, however it was typed: /symbol/btcusd
            return RedirectResponse(canonical, status_code=308)
        exchange, ticker = split_symbol(symbol)
        ui.page_title(f'{ticker} on {exchange} · {TITLE}')
        theme.apply_colors()
        _header()
        SymbolView(services, client, symbol).build()
        return None
