"""A watched symbol's price as the UI's loop sees it: a copy of the engine's entry that the UI can bind to."""
from __future__ import annotations

from typing import Any

from nicegui import binding

from scraper import PriceEntry
from scraper.state import FIELDS


@binding.bindable_dataclass(bindable_fields=['status', 'message', 'currency'])
class LivePrice(PriceEntry):
    """Bindable where the feed binds (status, message, currency); prices travel by the price listeners."""

    def apply(self, values: dict[str, Any]) -> bool:
        """Take the engine's latest values; True when the price itself changed."""
        price_changed = values['price'] != self.price
        for name in FIELDS:
            setattr(self, name, values[name])
        return price_changed
