"""Sorting and filtering the grid: the choice is stored per browser, the ordering is done in the browser.

The server places cards alphabetically, as it always has. The sorter's component (sorting.js) re-orders
the grid's cards by change % or position value from the 'prices' messages the page already receives and
hides those the filter does not match, so neither costs the server anything per tick. See sorting.js for
when it re-sorts, and why not on every tick.
"""
from __future__ import annotations

from collections.abc import Callable, MutableMapping

from nicegui import ui

KEY = 'sort'
CHOICES = {
    'name': 'Name (A–Z)',
    'change-desc': 'Change % (high to low)',
    'change-asc': 'Change % (low to high)',
    'value-desc': 'Position value (high to low)',
}
DEFAULT = 'name'
SORT_FROM = 2  # cards: one card needs no order
FILTER_FROM = 6  # cards: a shorter list is read at a glance, and a filter box would only crowd a phone


def stored_choice(storage: MutableMapping) -> str:
    choice = storage.get(KEY)
    # isinstance first: a stored list or dict (an edited or older storage file) cannot be looked up in CHOICES
    return choice if isinstance(choice, str) and choice in CHOICES else DEFAULT


class GridSorter(ui.element, component='sorting.js'):
    """Orders and filters the cards of one grid; shows how many the filter leaves."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self._props.update(grid='', mode=mode, quantities={}, filter='')

    def follow(self, grid: ui.element) -> None:
        self._props['grid'] = grid.html_id

    def show(self, *, mode: str | None = None, quantities: dict[str, float] | None = None,
             filter_text: str | None = None) -> None:
        for name, value in (('mode', mode), ('quantities', quantities), ('filter', filter_text)):
            if value is not None and self._props[name] != value:
                self._props[name] = value


class GridTools:
    """The row above the grid: the Sort control and the Filter box, shown once the list is long enough."""

    def __init__(self, storage: MutableMapping, on_choose: Callable[[str], None]) -> None:
        self._storage = storage
        with ui.row().classes('grid-tools') as self._row:
            self._sort = ui.select(CHOICES, label='Sort', value=stored_choice(storage), on_change=self._chosen) \
                .props('outlined options-dense').classes('sort-control')
            self._filter = ui.input('Filter', placeholder='Symbol or name', on_change=self._filtered) \
                .props('outlined autocomplete=off autocorrect=off spellcheck=false type=search') \
                .classes('filter-box')  # type=search: Escape clears it in the browser, with no round trip that
            # could land after the next keystrokes and wipe them (it did, on a busy machine)
            self.sorter = GridSorter(stored_choice(storage))
        self._on_choose = on_choose

    def _chosen(self) -> None:
        if self._sort.value in CHOICES and self._sort.value != self._storage.get(KEY):
            self._storage[KEY] = self._sort.value
            self._on_choose(self._sort.value)
        self.sorter.show(mode=stored_choice(self._storage))

    def _filtered(self) -> None:
        self.sorter.show(filter_text=self._filter.value or '')

    def show(self, cards: int, choice: str, quantities: dict[str, float]) -> None:
        self._row.visible = cards >= SORT_FROM
        self._filter.visible = cards >= FILTER_FROM
        if not self._filter.visible and self._filter.value:
            self._filter.value = ''  # a hidden filter must not hide cards
        self._sort.value = choice
        self.sorter.show(mode=choice, quantities=quantities)
