"""What a person does with the prices on one page: alerts, the portfolio, sorting and filtering.

Holdings and the sort are stored per browser in app.storage.user beside the list, and shown in each of the
browser's tabs: a change made in one tab is pushed to the others (`_everywhere`). Alerts are server objects
(alerts/, shown by alert_tools.py), which tell every page of their browser themselves. The server does work
only when the person changes something or an alert fires; the live numbers are all computed in the browser.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from functools import cached_property

from nicegui import background_tasks, ui

from cryptoui.pages import portfolio, sorting
from cryptoui.pages.alert_tools import AlertTools
from cryptoui.pages.holding_form import HoldingChange, HoldingForm, label
from cryptoui.pages.portfolio import Holdings, PortfolioPanel
from cryptoui.pages.sorting import GridTools
from cryptoui.pages.ticker_card import TickerCard
from market.entry import PriceEntry
from prices import PriceSource

log = logging.getLogger(__name__)


class PageTools:
    def __init__(self, storage: MutableMapping, engine: PriceSource, cards: dict[str, TickerCard],
                 listed: Callable[[], list[str]], siblings: Callable[[], list[PageTools]],
                 alerts: AlertTools) -> None:
        self._storage = storage
        self._listed = listed  # the browser's stored list (a page being built shows only part of it yet)
        self._engine = engine
        self._cards = cards  # the page's own dict: cards come and go there
        self._siblings = siblings
        self._alerts = alerts
        self._holdings = Holdings(storage)

    def build(self) -> None:
        """The portfolio panel and the sort/filter row, in that order, and the watcher. The dialogs are built
        when first opened, in the container this was built in: most viewers never open one, and each would
        cost every page its elements for as long as it is open."""
        self._container = ui.context.slot.parent
        self._panel = PortfolioPanel(on_add=lambda: self._holding_form.open(self._symbols()),
                                     on_edit=lambda symbol: self._holding_form.open(self._symbols(), symbol))
        self._grid_tools = GridTools(self._storage, on_choose=lambda _: self._everywhere())
        self._alerts.build()

    def close(self) -> None:
        self._alerts.close()

    @cached_property
    def _holding_form(self) -> HoldingForm:
        with self._container:
            return HoldingForm(self._holdings.get, on_change=self._change_holding)

    @cached_property
    def _confirm(self) -> tuple[ui.dialog, ui.label]:
        """The dialog asking before a ticker's holding or alert goes with it, and its question."""
        with self._container, ui.dialog() as dialog, ui.card().classes('app-dialog'):
            question = ui.label().classes('dialog-note').props('id=confirm-question')
            with ui.row().classes('dialog-actions'):
                ui.space()
                ui.button('Cancel', on_click=lambda: dialog.submit(False)) \
                    .props('flat no-caps').classes('tap-target')
                ui.button('Remove', on_click=lambda: dialog.submit(True)) \
                    .props('unelevated no-caps color=negative').classes('tap-target')
        dialog.props('aria-labelledby=confirm-question')
        return dialog, question

    def follow_grid(self, grid: ui.element) -> None:
        self._grid_tools.sorter.follow(grid)

    def _symbols(self) -> list[str]:
        return list(self._cards)

    # --- showing what is stored ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show what is stored now. Called on this page's changes and its siblings', never per tick."""
        symbols = self._symbols()
        # What belongs to symbols no longer on the list (removed while this was not running) goes.
        self._holdings.keep_only(self._listed())
        holdings = self._holdings.all()
        self._alerts.refresh()
        self._panel.visible = bool(symbols)
        self._panel.show(portfolio.rows(holdings, self._entry))
        quantities = {symbol: holding.quantity for symbol, holding in holdings.items()}
        self._grid_tools.show(len(symbols), sorting.stored_choice(self._storage), quantities)

    def _entry(self, symbol: str) -> PriceEntry | None:
        return self._engine.entry(symbol)

    def _everywhere(self) -> None:
        for tools in (self, *self._siblings()):
            tools.refresh()

    # --- alerts (alert_tools.py) ----------------------------------------------------------------------------

    def open_alert(self, symbol: str) -> None:
        self._alerts.open(symbol, label(symbol))

    # --- holdings -------------------------------------------------------------------------------------------

    def _change_holding(self, change: HoldingChange) -> None:
        if change.symbol not in self._cards:
            return
        if change.holding is None:
            self._holdings.remove(change.symbol)
            log.info('holding removed: %s', change.symbol)
        else:
            self._holdings.set(change.symbol, change.holding)
            log.info('holding set: %s %s at %s', change.symbol, change.holding.quantity, change.holding.cost)
        self._everywhere()

    # --- removing a ticker -----------------------------------------------------------------------------------

    async def may_remove(self, symbol: str) -> bool:
        """Ask before a ticker's holding (or alert) goes with it; True when nothing needs asking."""
        holding = self._holdings.get(symbol)
        has_alert = self._alerts.has(symbol)
        if holding is None and not has_alert:
            return True
        lost = ' and '.join(part for part in (
            f'your holding of {portfolio.quantity_text(holding.quantity)}' if holding else '',
            'its alert' if has_alert else '') if part)
        confirm, question = self._confirm
        question.text = f'Remove {label(symbol)}? {lost[0].upper()}{lost[1:]} will be removed too.'
        return bool(await confirm)

    def forget(self, symbol: str) -> None:
        """The ticker leaves the list: its holding and alerts go with it, in every tab."""
        self._holdings.remove(symbol)
        background_tasks.create(self._alerts.forget(symbol), name=f'remove the alerts on {symbol}')
