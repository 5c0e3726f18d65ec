"""Where alerts live: what the service needs of a store, whichever it is (store_sqlite, store_valkey; which one:
store_choice).

`claim` is the one decision that must be made once: a firing names the arming and the generation it saw,
and the store accepts it only if both are still current, moving the generation on in the same step. Two
evaluations of the same crossing (two tabs once, now two nodes during a failover) therefore fire once.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, Protocol

from .model import Alert, Firing, LogEntry

# Another node changed alert `id` (message: {'what': 'put'|'delete'|'fired'|'log', ...}): read it again. With
# id None: this node may have missed changes (its connection was made again): read everything.
ChangeListener = Callable[[str | None, dict[str, Any]], None]


class StoreDown(RuntimeError):
    """The store cannot be reached now; `str(error)` is fit for a person."""


class AlertStore(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def load(self) -> list[Alert]: ...
    async def get(self, alert_id: str) -> Alert | None: ...
    async def put(self, alert: Alert) -> None: ...  # insert, or replace whole (a new arming)
    async def delete(self, alert_id: str) -> bool: ...
    async def claim(self, firings: list[Firing]) -> list[Alert | None]: ...  # each as fired, or None: not this time
    async def add_log(self, alert_id: str, entry: LogEntry, broken: bool = False) -> None: ...
    async def log_of(self, alert_id: str) -> list[LogEntry]: ...  # newest first
    async def token(self, owner: str) -> str: ...  # the browser's API token, made on first use
    async def new_token(self, owner: str) -> str: ...  # a new one; the old one stops working
    async def owner_of(self, token: str) -> str | None: ...
    def on_change(self, listener: ChangeListener) -> None: ...
    async def lost_since_seen(self) -> bool: ...  # the store lost its data since this node last `mark`ed it
    async def mark(self) -> None: ...


def make_token() -> str:
    return 'ct_' + secrets.token_urlsafe(24)
