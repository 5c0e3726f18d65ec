"""What the UI may ask of prices, whoever serves them: this process's engine or a cluster of nodes.

Only what it takes to show prices. How the source is doing (its browser, the cluster, the mode) and the
timings /metrics reads are interfaces of their own (health.py), implemented by the same objects.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from market.history import PriceHistory

from .listeners import Remove
from .live_price import LivePrice

PriceListener = Callable[[LivePrice], None]
SeriesListener = Callable[[str, PriceHistory], None]


class TooManySymbols(RuntimeError):
    """The cap on open tabs is reached; `str(error)` is a message for the person who asked."""


class PriceSource(Protocol):
    """Every method is called on the UI's event loop; every entry it returns is updated on that loop. An entry
    is a LivePrice: the symbol's PriceEntry with its history, both gone when its last viewer leaves.

    Each `on_*` returns what removes the listener again: whoever adds one removes it when it leaves.
    """

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def subscribe(self, raw_symbol: str) -> LivePrice: ...
    def unsubscribe(self, raw_symbol: str) -> None: ...
    def entry(self, raw_symbol: str) -> LivePrice | None: ...
    def viewers(self, raw_symbol: str) -> int: ...
    def history(self, raw_symbol: str) -> PriceHistory | None: ...  # a watched symbol's, else None
    @property
    def symbols(self) -> list[str]: ...
    def on_price(self, listener: PriceListener) -> Remove: ...  # what a card shows of the price changed
    def on_state(self, listener: PriceListener) -> Remove: ...  # its status, message, currency or name changed
    # After a symbol's history took a whole series (from its page, or from the node that owns it).
    def on_series(self, listener: SeriesListener) -> Remove: ...
