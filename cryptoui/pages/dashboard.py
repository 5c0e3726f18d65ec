"""The page `/`: a header, the add form, the portfolio, the sort and filter row and the grid of ticker cards."""
from __future__ import annotations

import bisect
import logging
from collections import defaultdict

from nicegui import Client, app, ui

from cryptoui.fanout.subscriptions import PageSubscriptions
from cryptoui.pages import connection, symbol_page, theme
from cryptoui.pages.alert_tools import AlertTools
from cryptoui.pages.page_tools import PageTools
from cryptoui.pages.ticker_card import TickerCard
from cryptoui.pages.ticker_field import TickerField
from cryptoui.pages.verdicts import Verdicts
from cryptoui.pages.watchlist import Watchlist
from cryptoui.services import Services
from market.entry import Status
from market.symbols import InvalidSymbol, normalize_symbol, sort_key, split_symbol
from prices import LivePrice, TooManySymbols

log = logging.getLogger(__name__)
SUGGESTIONS = ('BTCUSD', 'ETHUSD', 'SOLUSD')


# The open pages of each browser (by its session cookie), so a change made in one tab shows in the others.
_pages_by_browser: defaultdict[str, set[Dashboard]] = defaultdict(set)


class Dashboard:
    """One browser tab's view. Holds exactly the subscriptions of the cards it shows."""

    def __init__(self, services: Services, client: Client) -> None:
        self._services = services
        self._client = client
        self._browser_id: str = app.storage.browser['id']
        self._watchlist = Watchlist(app.storage.user, services.settings.exchange)
        self._subscriptions = PageSubscriptions(services.prices, on_subscribed=services.feed.track,
                                                on_released=services.feed.untrack_if_unwatched)
        self._cards: dict[str, TickerCard] = {}
        # Symbols typed here whose first word from the source is awaited: one that is not found goes back to
        # the field, explained, instead of staying on the list as a red card.
        self._verdicts = Verdicts(services.prices, on_not_found=self._not_found)
        self._tools = PageTools(app.storage.user, services.prices, self._cards,
                                listed=lambda: self._watchlist.symbols,
                                siblings=lambda: [page._tools for page in self._sibling_pages()],
                                alerts=AlertTools(services.alerts, services.prices, self._browser_id, app.storage.user,
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
            ui.label('Crypto Tracker').classes('brand').props('role=heading aria-level=1')
            ui.space()
            connection.indicator()
            theme.dark_mode_toggle()

    def _add_form(self) -> None:
        with ui.row().classes('add-form').props('role=search aria-label="Add to your list"'):
            self._field = TickerField(self._services.search, on_submit=self._add, on_choose=self._add)
            ui.button('Add', icon='add', on_click=lambda: self._add(self._field.text)) \
                .props('unelevated no-caps').classes('add-button')

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

    def _add(self, raw: str) -> None:
        """Add what was typed, or chosen from the suggestions (the same way). On any problem the message goes
        under the field and the text stays, so it can be corrected."""
        if problem := self._problem(raw):
            self._field.set_error(problem)
            return
        symbol = normalize_symbol(raw, self._services.settings.exchange)
        try:
            self._show(symbol)
        except TooManySymbols as error:
            self._field.set_error(str(error))
            return
        self._watchlist.add(symbol)
        self._field.set_text('')
        self._field.set_error(None)
        if (entry := self._services.prices.entry(symbol)) is not None:
            self._verdicts.await_first_word(entry, raw)
        for page in self._sibling_pages():
            page._show_stored(symbol)

    def _not_found(self, symbol: str, raw: str, message: str) -> None:
        """The source does not know a symbol just typed here: off the list, and explained at the field with
        suggestions for its ticker on any exchange."""
        if symbol not in self._cards or not self._client.has_socket_connection:
            return  # gone from this page, or the page itself is gone (reloaded): the list keeps it, as a card
        log.info('%s: not found; explained at the field', symbol)
        self._tools.forget(symbol)
        self._hide(symbol)
        self._watchlist.remove(symbol)
        for page in self._sibling_pages():
            page._hide(symbol)
        self._field.explain(raw.strip(), f'{message}.', split_symbol(symbol)[1])

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
            entry = LivePrice(symbol)  # a local, unwatched entry: nothing to unsubscribe later
            entry.set_status(Status.ERROR, str(error))
            self._place(symbol, entry)

    def _place(self, symbol: str, entry: LivePrice) -> None:
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
        self._verdicts.forget(symbol)
        self._services.feed.unfollow(self._client, symbol)
        self._subscriptions.remove(symbol)
        self._update_empty_state()

    def _close(self) -> None:
        self._verdicts.close()
        self._field.close()
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
