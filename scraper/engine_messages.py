"""What the web process and the engine process say through their pipe: defined once, used by both ends.

The web process (prices/engine_process.py) sends commands; the engine (scraper/engine_host.py) answers with
reports. Each is a small frozen dataclass, pickled by the pipe. Nothing here imports Playwright (nor does
engine_entry.py, the process's target), so the web process never loads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from market.history import Bar


@dataclass(frozen=True, slots=True)
class BrowserHealth:
    """What operators (and tests) may know of the browser: a copy, safe to send to another process."""
    state: str = 'stopped'  # 'starting', 'running', 'relaunching', 'failed' or 'stopped'
    error: str = ''
    open_tabs: int = 0
    version: str = ''
    launches: int = 0


# --- web process -> engine ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Watch:
    symbol: str
    token: int  # tells this watch's reports from those of an earlier watch of the same symbol


@dataclass(frozen=True, slots=True)
class Unwatch:
    symbol: str


@dataclass(frozen=True, slots=True)
class Own:
    """Cluster nodes: publish the symbol's changes to Valkey under `fence` (None: no longer)."""
    symbol: str
    fence: int | None


@dataclass(frozen=True, slots=True)
class Republish:
    """Cluster nodes: publish the symbol's whole current state again."""
    symbol: str


@dataclass(frozen=True, slots=True)
class Forget:
    """Cluster nodes: stop publishing it and delete what the cluster knows of its price."""
    symbol: str


@dataclass(frozen=True, slots=True)
class Stop:
    pass


Command = Watch | Unwatch | Own | Republish | Forget | Stop


# --- engine -> web process ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Started:
    browser: BrowserHealth


@dataclass(frozen=True, slots=True)
class Changed:
    symbol: str
    token: int
    values: dict[str, Any]  # the entry's values() (market.entry owns that form)
    handed_at: float  # the engine's time.time() when it sent this
    browser: BrowserHealth


@dataclass(frozen=True, slots=True)
class SeriesLoaded:
    symbol: str
    token: int
    bars: list[Bar]
    resolution: int


@dataclass(frozen=True, slots=True)
class Lag:
    """Four times a second: how late the engine's loop wakes, and what it has published (cluster nodes)."""
    seconds: float
    browser: BrowserHealth
    published: int


@dataclass(frozen=True, slots=True)
class Stopped:
    pass


Report = Started | Changed | SeriesLoaded | Lag | Stopped
