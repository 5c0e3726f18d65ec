"""A watched symbol's price as the UI's loop sees it: a copy of the engine's entry that the UI can bind to."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import field
from typing import Any

from nicegui import binding

from market.entry import FIELDS, PriceEntry
from market.history import Bar, PriceHistory


# NiceGUI's decorator is typed as if it took no arguments (3.18): the ignore goes with the bindable dataclass.
@binding.bindable_dataclass(bindable_fields=['status', 'message', 'currency', 'name'])
class LivePrice(PriceEntry):  # type: ignore[call-arg]
    """Bindable where the feed binds (status, message, currency, name); prices travel by the price listeners.

    It also holds the symbol's history, built from the same changes: the history goes when the price does.
    """
    history: PriceHistory = field(default_factory=PriceHistory, repr=False, compare=False)

    def apply(self, values: dict[str, Any]) -> bool:
        """Take the engine's latest values; True when what a card shows of the price changed: the price, its
        text (the series' decimals may come after the first price), or the close of the series' current bar
        when it is not the quoted price."""
        price_changed = values['price'] != self.price
        text_changed = values['price_text'] != self.price_text
        bar: Bar | None = tuple(values['bar']) if values['bar'] is not None else None  # a list, through JSON
        # A card draws the bar's close, and it is news only when it is not the price the quotes already gave:
        # the `du` that follows each quote (or only adds volume) would otherwise cost every viewer a message.
        bar_moved = bar is not None and bar != self.bar and bar[4] != values['price']
        bar_changed = bar is not None and bar != self.bar
        for name in FIELDS:
            setattr(self, name, values[name])
        self.bar = bar
        at = self.updated_at or 0.0
        if bar is not None and bar_changed:
            self.history.update_bar(bar, at)
        if price_changed and self.price is not None:
            self.history.record(at, self.price)
        return price_changed or text_changed or bar_moved

    def apply_series(self, bars: Iterable[Sequence[float]], resolution: int) -> None:
        self.history.set_series(bars, resolution)
