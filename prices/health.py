"""What operators and the app may know of where prices come from, apart from the prices themselves.

Two small interfaces beside PriceSource (source.py), implemented by the same objects (LocalPrices, and a
cluster node's ClusterPrices): `SourceHealth` answers /health, /metrics and "which mode runs, and which node
watches this symbol"; `Instruments` hands timings to /metrics. Pages need neither.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from scraper.engine_messages import BrowserHealth

from .listeners import Remove


class Mode(StrEnum):
    SINGLE = 'single'  # this process's own engine watches every symbol
    CLUSTER = 'cluster'  # one node of several sharing one tab per symbol through Valkey


@dataclass(frozen=True, slots=True)
class ClusterView:
    """One node's view of the cluster, as /health shows it (and /metrics counts it)."""
    node: str
    redis_reachable: bool
    degraded: bool
    degraded_since: float | None  # time.time() when the store stopped answering, while it does not
    degraded_seconds: float  # in all, the current spell included
    solo_tabs: int
    symbols_owned: int
    symbols_followed: int
    lease_renewals_failed: int
    messages_published: int
    messages_received: int
    stale_messages_dropped: int


class SourceHealth(Protocol):
    @property
    def mode(self) -> Mode: ...
    def browser_health(self) -> BrowserHealth: ...  # this process's (or node's) Chromium
    def cluster_view(self) -> ClusterView | None: ...  # None in a single process
    # The node whose Chromium watches the symbol (/api/tickers shows it; alerts fire only there); None in a
    # single process, or while no node's word has arrived.
    def owner(self, raw_symbol: str) -> str | None: ...


class Instruments(Protocol):
    """Timings for /metrics, each listener called with seconds."""

    def on_handover(self, listener: Callable[[float], None]) -> Remove: ...  # engine -> this loop
    def on_engine_lag(self, listener: Callable[[float], None]) -> Remove: ...  # how late the engine's loop runs
    def on_hop(self, listener: Callable[[float], None]) -> Remove: ...  # another node's publish -> here (cluster)
