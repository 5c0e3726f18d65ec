"""Prices as one node of a cluster sees them: the same interface as LocalPrices, one tab per symbol cluster-wide.

A symbol this node's viewers want is either OWNED here (this node holds its lease, its own LocalPrices has
the tab, and every change is published once) or FOLLOWED (another node owns it; its messages arrive on the
PriceBus). The UI cannot tell which: it gets one LivePrice per symbol either way. Everything here runs on
the UI's loop; one task (`_coordinate`) owns every lease and every interest record of this node.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

from nicegui import binding
from redis.exceptions import RedisError

from market.entry import Status
from market.history import PriceHistory
from market.symbols import InvalidSymbol, normalize_symbol, sort_key
from prices import LivePrice, LocalPrices, PriceListener
from scraper.engine_messages import BrowserHealth
from settings import Settings

from . import store_link
from .bus import PriceBus
from .coordinator import Coordinator
from .history_share import HistoryShare
from .lease import Lease
from .wire import PriceMessage, latest_key

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


class ClusterPrices:
    def __init__(self, settings: Settings) -> None:
        assert settings.clustered, 'a cluster node needs --redis-url or --redis-sentinel'
        self.settings = settings
        self.node_id = settings.node_name
        self.local = LocalPrices(settings)
        self.redis = store_link.connect(settings)
        self.wants: dict[str, Want] = {}
        self.bus = PriceBus(self.redis, self.node_id, self._received, self._reread_all)
        self.coordinator = Coordinator(self)
        self._price_listeners: list[PriceListener] = []
        self._hop_listeners: list[Callable[[float], None]] = []
        self.histories = HistoryShare(self.redis, self._owned, self.coordinator)
        self._tasks: list[asyncio.Task] = []
        self._chores: set[asyncio.Task] = set()  # short-lived Redis calls made for the UI's synchronous calls
        self.stale_dropped = 0
        self.local.on_change(self._local_changed)
        self.local.on_series(self._local_series)

    # --- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.local.start()
        self._tasks = [asyncio.create_task(self.bus.run(), name='cluster price bus'),
                       asyncio.create_task(self.coordinator.run(), name='cluster coordinator'),
                       asyncio.create_task(self.histories.write(), name='cluster history writer')]
        log.info('node %s: cluster mode on %s', self.node_id, store_link.describe(self.settings))

    async def stop(self) -> None:
        for task in [*self._tasks, *self._chores]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._chores, return_exceptions=True)
        try:  # hand the leases back at once, so other nodes take over in a second rather than a ttl
            await asyncio.wait_for(self.coordinator.give_back_everything(), 3)
        except (RedisError, OSError, TimeoutError) as error:
            log.warning('node %s: leases not given back (%s); they expire by themselves', self.node_id, error)
        await self.redis.aclose()
        for want in self.wants.values():
            binding.remove([want.price])
        self.wants.clear()
        await self.local.stop()

    # --- the interface the UI uses (as LocalPrices) ------------------------------------------------------

    def subscribe(self, raw_symbol: str) -> LivePrice:
        symbol = normalize_symbol(raw_symbol, self.settings.exchange)
        want = self.wants.get(symbol)
        if want is None:
            want = self.wants[symbol] = Want(LivePrice(symbol))
            self._chore(self._follow(symbol), f'follow {symbol}')
        want.viewers += 1
        if want.viewers == 1:
            self.coordinator.kick()  # register interest, and take the lease if nobody holds it
        return want.price

    def unsubscribe(self, raw_symbol: str) -> None:
        want = self.wants.get(self._known(raw_symbol))
        if want is None or want.viewers == 0:
            return
        want.viewers -= 1
        if want.viewers == 0:
            self.coordinator.kick()  # withdraw interest now, so the owner learns within a tick
            if want.lease is None and not want.solo:  # a solo tab is closed by the coordinator
                self.forget(want.price.symbol)

    def entry(self, raw_symbol: str) -> LivePrice | None:
        want = self.wants.get(self._known(raw_symbol))
        return want.price if want is not None and want.viewers > 0 else None

    def history(self, raw_symbol: str) -> PriceHistory | None:
        price = self.entry(raw_symbol)
        return price.history if price else None

    def viewers(self, raw_symbol: str) -> int:
        want = self.wants.get(self._known(raw_symbol))
        return want.viewers if want else 0

    def owner(self, raw_symbol: str) -> str | None:
        want = self.wants.get(self._known(raw_symbol))
        return want.owner if want else None

    @property
    def symbols(self) -> list[str]:
        return sorted((s for s, want in self.wants.items() if want.viewers > 0), key=sort_key)

    def on_price(self, listener: PriceListener) -> None:
        self._price_listeners.append(listener)

    def on_series(self, listener: Callable[[str, PriceHistory], None]) -> None:
        self.histories.listeners.append(listener)

    def on_hop(self, listener: Callable[[float], None]) -> None:
        """Call `listener(seconds)` for each message from another node: its publish -> its arrival here."""
        self._hop_listeners.append(listener)

    def on_handover(self, listener: Callable[[float], None]) -> None:
        self.local.on_handover(listener)

    def on_engine_lag(self, listener: Callable[[float], None]) -> None:
        self.local.on_engine_lag(listener)

    def health(self) -> BrowserHealth:
        return self.local.health()

    def cluster_health(self) -> dict[str, Any]:
        owned = [s for s, want in self.wants.items() if want.lease is not None]
        since = self.coordinator.degraded_since
        return {'node': self.node_id, 'mode': 'cluster', 'redis_reachable': self.coordinator.redis_up and self.bus.up,
                'degraded': since is not None, 'degraded_since': since,
                'degraded_seconds': round(self.coordinator.degraded_for(), 3),
                'solo_tabs': sum(1 for w in self.wants.values() if w.solo),
                'symbols_owned': len(owned), 'symbols_followed': sum(1 for w in self.wants.values()
                                                                     if w.lease is None and w.viewers > 0),
                'lease_renewals_failed': self.coordinator.renewals_failed, 'messages_published': self.local.published,
                'messages_received': self.bus.received, 'stale_messages_dropped': self.stale_dropped}

    # --- showing values, whoever owns the symbol -------------------------------------------------------

    def show(self, want: Want, values: dict[str, Any], owner: str | None) -> None:
        want.owner = owner
        if want.price.apply(values):
            for listener in self._price_listeners:
                listener(want.price)

    def forget(self, symbol: str) -> None:
        """Neither wanted here nor owned here any more."""
        want = self.wants.pop(symbol, None)
        if want is not None:
            binding.remove([want.price])
            self.histories.forget(symbol)
            self._chore(self.bus.unfollow(symbol), f'unfollow {symbol}')

    def set_waiting(self, want: Want, message: str) -> None:
        if want.price.status != Status.ERROR.value and want.price.message != message:
            want.price.set_status(Status.RECONNECTING, message)

    # --- owned: the engine publishes every change (engine_publisher.py); history snapshots go from here ------

    def _local_changed(self, symbol: str, values: dict[str, Any]) -> None:
        want = self.wants.get(symbol)
        if want is None or (want.lease is None and not want.solo):
            return
        self.show(want, values, self.node_id)
        if want.lease is not None:
            self._share_history(want)

    def _local_series(self, symbol: str, history: PriceHistory) -> None:
        want = self.wants.get(symbol)
        if want is None or (want.lease is None and not want.solo):
            return
        want.price.apply_series(history.bars(), history.resolution)
        self.histories.loaded(symbol, want.price.history)
        if want.lease is not None:
            self._share_history(want)  # now: a node may start following before the next change

    def republish(self, want: Want) -> None:
        """A new term, or a store that lost our keys: the engine publishes under this term's fence from now on,
        and the whole state (latest value, history) is written again."""
        assert want.lease is not None
        symbol = want.price.symbol
        self.local.publish_as(symbol, want.lease.fence)
        self.local.republish(symbol)
        self.histories.forget(symbol)
        self._share_history(want)

    def _owned(self, symbol: str) -> bool:
        return (want := self.wants.get(symbol)) is not None and want.lease is not None

    def disown(self, want: Want) -> None:
        """This node no longer holds the lease: its engine stops publishing the symbol at once."""
        want.lease = None
        self.local.publish_as(want.price.symbol, None)

    def _share_history(self, want: Want) -> None:
        self.histories.share_if_due(want.price.symbol, want.price.history)

    # --- followed: messages come in ---------------------------------------------------------------------

    def _received(self, symbol: str, message: PriceMessage) -> None:
        """A message on the bus, just published by its owner."""
        if message.node != self.node_id:
            hop = time.time() - message.sent_at
            for listener in self._hop_listeners:
                listener(hop)
        self._accept(symbol, message)

    def _accept(self, symbol: str, message: PriceMessage) -> None:
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
        self.coordinator.solo.owner_spoke(symbol, want, self.coordinator.degraded)
        if self.histories.behind(symbol, want.price.history, message.values.get('bar')):
            self._chore(self.histories.read(symbol, self._followed_history), f'read history of {symbol}')

    async def _follow(self, symbol: str) -> None:
        await self.bus.follow(symbol)
        await self.reread(symbol)
        await self.histories.read(symbol, self._followed_history)

    def _followed_history(self, symbol: str) -> PriceHistory | None:
        want = self.wants.get(symbol)
        return want.price.history if want is not None and want.lease is None else None

    async def reread(self, symbol: str) -> None:
        """Show the last published value at once (cache-first across the cluster). Fences only grow, even
        across a store that restarted empty (lease.py), so the usual check keeps a stale value out."""
        try:
            raw = await self.redis.get(latest_key(symbol))
        except (RedisError, OSError):
            return  # the bus reconnects and re-reads everything
        want = self.wants.get(symbol)
        message = PriceMessage.decode(raw) if raw is not None else None
        if want is None or want.lease is not None or message is None:
            return
        self._accept(symbol, message)

    def reread_soon(self, symbol: str) -> None:
        self._chore(self.reread(symbol), f'reread {symbol}')

    async def _reread_all(self) -> None:
        for symbol, want in list(self.wants.items()):
            if want.lease is None:
                await self.reread(symbol)

    # --- helpers -------------------------------------------------------------------------------------------

    def _chore(self, work: Any, name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    def _known(self, raw_symbol: str) -> str:
        try:
            return normalize_symbol(raw_symbol, self.settings.exchange)
        except InvalidSymbol:
            return ''
