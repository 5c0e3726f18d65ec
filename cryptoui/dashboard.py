"""The page `/`: a header, the add form, the portfolio, the sort and filter row and the grid of ticker cards."""
from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass

from nicegui import Client, app, ui

from alerts.service import AlertService
from prices import PriceSource, TooManySymbols
from scraper import InvalidSymbol, PriceEntry, Settings, Status, normalize_symbol, sort_key

from . import connection, symbol_page, theme
from .alert_tools import AlertTools
from .page_tools import PageTools
from .price_feed import PriceFeed
from .subscriptions import PageSubscriptions
from .ticker_card import TickerCard
from .watchlist import Watchlist

SUGGESTIONS = ('BTCUSD', 'ETHUSD', 'SOLUSD')


@dataclass(frozen=True)
class Services:
    engine: PriceSource
    settings: Settings
    feed: PriceFeed
    alerts: AlertService


# The open pages of each browser (by its session cookie), so a change made in one tab shows in the others.
_pages_by_browser: defaultdict[str, set[Dashboard]] = defaultdict(set)


class Dashboard:
    """One browser tab's view. Holds exactly the subscriptions of the cards it shows."""

    def __init__(self, services: Services, client: Client) -> None:
        self._services = services
        self._client = client
        self._browser_id: str = app.storage.browser['id']
        self._watchlist = Watchlist(app.storage.user, services.settings.exchange)
        self._subscriptions = PageSubscriptions(services.engine, on_subscribed=services.feed.track,
                                                on_released=services.feed.untrack_if_unwatched)
        self._cards: dict[str, TickerCard] = {}
        self._tools = PageTools(app.storage.user, services.engine, self._cards,
                                listed=lambda: self._watchlist.symbols,
                                siblings=lambda: [page._tools for page in self._sibling_pages()],
                                alerts=AlertTools(services.alerts, services.engine, self._browser_id, app.storage.user,
                                                  self._cards, services.settings.exchange))
        # on_delete, not on_disconnect: a reload builds the new page before this one is deleted, so the
        # symbols' tabs stay open across reloads; a closed browser releases them after reconnect_timeout.
        client.on_delete(self._close)
        # Each (re)connect brings a new socket: put it in the rooms of the symbols shown and catch it up. A card
        # whose component loads later asks again once it listens (_follow).
        client.on_connect(lambda: services.feed.follow(client, self._subscriptions.symbols))
        _pages_by_browser[self._browser_id].add(self)

    # --- building -------------------------------------------------------------------------------------

    def build(self) -> None:
        theme.apply_colors()
        self._header()
        with ui.column().classes('page-body'):
            self._add_form()
            self._tools.build()
            self._empty = self._empty_state()
            self._grid = ui.element('div').classes('ticker-grid').props('data-testid=ticker-grid')
            self._tools.follow_grid(self._grid)
        for symbol in self._watchlist.valid_symbols():
            self._show_stored(symbol)
        self._update_empty_state()

    def _header(self) -> None:
        with ui.header().classes('app-header items-center px-3 sm:px-6 py-2 gap-2 no-wrap'):
            ui.icon('show_chart', size='1.75rem').classes('text-indigo-300')
            ui.label('Crypto Tracker').classes('brand')
            ui.space()
            connection.indicator()
            theme.dark_mode_toggle()

    def _add_form(self) -> None:
        with ui.row().classes('add-form'):
            self._input = ui.input('Ticker', placeholder='BTCUSD or COINBASE:BTCUSD', validation=self._problem,
                                   on_change=self._clear_error) \
                .without_auto_validation() \
                .props('outlined autocomplete=off autocorrect=off autocapitalize=characters spellcheck=false') \
                .on('keydown.enter', self._submit)
            ui.button('Add', icon='add', on_click=self._submit).props('unelevated no-caps').classes('add-button')

    def _empty_state(self) -> ui.column:
        with ui.column().classes('empty-state items-center gap-3') as empty:
            ui.icon('query_stats', size='2.5rem')
            ui.label('No tickers yet. Type one above, or start with:')
            with ui.row().classes('gap-2 justify-center'):
                for symbol in SUGGESTIONS:
                    ui.button(symbol, on_click=lambda symbol=symbol: self._add(symbol)) \
                        .props(f'outline rounded no-caps aria-label="Add {symbol}"').classes('tap-target')
        return empty

    def _update_empty_state(self) -> None:
        self._empty.visible = not self._cards
        self._tools.refresh()

    # --- adding and removing ----------------------------------------------------------------------------

    def _problem(self, value: str | None) -> str | None:
        """Why the typed text cannot be added, in words for the person who typed it; None when it can."""
        try:
            symbol = normalize_symbol(value or '', self._services.settings.exchange)
        except InvalidSymbol as error:
            return str(error)
        if symbol in self._cards:
            return f'{symbol} is already on your list.'
        limit = self._services.settings.max_tickers_per_browser
        if len(self._cards) >= limit:
            return f'You can follow at most {limit} tickers in one browser; remove one first.'
        return None

    def _clear_error(self) -> None:
        self._input.error = None

    def _submit(self) -> None:
        # On any problem the message goes under the field and the text stays, so it can be corrected.
        if self._input.validate():
            self._add(self._input.value)

    def _add(self, raw: str) -> None:
        if problem := self._problem(raw):
            self._input.error = problem
            return
        symbol = normalize_symbol(raw, self._services.settings.exchange)
        try:
            self._show(symbol)
        except TooManySymbols as error:
            self._input.error = str(error)
            return
        self._watchlist.add(symbol)
        self._input.value = ''
        for page in self._sibling_pages():
            page._show_stored(symbol)

    async def _remove(self, symbol: str) -> None:
        if not await self._tools.may_remove(symbol):
            return
        self._tools.forget(symbol)
        self._hide(symbol)
        self._watchlist.remove(symbol)
        for page in self._sibling_pages():
            page._hide(symbol)

    def _sibling_pages(self) -> list[Dashboard]:
        """The other connected tabs of this browser."""
        return [page for page in _pages_by_browser.get(self._browser_id, ())
                if page is not self and page._client.has_socket_connection]

    # --- cards ----------------------------------------------------------------------------------------

    def _show(self, symbol: str) -> None:
        """Subscribe and place the card at its alphabetical position. Raises TooManySymbols."""
        if symbol in self._cards:
            return
        self._place(symbol, self._subscriptions.add(symbol))

    def _show_stored(self, symbol: str) -> None:
        """A symbol from the stored list; if the engine is full, its card says so instead of a price."""
        try:
            self._show(symbol)
        except TooManySymbols as error:
            entry = PriceEntry(symbol)  # a local, unwatched entry: nothing to unsubscribe later
            entry.set_status(Status.ERROR, str(error))
            self._place(symbol, entry)

    def _place(self, symbol: str, entry: PriceEntry) -> None:
        index = bisect.bisect(sorted(self._cards, key=sort_key), sort_key(symbol), key=sort_key)
        with self._grid:
            card = TickerCard(entry, href=symbol_page.path(symbol, self._services.settings.exchange),
                              on_remove=self._remove, on_listening=self._follow, on_alert=self._tools.open_alert)
        card.move(target_index=index)
        self._cards[symbol] = card
        self._update_empty_state()

    def _follow(self, symbol: str) -> None:
        """The card's component listens now: put this page in the symbol's room and send it the current state."""
        if symbol in self._cards and symbol in self._subscriptions.symbols:  # not a card saying the engine is full
            self._services.feed.follow(self._client, [symbol])

    def _hide(self, symbol: str) -> None:
        card = self._cards.pop(symbol, None)
        if card is None:
            return
        self._grid.remove(card)
        self._services.feed.unfollow(self._client, symbol)
        self._subscriptions.remove(symbol)
        self._update_empty_state()

    def _close(self) -> None:
        self._subscriptions.close()
        self._tools.close()
        pages = _pages_by_browser.get(self._browser_id)
        if pages is not None:
            pages.discard(self)
            if not pages:
                del _pages_by_browser[self._browser_id]


def register(services: Services) -> None:
    @ui.page('/')
    def index(client: Client) -> None:
        Dashboard(services, client).build()
