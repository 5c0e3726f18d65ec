"""What the UI may ask of prices, whoever serves them: this process's engine or, later, a cluster of nodes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from scraper import PriceEntry

PriceListener = Callable[[PriceEntry], None]


class TooManySymbols(RuntimeError):
    """The cap on open tabs is reached; `str(error)` is a message for the person who asked."""


@dataclass(frozen=True)
class EngineHealth:
    browser_state: str  # 'starting', 'running', 'relaunching', 'failed' or 'stopped'
    browser_error: str
    open_tabs: int
    browser_version: str


class PriceSource(Protocol):
    """Every method is called on the UI's event loop; every entry it returns is updated on that loop."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def subscribe(self, raw_symbol: str) -> PriceEntry: ...
    def unsubscribe(self, raw_symbol: str) -> None: ...
    def entry(self, raw_symbol: str) -> PriceEntry | None: ...
    def viewers(self, raw_symbol: str) -> int: ...
    def on_price(self, listener: PriceListener) -> None: ...
    @property
    def symbols(self) -> list[str]: ...
    def owner(self, raw_symbol: str) -> str | None: ...
    def health(self) -> EngineHealth: ...
    def cluster_health(self) -> dict[str, Any]: ...  # {'mode': 'single'}, or a node's view of the cluster
