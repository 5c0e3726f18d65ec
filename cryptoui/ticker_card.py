"""One card: a symbol's live price, change, state and a remove button, all bound to its PriceEntry.

The price moves through its symbol's room (price_feed), once for all viewers; the rarer status changes
are bound to the entry's bindable fields. Either way the engine pushes, nothing here polls.
"""
from __future__ import annotations

from typing import Callable

from nicegui import binding, ui
from nicegui.binding import BindableProperty

from scraper import PriceEntry, Status

from .price_feed import price_message

BUSY = {Status.CONNECTING.value, Status.RECONNECTING.value}
STATUS_LABELS = {'connecting': 'Connecting', 'live': 'Live', 'stale': 'Stale', 'reconnecting': 'Reconnecting',
                 'error': 'Error'}


class LivePrice(ui.element, component='live_price.js'):
    """The price and its changes, updated by the symbol's room messages (see price_feed)."""

    def __init__(self, entry: PriceEntry) -> None:
        super().__init__()
        self._props['symbol'] = entry.symbol
        self._props['initial'] = price_message(entry)  # a cached price shows at once, with no round trip


class TickerCard(ui.card):
    """The card for one symbol; `entry.symbol` has passed normalize_symbol, so it is safe in attributes."""
    status = BindableProperty(on_change=lambda card, status: card._show_status(status))

    def __init__(self, entry: PriceEntry, on_remove: Callable[[str], None]) -> None:
        super().__init__()
        self.symbol = entry.symbol
        self.classes('ticker-card')
        self.props['data-symbol'] = entry.symbol
        self.props['aria-label'] = entry.symbol
        self.props['role'] = 'group'
        with self:
            self._header(entry, on_remove)
            LivePrice(entry)
            ui.label().classes('message').bind_text_from(entry, 'message') \
                .bind_visibility_from(entry, 'message', backward=bool)
        self.status = entry.status
        binding.bind_from(self, 'status', entry, 'status')
        self._show_status(self.status)

    def _header(self, entry: PriceEntry, on_remove: Callable[[str], None]) -> None:
        with ui.row().classes('w-full items-center no-wrap gap-2'):
            with ui.column().classes('gap-0 min-w-0'):
                ui.label(entry.symbol).classes('symbol')
                ui.label().classes('currency').bind_text_from(entry, 'currency')
            ui.space()
            ui.badge('Stale', color='warning').classes('stale-badge text-black') \
                .props('rounded aria-label="Stale: no recent update"') \
                .bind_visibility_from(entry, 'status', value=Status.STALE.value)
            spinner = ui.spinner(size='1.6em').classes('busy')
            spinner.props['role'] = 'progressbar'
            spinner.props['aria-label'] = f'Loading {entry.symbol}'
            spinner.bind_visibility_from(entry, 'status', backward=lambda status: status in BUSY)
            remove = ui.button(icon='close', on_click=lambda: on_remove(self.symbol)) \
                .props('flat round color=grey-7').classes('remove-button tap-target')
            remove.props['aria-label'] = f'Remove {entry.symbol}'
            with remove:
                ui.tooltip(f'Remove {entry.symbol}')

    def _show_status(self, status: str) -> None:
        # One attribute drives the error/stale/live styling in CSS, and tells tests the state.
        self.props['data-status'] = status
