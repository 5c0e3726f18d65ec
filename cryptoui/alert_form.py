"""The bell's form: a level above and/or below one symbol's price, prefilled near it, checked as a person
would check it (a positive number, on the right side of the price), with the reason under the field."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from nicegui import ui

from market.entry import PriceEntry, Status

from .alerts import Levels, read_levels
from .amounts import plain

# Prefilled levels are this far from the price, rounded outwards to three significant digits.
PREFILL_DISTANCE = 0.01


@dataclass(frozen=True)
class AlertRequest:
    symbol: str
    above: float | None
    below: float | None


def near(price: float, side: str) -> str:
    """A round level just above or below the price: 97,123.45 -> '98100' above, '96100' below."""
    exponent = math.floor(math.log10(price)) - 2
    step = 10.0 ** exponent
    target = price * (1 + PREFILL_DISTANCE if side == 'above' else 1 - PREFILL_DISTANCE)
    steps = math.ceil(target / step) if side == 'above' else math.floor(target / step)
    return plain(steps * step, max(0, -exponent))


def state_note(entry: PriceEntry | None) -> str:
    """Why an alert on this symbol cannot fire now, if it cannot."""
    if entry is None or entry.status == Status.ERROR.value:
        return 'This ticker has no price now: an alert waits until it has one.'
    if entry.status == Status.STALE.value:
        return 'This price is stale (no recent update): an alert fires when updates come back.'
    return ''


class AlertForm:
    """One per page, opened by any card's bell."""

    def __init__(self, entry_of: Callable[[str], PriceEntry | None], on_set: Callable[[AlertRequest], None],
                 on_remove: Callable[[str], None]) -> None:
        self._entry_of = entry_of
        self._on_set = on_set
        self._on_remove = on_remove
        self._symbol = ''
        with ui.dialog() as self._dialog, ui.card().classes('app-dialog'):
            self._title = ui.label().classes('dialog-title').props('id=alert-form-title')
            self._note = ui.label().classes('dialog-note')
            self._fired = ui.label().classes('dialog-note alert-fired-note')
            self._above = self._level_field('Above').props('autofocus')
            self._below = self._level_field('Below')
            ui.label('Once the price gets there you are told once, in this page and, if you allow it, by a '
                     'notification. Leave a field empty for no level on that side.').classes('dialog-note text-sm')
            with ui.row().classes('dialog-actions'):
                self._remove_button = ui.button('Remove alert', icon='notifications_off', on_click=self._remove) \
                    .props('flat no-caps color=negative').classes('tap-target')
                ui.space()
                ui.button('Cancel', on_click=self._dialog.close).props('flat no-caps').classes('tap-target')
                self._set_button = ui.button('Set alert', on_click=self._set) \
                    .props('unelevated no-caps').classes('tap-target')
        self._dialog.props('aria-labelledby=alert-form-title')

    def _level_field(self, label: str) -> ui.input:
        return ui.input(label, on_change=lambda event: setattr(event.sender, 'error', None)) \
            .props('outlined inputmode=decimal autocomplete=off spellcheck=false') \
            .classes('w-full').on('keydown.enter', self._set)

    def open(self, symbol: str, name: str, levels: Levels) -> None:
        self._symbol = symbol
        entry = self._entry_of(symbol)
        price = entry.price if entry is not None else None
        self._title.text = f'Alert for {name}'
        self._note.text = state_note(entry)
        self._note.visible = bool(self._note.text)
        reached = [side for side, level in levels.items() if level.fired]
        self._fired.text = f'Reached {" and ".join(reached)}: set it again to re-arm.' if reached else ''
        self._fired.visible = bool(reached)
        for side, field in (('above', self._above), ('below', self._below)):
            if levels:
                level = levels.get(side)
                field.value = plain(level.price, 8) if level else ''
            else:
                field.value = near(price, side) if price else ''
            field.error = None
        self._remove_button.visible = bool(levels)
        self._set_button.text = 'Re-arm' if reached else 'Set alert'
        self._dialog.open()

    def _set(self) -> None:
        entry = self._entry_of(self._symbol)
        price = entry.price if entry is not None else None  # a stale price is still the last one known
        above, below, problems = read_levels(self._above.value, self._below.value, price)
        self._above.error = problems.get('above')
        self._below.error = problems.get('below')
        if problems:
            return
        self._dialog.close()
        self._on_set(AlertRequest(self._symbol, above, below))

    def _remove(self) -> None:
        self._dialog.close()
        self._on_remove(self._symbol)
