"""A watched symbol's price as the UI's loop sees it: a copy of the engine's entry, with the symbol's history.

A plain dataclass: whoever changes it (LocalPrices, a cluster node) tells the source's listeners what changed,
so a change is observed one way, and nothing here knows of NiceGUI.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from market.entry import PriceEntry, bar_of
from market.history import PriceHistory


class Change(NamedTuple):
    """What one change of a LivePrice means for a card: which of the source's listeners hear of it."""
    moved: bool  # what a card shows of the price: on_price
    restated: bool  # what else a card shows (status, message, currency, name with its decimals): on_state


@dataclass
class LivePrice(PriceEntry):
    """It holds the symbol's history, built from the same changes: the history goes when the price does."""
    history: PriceHistory = field(default_factory=PriceHistory, repr=False, compare=False)

    def apply(self, values: dict[str, Any]) -> Change:
        """Take the engine's latest values. The price moved when what a card shows of it changed: the price, its
        text (the series' decimals may come after the first price), or the close of the series' current bar
        when it is not the quoted price."""
        price_changed = values['price'] != self.price
        text_changed = values['price_text'] != self.price_text
        bar = bar_of(values)
        # A card draws the bar's close, and it is news only when it is not the price the quotes already gave:
        # the `du` that follows each quote (or only adds volume) would otherwise cost every viewer a message.
        bar_moved = bar is not None and bar != self.bar and bar[4] != values['price']
        bar_changed = bar is not None and bar != self.bar
        state = self._state()
        self.assign(values)
        at = self.updated_at or 0.0
        if bar is not None and bar_changed:
            self.history.update_bar(bar, at)
        if price_changed and self.price is not None:
            self.history.record(at, self.price)
        return Change(price_changed or text_changed or bar_moved, self._state() != state)

    def apply_series(self, bars: Iterable[Sequence[float]], resolution: int) -> None:
        self.history.set_series(bars, resolution)

    def _state(self) -> tuple[str, str, str, str]:
        # The decimals come with the name (the series' symbol_resolved gives both): the name's change carries them.
        return self.status, self.message, self.currency, self.name
