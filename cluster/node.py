"""A cluster node's state, in one place: the symbols it wants, what each one shows, and what any part of the
node may do to one of them.

A symbol this node's viewers want is either OWNED here (this node holds its lease, its own LocalPrices has
the tab, and its engine publishes every change), FOLLOWED (another node owns it; its messages arrive on the
PriceBus), or SOLO (watched by this node's own tab without the lease: see solo_tabs.py). The parts that act on
it each take this Node: the coordinator (leases, interest, degraded mode), the solo tabs, and prices.py, the
face the UI sees. Everything here runs on the UI's loop.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from market.entry import Status
from market.history import PriceHistory
from market.symbols import InvalidSymbol, normalize_symbol
from prices import Listeners, LivePrice, LocalPrices
from settings import Settings

from . import store_link
from .history_share import HistoryShare
from .lease import Lease
from .wire import PriceMessage, latest_key, latest_ttl_ms

log = logging.getLogger(__name__)


@dataclass
class Want:
    """One symbol this node's viewers want, or that it owns for other nodes' viewers."""
    price: LivePrice  # what this node's viewers see, whoever owns the symbol
    viewers: int = 0  # on this node
    lease: Lease | None = None  # held while this node's Chromium watches it
    fence: int = 0  # the highest fencing number seen for it: lower ones come from an owner that lost it
    owner: str | None = None  # the node whose values `price` shows
    # Watched by this node's own tab WITHOUT the lease: while the store is away, or until a new owner speaks.
    solo: bool = False
    solo_until: float | None = None  # time.monotonic() by which that owner must have spoken
    unowned_since: float | None = None  # time.monotonic() since when no node holds its lease


class Node:
    def __init__(self, settings: Settings) -> None:
        assert settings.clustered, 'a cluster node needs --redis-url or --redis-sentinel'
        self.settings = settings
        self.node_id = settings.node_name
        self.local = LocalPrices(settings)
        self.redis = store_link.connect(settings)
        self.wants: dict[str, Want] = {}
        self.latest_ttl_ms = latest_ttl_ms(settings.lease_ttl)
        self.degraded_since: float | None = None  # time.time() when the store stopped answering
        self.degraded_seconds = 0.0  # in all, the spells that ended (the coordinator keeps both)
        self.histories = HistoryShare(self.redis, self.owned, self)
        self.price_listeners: Listeners[[LivePrice]] = Listeners()
        self.state_listeners: Listeners[[LivePrice]] = Listeners()
        self.forgotten: list[Callable[[str], Awaitable[None]]] = []  # the bus's unfollow
        self.owner_spoke: Callable[[str, Want], None] = lambda symbol, want: None  # the solo tabs' answer
        self.stale_dropped = 0
        self.chores: set[asyncio.Task] = set()  # short-lived Redis calls made for synchronous calls

    @property
    def degraded(self) -> bool:
        return self.degraded_since is not None

    def known(self, raw_symbol: str) -> str:
        try:
            return normalize_symbol(raw_symbol, self.settings.exchange)
        except InvalidSymbol:
            return ''

    def owned(self, symbol: str) -> bool:
        return (want := self.wants.get(symbol)) is not None and want.lease is not None

    # --- what viewers see -------------------------------------------------------------------------------

    def show(self, want: Want, values: dict[str, Any], owner: str | None) -> None:
        want.owner = owner
        moved, restated = want.price.apply(values)
        if restated:
            self.state_listeners(want.price)
        if moved:
            self.price_listeners(want.price)

    def set_waiting(self, want: Want, message: str) -> None:
        if want.price.status != Status.ERROR.value and want.price.message != message:
            want.price.set_status(Status.RECONNECTING, message)  # the message differs: a change
            self.state_listeners(want.price)

    def forget(self, symbol: str) -> None:
        """Neither wanted here nor owned here any more."""
        want = self.wants.pop(symbol, None)
        if want is not None:
            self.histories.forget(symbol)
            for unfollow in self.forgotten:
                self.chore(unfollow(symbol), f'unfollow {symbol}')

    # --- owned ----------------------------------------------------------------------------------------

    def republish(self, want: Want) -> None:
        """A new term, or a store that lost our keys: the engine publishes under this term's fence from now on,
        and the whole state (latest value, history) is written again."""
        assert want.lease is not None
        symbol = want.price.symbol
        self.local.publish_as(symbol, want.lease.fence)
        self.local.republish(symbol)
        self.histories.forget(symbol)
        self.share_history(want)

    def disown(self, want: Want) -> None:
        """This node no longer holds the lease: its engine stops publishing the symbol at once."""
        want.lease = None
        self.local.publish_as(want.price.symbol, None)

    def share_history(self, want: Want) -> None:
        self.histories.share_if_due(want.price.symbol, want.price.history)

    # --- followed ---------------------------------------------------------------------------------------

    def accept(self, symbol: str, message: PriceMessage) -> None:
        """A message from the symbol's owner, live or read back: shown unless it is older than one seen."""
        want = self.wants.get(symbol)
        if want is None or want.lease is not None or message.node == self.node_id:
            return  # not wanted here, or ours: this node's own tab is the better source
        if message.fence < want.fence:
            self.stale_dropped += 1
            log.info('%s: dropped a late message from %s (fence %d < %d)', symbol, message.node, message.fence,
                     want.fence)
            return
        want.fence = message.fence
        self.show(want, message.values, message.node)
        self.owner_spoke(symbol, want)
        if self.histories.behind(symbol, want.price.history, message.values.get('bar')):
            self.chore(self.histories.read(symbol, self.followed_history), f'read history of {symbol}')

    def followed_history(self, symbol: str) -> PriceHistory | None:
        want = self.wants.get(symbol)
        return want.price.history if want is not None and want.lease is None else None

    async def reread(self, symbol: str) -> None:
        """Show the last published value at once (cache-first across the cluster). Fences only grow, even
        across a store that restarted empty (lease.py), so the usual check keeps a stale value out."""
        try:
            raw = await self.redis.get(latest_key(symbol))
        except (RedisError, OSError):
            return  # the bus reconnects and re-reads everything
        message = PriceMessage.decode(raw) if raw is not None else None
        if message is not None:
            self.accept(symbol, message)

    def reread_soon(self, symbol: str) -> None:
        self.chore(self.reread(symbol), f'reread {symbol}')

    async def reread_all(self) -> None:
        for symbol, want in list(self.wants.items()):
            if want.lease is None:
                await self.reread(symbol)

    def chore(self, work: Awaitable[Any], name: str) -> None:
        task = asyncio.ensure_future(work)
        task.set_name(name)
        self.chores.add(task)
        task.add_done_callback(self.chores.discard)

    def degraded_for(self) -> float:
        """Seconds spent degraded in all, the current spell included."""
        current = time.time() - self.degraded_since if self.degraded_since is not None else 0.0
        return self.degraded_seconds + current
