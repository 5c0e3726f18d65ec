"""The one task of a node that touches leases and interest: every tick (and at once when kicked) it

1. renews this node's interest in each symbol its viewers want (a sorted set scored by expiry, so a dead
   node's interest disappears by itself) and withdraws it for those they no longer want;
2. renews each lease it holds, and closes the tab at once when a lease is lost;
3. gives back each symbol it owns that no node wants any more (tab closed, latest value deleted);
4. takes the lease of each wanted symbol that no live node holds, if it has room for another tab.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from prices import TooManySymbols

from .lease import Lease
from .wire import history_key, interest_key, latest_key, lease_key

if TYPE_CHECKING:
    from .prices import ClusterPrices, Want

log = logging.getLogger(__name__)


class Coordinator:
    def __init__(self, prices: ClusterPrices) -> None:
        self._prices = prices
        self._ttl = prices.settings.lease_ttl
        self.tick_s = self._ttl / 6  # renewals every ttl/6: two can fail and the lease still holds
        self.latest_ttl_ms = int(max(600.0, self._ttl * 10) * 1000)  # refreshed by each renewal
        self._kicked = asyncio.Event()
        self._interested: set[str] = set()  # symbols whose interest this node has registered
        self.redis_up = False
        self.renewals_failed = 0

    def kick(self) -> None:
        self._kicked.set()

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._kicked.wait(), self.tick_s)
            except TimeoutError:
                pass
            self._kicked.clear()
            try:
                await self._tick()
                if not self.redis_up:
                    log.info('node %s: cluster store reachable', self._prices.node_id)
                self.redis_up = True
            except (RedisError, OSError) as error:
                if self.redis_up:
                    log.warning('node %s: cluster store unreachable: %s', self._prices.node_id, error)
                self.redis_up = False
                self._drop_expired_leases()
            except Exception:  # noqa: BLE001 - this task must outlive any one bad tick
                log.exception('node %s: coordinator tick failed', self._prices.node_id)

    async def _tick(self) -> None:
        await self._register_interest()
        for symbol, want in list(self._prices.wants.items()):
            if want.lease is not None:
                await self._keep_or_give_back(symbol, want)
            elif want.viewers > 0:
                await self._try_to_own(symbol, want)

    async def _register_interest(self) -> None:
        node, expires = self._prices.node_id, time.time() + self._ttl
        wanted = {s for s, want in self._prices.wants.items() if want.viewers > 0}
        async with self._prices.redis.pipeline(transaction=False) as pipe:
            for symbol in wanted:
                pipe.zadd(interest_key(symbol), {node: expires})
            for symbol in self._interested - wanted:
                pipe.zrem(interest_key(symbol), node)
            await pipe.execute()
        self._interested = wanted

    async def _keep_or_give_back(self, symbol: str, want: Want) -> None:
        assert want.lease is not None
        if not await want.lease.renew():
            self.renewals_failed += 1
            self._lose(symbol, want, 'its lease was taken by another node')
            return
        redis = self._prices.redis
        await redis.pexpire(latest_key(symbol), self.latest_ttl_ms)
        await redis.pexpire(history_key(symbol), self.latest_ttl_ms)
        key = interest_key(symbol)
        await redis.zremrangebyscore(key, '-inf', time.time())
        if await redis.zcard(key) == 0:
            await self._give_back(symbol, want)

    async def _try_to_own(self, symbol: str, want: Want) -> None:
        local = self._prices.local
        if len(local.symbols) >= self._prices.settings.max_symbols:
            if not await self._prices.redis.exists(lease_key(symbol)):
                self._prices.set_waiting(want, 'Waiting for a node with room for it: this one watches its limit '
                                               f'of {self._prices.settings.max_symbols} symbols.')
            return
        lease = Lease(self._prices.redis, symbol, self._ttl)
        if not await lease.acquire():
            return
        try:
            local.subscribe(symbol)
        except TooManySymbols:  # raced with another take-over of ours: give it straight back
            await lease.release()
            return
        want.lease, want.fence = lease, lease.fence
        log.info('%s: owned by node %s now (fence %d)', symbol, self._prices.node_id, lease.fence)
        current = local.entry(symbol)
        assert current is not None
        values = current.values()
        self._prices.show(want, values, self._prices.node_id)
        self._prices.publish(want, values)  # so followers see the new owner's state at once

    async def _give_back(self, symbol: str, want: Want) -> None:
        """No node wants it: close the tab and let the cluster forget the price."""
        assert want.lease is not None
        lease, want.lease = want.lease, None
        self._prices.local.unsubscribe(symbol)
        await self._prices.redis.delete(latest_key(symbol), history_key(symbol))
        await lease.release()
        log.info('%s: no node wants it any more; node %s closed its tab', symbol, self._prices.node_id)
        if want.viewers == 0:
            self._prices.forget(symbol)

    def _lose(self, symbol: str, want: Want, why: str) -> None:
        want.lease = None
        self._prices.local.unsubscribe(symbol)  # at once: two tabs for one symbol is what leases prevent
        log.warning('%s: node %s lost it (%s) and closed its tab', symbol, self._prices.node_id, why)
        if want.viewers == 0:
            self._prices.forget(symbol)
        else:
            self._prices.set_waiting(want, 'Moving to another node…')

    def _drop_expired_leases(self) -> None:
        """Redis cannot be asked: a lease not renewed for a whole ttl may be another node's by now."""
        now = time.monotonic()
        for symbol, want in list(self._prices.wants.items()):
            if want.lease is not None and now - want.lease.renewed_at > self._ttl:
                self.renewals_failed += 1
                self._lose(symbol, want, 'the cluster store was unreachable for longer than the lease')

    async def give_back_everything(self) -> None:
        """On shutdown: withdraw every interest and lease of this node."""
        for symbol, want in list(self._prices.wants.items()):
            if want.lease is not None:
                await want.lease.release()
                want.lease = None
        async with self._prices.redis.pipeline(transaction=False) as pipe:
            for symbol in self._interested:
                pipe.zrem(interest_key(symbol), self._prices.node_id)
            await pipe.execute()
