"""One program following prices (an SSE or WebSocket consumer): its symbols and its bounded buffer of events."""
from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from typing import Any

from cryptoui.fanout.subscriptions import PageSubscriptions
from market.entry import PriceEntry


def event_item(entry: PriceEntry) -> dict[str, Any]:
    """One element of an event's list: the entry as programs read it (market.entry owns that form)."""
    return entry.public()


def encode(items: list[dict[str, Any]]) -> str:
    return json.dumps(items, separators=(',', ':'), ensure_ascii=False)


class Consumer:
    """One connected program. Its connection takes events with `take`; `stop_connection` drops it (set by
    whoever serves the connection, used when the consumer is cut off)."""

    def __init__(self, kind: str, subscriptions: PageSubscriptions, limit: int) -> None:
        self.kind = kind
        self.subscriptions = subscriptions
        self.limit = limit
        self.ended = ''  # why it ended; empty while it is open
        self.last_id = 0  # of the last event written: SSE `id:`, the WebSocket message's "id"
        self.stop_connection: Callable[[], None] = lambda: None
        self._buffer: deque[str] = deque()
        self._ready = asyncio.Event()

    @property
    def symbols(self) -> list[str]:
        return self.subscriptions.symbols

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def push(self, payload: str) -> bool:
        """Queue one event's JSON; False when the buffer is full (the consumer is then cut off)."""
        if len(self._buffer) >= self.limit:
            return False
        self._buffer.append(payload)
        self._ready.set()
        return True

    async def take(self, timeout: float | None) -> list[str]:
        """Every event queued, once there is one; [] after `timeout` s without one, or once it has ended."""
        if not self._buffer and not self.ended:
            self._ready.clear()
            try:
                async with asyncio.timeout(timeout):
                    await self._ready.wait()
            except TimeoutError:
                return []
        taken = list(self._buffer)
        self._buffer.clear()
        return taken

    def end(self, reason: str) -> None:
        self.ended = reason
        self._buffer.clear()
        self._ready.set()
