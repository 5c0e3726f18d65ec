"""The one task of a node that touches leases and interest: every tick (and at once when kicked) it

1. renews this node's interest in each symbol its viewers want (a sorted set scored by expiry, so a dead
   node's interest disappears by itself) and withdraws it for those they no longer want;
2. renews each lease it holds; a lease lost to another node makes the symbol SOLO here until that node's
   first message arrives (so viewers see no gap), then the tab closes;
3. gives back each symbol it owns that no node wants any more (tab closed, latest value deleted);
4. takes the lease of each wanted symbol that no live node holds, if it has room for another tab.

When the store cannot be reached (refused, or no answer within store_link.TIMEOUT_S), the node is DEGRADED:
it keeps every tab it has and opens its own tab for each symbol its viewers follow from another node, so
prices never stop while Valkey is away. Several nodes may then watch one symbol; that is the price of staying
live. When the store answers again the ticks above put the cluster back to one tab per symbol: leases are
taken in a new term (a higher fence), and the solo tabs of the nodes that did not win close once the winner's
messages arrive.
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
# A tick that takes longer means the store hangs. With a tick every TICK_S, a store that stops answering is
# noticed within TICK_S + TICK_TIMEOUT_S, and followers' tabs open then: the longest gap a viewer sees is
# that plus a page load (bench durability). Longer would be kinder to a loop that is busy for a moment.
TICK_S = 0.5
TICK_TIMEOUT_S = 1.0
# How long the store must stay unreachable before followed symbols get tabs here: a restart that takes a
# moment should not open (and then close) a tab per symbol on every node.
SOLO_AFTER_S = 1.0


class Coordinator:
    def __init__(self, prices: ClusterPrices) -> None:
        self._prices = prices
        self._ttl = prices.settings.lease_ttl
        self.tick_s = min(TICK_S, self._ttl / 6)  # renewals at least every ttl/6: two can fail, the lease holds
        self.latest_ttl_ms = int(max(600.0, self._ttl * 10) * 1000)  # refreshed by each renewal
        self._kicked = asyncio.Event()
        self._interested: set[str] = set()  # symbols whose interest this node has registered
        self.redis_up = False
        self.degraded_since: float | None = None  # time.time() when the store stopped answering
        self.degraded_seconds = 0.0  # in all, for /metrics
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
            started = time.time()
            try:
                async with asyncio.timeout(TICK_TIMEOUT_S):
                    await self._tick()
                self._reachable()
            except (RedisError, OSError, TimeoutError) as error:
                self._unreachable(error, started)
            except Exception:  # noqa: BLE001 - this task must outlive any one bad tick
                log.exception('node %s: coordinator tick failed', self._prices.node_id)

    def _reachable(self) -> None:
        if self.degraded_since is not None:
            away = time.time() - self.degraded_since
            self.degraded_seconds += away
            log.warning('node %s: cluster store reachable again after %.1f s; back to one tab per symbol',
                        self._prices.node_id, away)
            self.degraded_since = None
            for want in self._prices.wants.values():  # nothing was published while away
                if want.lease is not None:
                    self._prices.republish(want)
        elif not self.redis_up:
            log.info('node %s: cluster store reachable', self._prices.node_id)
        self.redis_up = True

    def _unreachable(self, error: BaseException, tick_started: float) -> None:
        if self.degraded_since is None:
            self.degraded_since = tick_started
            log.warning('node %s: cluster store unreachable (%s): degraded, every viewer is served from this '
                        "node's own tabs until it is back", self._prices.node_id, error or type(error).__name__)
        self.redis_up = False
        if time.time() - self.degraded_since < SOLO_AFTER_S:
            return
        for symbol, want in list(self._prices.wants.items()):
            if want.viewers > 0 and want.lease is None and not want.solo:
                self._go_solo(symbol, want)
            elif want.viewers == 0 and want.solo:
                self._end_solo(symbol, want, 'no viewer here any more')

    @property
    def degraded(self) -> bool:
        return self.degraded_since is not None

    def degraded_for(self) -> float:
        """Seconds spent degraded in all, the current spell included."""
        current = time.time() - self.degraded_since if self.degraded_since is not None else 0.0
        return self.degraded_seconds + current

    # --- one tick -------------------------------------------------------------------------------------

    async def _tick(self) -> None:
        await self._register_interest()
        for symbol, want in list(self._prices.wants.items()):
            if want.lease is not None:
                await self._keep_or_give_back(symbol, want)
            elif want.viewers > 0:
                await self._try_to_own(symbol, want)
            elif want.solo:
                self._end_solo(symbol, want, 'no viewer here any more')

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
        term = want.lease.fence
        if not await want.lease.renew():
            self.renewals_failed += 1
            self._lose(symbol, want, 'its lease was taken by another node')
            return
        want.fence = want.lease.fence
        redis = self._prices.redis
        async with redis.pipeline(transaction=False) as pipe:
            pipe.pexpire(latest_key(symbol), self.latest_ttl_ms)
            pipe.pexpire(history_key(symbol), self.latest_ttl_ms)
            pipe.zremrangebyscore(interest_key(symbol), '-inf', time.time())
            pipe.zcard(interest_key(symbol))
            latest_kept, history_kept, _, interested = await pipe.execute()
        if interested == 0:
            await self._give_back(symbol, want)
        elif want.lease.fence != term or not latest_kept or not history_kept:
            # A new term, or a store that lost our keys (restarted empty, flushed): write everything again.
            self._prices.republish(want)

    async def _try_to_own(self, symbol: str, want: Want) -> None:
        local = self._prices.local
        if not want.solo and len(local.symbols) >= self._prices.settings.max_symbols:
            if not await self._prices.redis.exists(lease_key(symbol)):
                self._prices.set_waiting(want, 'Waiting for a node with room for it: this one watches its limit '
                                               f'of {self._prices.settings.max_symbols} symbols.')
            return
        lease = Lease(self._prices.redis, symbol, self._ttl)
        if not await lease.acquire(want.fence):
            self._solo_expiring(symbol, want)
            return
        if not want.solo:
            try:
                local.subscribe(symbol)
            except TooManySymbols:  # raced with another take-over of ours: give it straight back
                await lease.release()
                return
        want.lease, want.fence, want.solo, want.solo_until = lease, lease.fence, False, None
        log.info('%s: owned by node %s now (fence %d)', symbol, self._prices.node_id, lease.fence)
        self._prices.republish(want)  # so followers see the new owner's state at once

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

    # --- solo tabs: this node's own tab without the lease ----------------------------------------------

    def _lose(self, symbol: str, want: Want, why: str) -> None:
        want.lease = None
        if want.viewers == 0:
            self._prices.local.unsubscribe(symbol)
            self._prices.forget(symbol)
            log.warning('%s: node %s lost it (%s) and closed its tab', symbol, self._prices.node_id, why)
            return
        # The tab stays until the new owner's first message, so this node's viewers see no gap; it publishes
        # nothing meanwhile, and its fence is below the new owner's anyway.
        want.solo, want.solo_until = True, time.monotonic() + self._ttl
        log.warning('%s: node %s lost it (%s); its tab closes when the new owner speaks', symbol,
                    self._prices.node_id, why)

    def _go_solo(self, symbol: str, want: Want) -> None:
        """Degraded: watch a followed symbol with this node's own tab, if there is room for one."""
        try:
            self._prices.local.subscribe(symbol)
        except TooManySymbols:
            self._prices.set_waiting(want, 'The cluster store is unreachable and this node watches its limit of '
                                           f'{self._prices.settings.max_symbols} symbols.')
            return
        want.solo, want.solo_until = True, None
        log.info('%s: node %s watches it itself while the cluster store is away', symbol, self._prices.node_id)
        if (current := self._prices.local.entry(symbol)) is not None and current.price is not None:
            self._prices.show(want, current.values(), self._prices.node_id)

    def _solo_expiring(self, symbol: str, want: Want) -> None:
        """Another node holds the lease: a solo tab here has until its deadline for that node to speak."""
        if not want.solo:
            return
        if want.solo_until is None:
            want.solo_until = time.monotonic() + self._ttl
        elif time.monotonic() > want.solo_until:
            self._end_solo(symbol, want, 'the owner has not spoken; following it anyway')

    def _end_solo(self, symbol: str, want: Want, why: str) -> None:
        want.solo, want.solo_until = False, None
        self._prices.local.unsubscribe(symbol)
        log.info('%s: node %s closed its own tab (%s)', symbol, self._prices.node_id, why)
        if want.viewers == 0 and want.lease is None:
            self._prices.forget(symbol)
        else:
            self._prices.reread_soon(symbol)

    def owner_spoke(self, symbol: str, want: Want) -> None:
        """A message from the symbol's current owner arrived: a solo tab here is a duplicate now."""
        if want.solo and not self.degraded:
            self._end_solo(symbol, want, f'following {want.owner}')

    # --- shutdown ------------------------------------------------------------------------------------

    async def give_back_everything(self) -> None:
        """On shutdown: withdraw every interest and lease of this node."""
        for want in list(self._prices.wants.values()):
            if want.lease is not None:
                await want.lease.release()
                want.lease = None
        async with self._prices.redis.pipeline(transaction=False) as pipe:
            for symbol in self._interested:
                pipe.zrem(interest_key(symbol), self._prices.node_id)
            await pipe.execute()
