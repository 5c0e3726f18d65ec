"""The observable per-symbol price state that the UI binds to."""
from __future__ import annotations

import time
from enum import Enum
from typing import Any

from nicegui import binding  # only the binding primitives: the scraper never touches pages or clients

from .parsing import format_price


class Status(str, Enum):
    CONNECTING = 'connecting'
    LIVE = 'live'
    STALE = 'stale'
    RECONNECTING = 'reconnecting'
    ERROR = 'error'


@binding.bindable_dataclass(bindable_fields=[
    'price', 'price_text', 'change', 'change_percent', 'currency', 'status', 'message', 'direction'])
class PriceEntry:
    """One symbol's latest known price. Bindable fields push each change to whatever is bound to them."""
    symbol: str
    price: float | None = None
    price_text: str = ''
    change: float | None = None
    change_percent: float | None = None
    currency: str = ''
    status: str = Status.CONNECTING.value
    message: str = 'Connecting…'
    # +1 or -1 for the last price move, 0 before the second price: lets a view flash green or red.
    direction: int = 0
    # Wall-clock time of the last word from the source about this symbol, even when the price held.
    updated_at: float | None = None
    # Where the current price came from: 'websocket', 'dom', 'scan' or 'poll'.
    source: str = ''

    def merge_quote(self, values: dict[str, Any], source: str, at: float | None = None) -> bool:
        """Apply the fields of one quote update; returns True when the price itself changed."""
        at = time.time() if at is None else at
        self.updated_at = at
        if isinstance(values.get('ch'), (int, float)):
            self.change = float(values['ch'])
        if isinstance(values.get('chp'), (int, float)):
            self.change_percent = float(values['chp'])
        if isinstance(values.get('currency_code'), str):
            self.currency = values['currency_code']
        price = values.get('lp')
        if not isinstance(price, (int, float)) or isinstance(price, bool):
            self._mark_live()
            return False
        return self.set_price(float(price), source, at)

    def set_price(self, price: float, source: str, at: float | None = None) -> bool:
        self.updated_at = time.time() if at is None else at
        changed = price != self.price
        if changed:
            if self.price is not None:
                self.direction = 1 if price > self.price else -1
            self.source = source
            self.price = price
            self.price_text = format_price(price)
        self._mark_live()
        return changed

    def _mark_live(self) -> None:
        if self.price is not None and self.status != Status.LIVE.value:
            self.status = Status.LIVE.value
            self.message = ''

    def set_status(self, status: Status, message: str = '') -> None:
        self.status = status.value
        self.message = message
