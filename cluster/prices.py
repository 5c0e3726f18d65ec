"""Prices as one node of a cluster sees them: the same interface as LocalPrices, one tab per symbol cluster-wide.

The UI cannot tell an owned symbol from a followed one: it gets one LivePrice per symbol either way. This
module is that face and the wiring: the node's state (node.py), its pub/sub connection (bus.py), the one task
that owns every lease and interest record of this node (coordinator.py) and the history writer.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from market.history import PriceHistory
from market.symbols import normalize_symbol, sort_key
from prices import ClusterView, Listeners, LivePrice, Mode, PriceListener, Remove, SeriesListener
from scraper.engine_messages import BrowserHealth
from settings import Settings

from . import store_link
from .bus import PriceBus
from .coordinator import Coordinator
from .node import Node, Want
from .wire import PriceMessage

log = logging.getLogger(__name__)


class ClusterPrices:
    """The PriceSource, SourceHealth and Instruments of a cluster node."""

    mode = Mode.CLUSTER

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.node = node = Node(settings)
        self.bus = PriceBus(node.redis, node.node_id, self._received, node.reread_all)
        self.coordinator = Coordinator(node)
        node.forgotten.append(self.bus.unfollow)
        node.owner_spoke = self.coordinator.solo.owner_spoke
        self._hop_listeners: Listeners[[float]] = Listeners()
        self._tasks: list[asyncio.Task] = []
        node.local.on_change(self._local_changed)
        node.local.on_series(self._local_series)

    # --- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.node.local.start()
        self._tasks = [asyncio.create_task(self.bus.run(), name='cluster price bus'),
                       asyncio.create_task(self.coordinator.run(), name='cluster coordinator'),
                       asyncio.create_task(self.node.histories.write(), name='cluster history writer')]
        log.info('node %s: cluster mode on %s', self.node.node_id, store_link.describe(self.settings))

    async def stop(self) -> None:
        node = self.node
        for task in [*self._tasks, *node.chores]:
            task.cancel()
        await asyncio.gather(*self._tasks, *node.chores, return_exceptions=True)
        try:  # hand the leases back at once, so other nodes take over in a second rather than a ttl
            await asyncio.wait_for(self.coordinator.give_back_everything(), 3)
        except (RedisError, OSError, TimeoutError) as error:
            log.warning('node %s: leases not given back (%s); they expire by themselves', node.node_id, error)
        await node.redis.aclose()
        node.wants.clear()
        await node.local.stop()

    # --- the interface the UI uses (as LocalPrices) ------------------------------------------------------

    def subscribe(self, raw_symbol: str) -> LivePrice:
        symbol = normalize_symbol(raw_symbol, self.settings.exchange)
        want = self.node.wants.get(symbol)
        if want is None:
            want = self.node.wants[symbol] = Want(LivePrice(symbol))
            self.node.chore(self._follow(symbol), f'follow {symbol}')
        want.viewers += 1
        if want.viewers == 1:
            self.coordinator.kick()  # register interest, and take the lease if nobody holds it
        return want.price

    def unsubscribe(self, raw_symbol: str) -> None:
        want = self.node.wants.get(self.node.known(raw_symbol))
        if want is None or want.viewers == 0:
            return
        want.viewers -= 1
        if want.viewers == 0:
            self.coordinator.kick()  # withdraw interest now, so the owner learns within a tick
            if want.lease is None and not want.solo:  # a solo tab is closed by the coordinator
                self.node.forget(want.price.symbol)

    def entry(self, raw_symbol: str) -> LivePrice | None:
        want = self.node.wants.get(self.node.known(raw_symbol))
        return want.price if want is not None and want.viewers > 0 else None

    def history(self, raw_symbol: str) -> PriceHistory | None:
        price = self.entry(raw_symbol)
        return price.history if price else None

    def viewers(self, raw_symbol: str) -> int:
        want = self.node.wants.get(self.node.known(raw_symbol))
        return want.viewers if want else 0

    def owner(self, raw_symbol: str) -> str | None:
        want = self.node.wants.get(self.node.known(raw_symbol))
        return want.owner if want else None

    @property
    def symbols(self) -> list[str]:
        return sorted((s for s, want in self.node.wants.items() if want.viewers > 0), key=sort_key)

    def on_price(self, listener: PriceListener) -> Remove:
        return self.node.price_listeners.add(listener)

    def on_state(self, listener: PriceListener) -> Remove:
        return self.node.state_listeners.add(listener)

    def on_series(self, listener: SeriesListener) -> Remove:
        return self.node.histories.listeners.add(listener)

    # --- how it is doing (SourceHealth, Instruments) ----------------------------------------------------

    def on_hop(self, listener: Callable[[float], None]) -> Remove:
        """Call `listener(seconds)` for each message from another node: its publish -> its arrival here."""
        return self._hop_listeners.add(listener)

    def on_handover(self, listener: Callable[[float], None]) -> Remove:
        return self.node.local.on_handover(listener)

    def on_engine_lag(self, listener: Callable[[float], None]) -> Remove:
        return self.node.local.on_engine_lag(listener)

    def browser_health(self) -> BrowserHealth:
        return self.node.local.browser_health()

    def cluster_view(self) -> ClusterView:
        node, wants = self.node, self.node.wants.values()
        return ClusterView(node=node.node_id, redis_reachable=self.coordinator.redis_up and self.bus.up,
                           degraded=node.degraded, degraded_since=node.degraded_since,
                           degraded_seconds=round(node.degraded_for(), 3),
                           solo_tabs=sum(1 for w in wants if w.solo),
                           symbols_owned=sum(1 for w in wants if w.lease is not None),
                           symbols_followed=sum(1 for w in wants if w.lease is None and w.viewers > 0),
                           lease_renewals_failed=self.coordinator.renewals_failed,
                           messages_published=node.local.published, messages_received=self.bus.received,
                           stale_messages_dropped=node.stale_dropped)

    # --- this node's own tabs: the engine publishes every change (engine_publisher.py) ------------------

    def _local_changed(self, symbol: str, values: dict[str, Any]) -> None:
        want = self.node.wants.get(symbol)
        if want is None or (want.lease is None and not want.solo):
            return
        self.node.show(want, values, self.node.node_id)
        if want.lease is not None:
            self.node.share_history(want)

    def _local_series(self, symbol: str, history: PriceHistory) -> None:
        want = self.node.wants.get(symbol)
        if want is None or (want.lease is None and not want.solo):
            return
        want.price.apply_series(history.bars(), history.resolution)
        self.node.histories.loaded(symbol, want.price.history)
        if want.lease is not None:
            self.node.share_history(want)  # now: a node may start following before the next change

    # --- followed: messages come in ---------------------------------------------------------------------

    def _received(self, symbol: str, message: PriceMessage) -> None:
        """A message on the bus, just published by its owner."""
        if message.node != self.node.node_id:
            self._hop_listeners(time.time() - message.sent_at)
        self.node.accept(symbol, message)

    async def _follow(self, symbol: str) -> None:
        await self.bus.follow(symbol)
        await self.node.reread(symbol)
        await self.node.histories.read(symbol, self.node.followed_history)
