"""One card: a symbol's live price, change, state and a remove button, all bound to its PriceEntry.

Every moving part is bound to a bindable field of the entry, so the engine pushes each change into the
card the moment it happens; nothing here polls.
"""
from __future__ import annotations

from typing import Callable

from nicegui import binding, ui
from nicegui.binding import BindableProperty

from scraper import PriceEntry, Status

BUSY = {Status.CONNECTING.value, Status.RECONNECTING.value}
STATUS_LABELS = {'connecting': 'Connecting', 'live': 'Live', 'stale': 'Stale', 'reconnecting': 'Reconnecting',
                 'error': 'Error'}


def decimals_for(price: float | None) -> int:
    """As many decimals as the price itself shows (scraper.parsing.format_price), so small coins move visibly."""
    magnitude = abs(price or 0)
    return 2 if magnitude >= 1 or magnitude == 0 else 4 if magnitude >= 0.01 else 8


def signed(value: float | None, decimals: int = 2, unit: str = '') -> str:
    """'+1,234.50', '−0.0016%'; a change too small to show is plain '0.00', never '−0.00'."""
    if value is None:
        return ''
    value = round(value, decimals)
    sign = '+' if value > 0 else '−' if value < 0 else ''
    return f'{sign}{abs(value):,.{decimals}f}{unit}'


class PriceLabel(ui.label):
    """The big price; flashes green or red on each move (not on first paint)."""

    def __init__(self, entry: PriceEntry) -> None:
        super().__init__()
        self._entry = entry
        self._armed = False  # the first text is the price we arrived with, not a move
        self._flip = False
        self.classes('price')
        self.bind_text_from(entry, 'price_text', backward=lambda text: text or '—')
        self._armed = True

    def _handle_text_change(self, text: str) -> None:
        super()._handle_text_change(text)
        if self._armed and self._entry.direction:
            self._flash(self._entry.direction)

    def _flash(self, direction: int) -> None:
        # Alternating between two identical animations restarts the flash even for repeated moves.
        self._flip = not self._flip
        name = f'flash-{"up" if direction > 0 else "down"}-{"a" if self._flip else "b"}'
        self.classes(remove='flash-up-a flash-up-b flash-down-a flash-down-b', add=name)


class SignedLabel(ui.label):
    """A change since the previous close: signed, green when up and red when down."""
    amount = BindableProperty(on_change=lambda label, _: label._show())
    # The price decides how many decimals an absolute change needs; it may arrive after the change.
    price = BindableProperty(on_change=lambda label, _: label._show())

    def __init__(self, entry: PriceEntry, field: str, percent: bool = False) -> None:
        super().__init__()
        self._percent = percent
        self.amount = self.price = None
        binding.bind_from(self, 'amount', entry, field)
        if not percent:
            binding.bind_from(self, 'price', entry, 'price')
        self._show()

    def _show(self) -> None:
        decimals = 2 if self._percent else decimals_for(self.price)
        self.text = signed(self.amount, decimals, '%' if self._percent else '')
        shown = round(self.amount or 0, decimals)  # the colour agrees with the sign on screen
        tone = 'flat' if not shown else 'up' if shown > 0 else 'down'
        self.classes(remove='signed-up signed-down signed-flat', add=f'signed-{tone}')


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
            PriceLabel(entry)
            with ui.row().classes('changes items-baseline'):
                SignedLabel(entry, 'change').classes('change')
                SignedLabel(entry, 'change_percent', percent=True).classes('change-percent')
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
