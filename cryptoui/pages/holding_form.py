"""The holdings editor: a ticker from the list, a quantity and, if the person wants profit/loss, the cost
per unit. Bad numbers are refused under their field; nothing is stored until everything reads."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nicegui import ui

from cryptoui.pages.amounts import BadAmount, parse_amount, plain
from cryptoui.pages.portfolio import Holding
from market.symbols import split_symbol


@dataclass(frozen=True)
class HoldingChange:
    symbol: str
    holding: Holding | None  # None: remove it


def label(symbol: str) -> str:
    exchange, ticker = split_symbol(symbol)
    return f'{ticker} on {exchange}'


def read_holding(quantity_text: str | None, cost_text: str | None) -> tuple[Holding | None, dict[str, str]]:
    problems: dict[str, str] = {}
    quantity = cost = None
    try:
        quantity = parse_amount(quantity_text)
        if quantity is None:
            problems['quantity'] = 'Enter how much you hold, like 0.5.'
    except BadAmount as error:
        problems['quantity'] = str(error)
    try:
        cost = parse_amount(cost_text, zero_allowed=True)
    except BadAmount as error:
        problems['cost'] = str(error)
    if problems or quantity is None:
        return None, problems
    return Holding(quantity, cost), problems


class HoldingForm:
    """One per page: opened by 'Add holding' (any ticker on the list) or by a row (that ticker)."""

    def __init__(self, holding_of: Callable[[str], Holding | None], on_change: Callable[[HoldingChange], None]) -> None:
        self._holding_of = holding_of
        self._on_change = on_change
        with ui.dialog() as self._dialog, ui.card().classes('app-dialog'):
            self._title = ui.label().classes('dialog-title').props('id=holding-form-title')
            self._symbol = ui.select({}, label='Ticker', on_change=self._symbol_chosen) \
                .props('outlined options-dense').classes('w-full')
            self._quantity = self._number_field('Quantity').props('autofocus')
            self._cost = self._number_field('Cost per unit (optional)')
            with ui.row().classes('dialog-actions'):
                self._remove_button = ui.button('Remove holding', icon='delete', on_click=self._remove) \
                    .props('flat no-caps color=negative').classes('tap-target')
                ui.space()
                ui.button('Cancel', on_click=self._dialog.close).props('flat no-caps').classes('tap-target')
                ui.button('Save', on_click=self._save).props('unelevated no-caps').classes('tap-target')
        self._dialog.props('aria-labelledby=holding-form-title')

    def _number_field(self, text: str) -> ui.input:
        return ui.input(text, on_change=lambda event: setattr(event.sender, 'error', None)) \
            .props('outlined inputmode=decimal autocomplete=off spellcheck=false') \
            .classes('w-full').on('keydown.enter', self._save)

    def open(self, symbols: list[str], symbol: str | None = None) -> None:
        """For one symbol (editing its row), or for any on the list (adding)."""
        self._symbol.set_options({known: label(known) for known in symbols})
        self._symbol.value = symbol if symbol in symbols else (symbols[0] if symbols else None)
        self._symbol.set_enabled(symbol is None)
        self._title.text = f'Holding of {label(symbol)}' if symbol else 'Add a holding'
        self._symbol_chosen()
        self._dialog.open()

    def _symbol_chosen(self) -> None:
        holding = self._holding_of(self._symbol.value) if self._symbol.value else None
        self._quantity.value = plain(holding.quantity) if holding else ''
        self._cost.value = plain(holding.cost) if holding and holding.cost is not None else ''
        for field in (self._symbol, self._quantity, self._cost):
            field.error = None
        self._remove_button.visible = holding is not None

    def _save(self) -> None:
        holding, problems = read_holding(self._quantity.value, self._cost.value)
        self._symbol.error = None if self._symbol.value else 'Add a ticker to your list first.'
        self._quantity.error = problems.get('quantity')
        self._cost.error = problems.get('cost')
        if holding is None or not self._symbol.value:
            return
        self._dialog.close()
        self._on_change(HoldingChange(self._symbol.value, holding))

    def _remove(self) -> None:
        self._dialog.close()
        self._on_change(HoldingChange(self._symbol.value, None))
