"""A symbol's history across nodes: its owner writes a snapshot to Redis, a node that follows it reads it.

Prices and the series' current bar reach followers in every message (wire.PriceMessage); what a message
cannot carry is the day before the follower arrived. So the owner writes a snapshot (every bar, the last
15 minutes of prices) at most every HISTORY_SHARE_S and whenever its page's series loads; a follower reads it
when it starts following, and again when messages show the
owner has a series it has not drawn.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from market.history import PriceHistory
from prices import Listeners

from .wire import history_key

log = logging.getLogger(__name__)
# Enough for a follower to draw the day at once; cheap enough (bench history: ~140 KB, ~1 ms) for the UI's loop.
HISTORY_SHARE_S = 10.0
HISTORY_TICKS_SHARED_S = 900.0
RETRY_S = 0.5


class StoreState(Protocol):
    """What the writer needs to know of the store: the coordinator answers it."""
    latest_ttl_ms: int

    @property
    def degraded(self) -> bool: ...


class HistoryShare:
    def __init__(self, redis: Redis, owned: Callable[[str], bool], store: StoreState) -> None:
        self._redis = redis
        self._owned = owned  # is this node the symbol's owner (and so its history's writer) now?
        self._store = store
        self._ttl_ms = store.latest_ttl_ms
        self._shared_at: dict[str, float] = {}  # owned symbol -> when its snapshot was last written
        self._reading: set[str] = set()
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self.listeners: Listeners[[str, PriceHistory]] = Listeners()

    def loaded(self, symbol: str, history: PriceHistory) -> None:
        """The symbol's history took a whole series: tell the UI, and share it with the next message."""
        self._shared_at.pop(symbol, None)
        self.listeners(symbol, history)

    def share_if_due(self, symbol: str, history: PriceHistory) -> None:
        """An owned symbol changed: write its snapshot if the last is HISTORY_SHARE_S old (or `forget` ran)."""
        now = time.time()
        if now - self._shared_at.get(symbol, 0.0) >= HISTORY_SHARE_S:
            self._shared_at[symbol] = now
            self._outbox.put_nowait((symbol, orjson.dumps(history.snapshot(now - HISTORY_TICKS_SHARED_S))))

    async def write(self) -> None:
        """The one writer of this node's snapshots: newest per symbol, retried until the store takes it."""
        unsent: dict[str, bytes] = {}
        while True:
            if not unsent:
                symbol, snapshot = await self._outbox.get()
                unsent[symbol] = snapshot
            while not self._outbox.empty():
                symbol, snapshot = self._outbox.get_nowait()
                unsent[symbol] = snapshot
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for symbol, snapshot in unsent.items():
                        pipe.set(history_key(symbol), snapshot, px=self._ttl_ms)
                    await pipe.execute()
                unsent.clear()
            except (RedisError, OSError) as error:
                if not self._store.degraded:  # degraded: logged once; the rejoin writes everything again
                    log.warning('%d history snapshots not written yet, retrying: %s', len(unsent), error)
                await asyncio.sleep(RETRY_S)
            unsent = {s: h for s, h in unsent.items() if self._owned(s)}

    def forget(self, symbol: str) -> None:
        self._shared_at.pop(symbol, None)

    def behind(self, symbol: str, history: PriceHistory, bar: object) -> bool:
        """The owner's messages carry a series bar, and we have not drawn its series yet (nor are reading it)."""
        return bar is not None and not history.from_series and symbol not in self._reading

    async def read(self, symbol: str, history_of: Callable[[str], PriceHistory | None]) -> None:
        """Take the owner's snapshot into the history `history_of(symbol)` gives, if still followed then."""
        self._reading.add(symbol)
        try:
            raw = await self._redis.get(history_key(symbol))
        except (RedisError, OSError):
            return
        finally:
            self._reading.discard(symbol)
        history = history_of(symbol)
        if raw is None or history is None:
            return
        try:
            history.restore(orjson.loads(raw))
        except (ValueError, KeyError, TypeError, IndexError) as error:
            log.warning('%s: unreadable history snapshot in Redis (%s); building it from prices', symbol, error)
            return
        self.loaded(symbol, history)


