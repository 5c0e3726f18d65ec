"""The one task of a node that touches leases and interest: every tick (and at once when kicked) it

1. renews this node's interest in each symbol its viewers want (a sorted set scored by expiry, so a dead
   node's interest disappears by itself) and withdraws it for those they no longer want;
2. renews each lease it holds; a lease lost to another node makes the symbol SOLO here until that node's
   first message arrives (so viewers see no gap), then the tab closes;
3. gives back each symbol it owns that no node wants any more (tab closed, latest value deleted);
4. takes the lease of each wanted symbol that no live node holds, if it has room for another tab.

A tick that overruns its deadline while the node's store probe (store_probe.py, a thread of its own) heard the
store is put down to this node's busy loop, not to the store.

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

import redis.exceptions
from redis.exceptions import RedisError

from prices import TooManySymbols

from .lease import Lease
from .node import Node, Want
from .ownership import HANDOVER_EVERY_S, LOAD_KEY, Loads, load_entry, should_take, to_hand_over
from .solo_tabs import SoloTabs
from .store_probe import StoreProbe
from .wire import history_key, interest_key, latest_key, lease_key

log = logging.getLogger(__name__)
# A tick that takes longer means the store hangs. With a tick every TICK_S, a store that stops answering is
# noticed within TICK_S + TICK_TIMEOUT_S, and followers' tabs open then: the longest gap a viewer sees is
# that plus a page load (bench durability). Longer would be kinder to a loop that is busy for a moment.
TICK_S = 0.5
TICK_TIMEOUT_S = 1.0
# How long the store must stay unreachable before followed symbols get tabs here: a restart that takes a
# moment should not open (and then close) a tab per symbol on every node.
SOLO_AFTER_S = 1.0
FULL = 1_000_000  # the load a node with no room for another tab reports


HELD_S = 0.25  # a timeout noticed this late fired while the loop was held, not while it waited on the store


def loop_held_past(deadline: float) -> float | None:
    """How long past `deadline` a timeout was noticed, if so late that this process's own loop was held.

    A timeout fires on the loop's first turn after its deadline. When the loop is held (2000 viewers leaving
    at once: seconds of page clean-up and garbage collection, bench cluster), the store's answer waits in the
    socket with it, and the timeout wins that turn: the store answered, this node did not listen. Such a
    tick proves nothing about the store; the next one, on a free loop, does.
    """
    late = time.monotonic() - deadline
    return late if late > HELD_S else None


class Coordinator:
    def __init__(self, node: Node) -> None:
        self._node = node
        self._ttl = node.settings.lease_ttl
        self.tick_s = min(TICK_S, self._ttl / 6)  # renewals at least every ttl/6: two can fail, the lease holds
        self._kicked = asyncio.Event()
        self._interested: set[str] = set()  # symbols whose interest this node has registered
        self.redis_up = False
        self.renewals_failed = 0
        self._handed_over_at = 0.0
        self._excused = False  # the last tick's timeout was put down to this node's own held loop
        self._late_ticks = 0  # ticks in a row that overran while the store answered (logged once)
        self._probe = StoreProbe(node.settings)
        self.solo = SoloTabs(node, self._ttl)

    def kick(self) -> None:
        self._kicked.set()

    async def run(self) -> None:
        self._probe.start()
        try:
            while True:
                try:
                    await asyncio.wait_for(self._kicked.wait(), self.tick_s)
                except TimeoutError:
                    pass
                self._kicked.clear()
                try:
                    await self._tick_in_time()
                except Exception:
                    log.exception('node %s: coordinator tick failed', self._node.node_id)
        finally:
            await asyncio.shield(asyncio.to_thread(self._probe.stop))

    async def _tick_in_time(self) -> None:
        started, began = time.time(), time.monotonic()
        deadline = began + TICK_TIMEOUT_S
        try:
            async with asyncio.timeout(TICK_TIMEOUT_S):
                await self._tick()
        except (TimeoutError, redis.exceptions.TimeoutError) as error:
            if self._probe.answered_since(began):  # the store answered; this loop was too busy to listen
                self._late('the store probe had an answer during the tick', time.monotonic() - deadline)
                return
            held = loop_held_past(deadline)
            if held is not None and not self._excused:  # once in a row: a loop held for good hides nothing
                self._excused = True
                self._late("the store's answer waited past its deadline for the held loop", held)
                return
            self._unreachable(error, started)
        except (RedisError, OSError) as error:
            self._unreachable(error, started)
        else:
            self._reachable()
            self._late_ticks = 0
        self._excused = False

    def _late(self, why: str, seconds: float) -> None:
        """A tick overran with the store answering: not the store's absence. One line per spell, not per tick."""
        self._late_ticks += 1
        if self._late_ticks == 1:
            log.warning("node %s: a tick ran %.1f s past its deadline on this node's busy loop (%s); "
                        'not taken for the store being away', self._node.node_id, seconds, why)

    def _reachable(self) -> None:
        node = self._node
        if node.degraded_since is not None:
            away = time.time() - node.degraded_since
            node.degraded_seconds += away
            log.warning('node %s: cluster store reachable again after %.1f s; back to one tab per symbol',
                        self._node.node_id, away)
            node.degraded_since = None
            for want in self._node.wants.values():  # nothing was published while away
                if want.lease is not None:
                    self._node.republish(want)
        elif not self.redis_up:
            log.info('node %s: cluster store reachable', self._node.node_id)
        self.redis_up = True

    def _unreachable(self, error: BaseException, tick_started: float) -> None:
        if self._node.degraded_since is None:
            self._node.degraded_since = tick_started  # the first failing tick began: it counts from there
            log.warning('node %s: cluster store unreachable (%s): degraded, every viewer is served from this '
                        "node's own tabs until it is back", self._node.node_id, str(error) or type(error).__name__)
        self.redis_up = False
        if time.time() - self._node.degraded_since < SOLO_AFTER_S:
            return
        for symbol, want in list(self._node.wants.items()):
            if want.viewers > 0 and want.lease is None and not want.solo:
                self.solo.open(symbol, want)
            elif want.viewers == 0 and want.solo:
                self.solo.close(symbol, want, 'no viewer here any more')

    # --- one tick: one round trip for everything, then only what changes hands ---------------------------

    async def _tick(self) -> None:
        prices, node = self._node, self._node.node_id
        now = time.time()
        wanted = {s for s, want in prices.wants.items() if want.viewers > 0}
        owned = {s: w for s, w in prices.wants.items() if w.lease is not None}
        self._probe.keep(tuple(w.lease.renewal() for w in owned.values() if w.lease is not None))
        unowned = [s for s in wanted if s not in owned]
        withdrawn = self._interested - wanted
        async with prices.redis.pipeline(transaction=False) as pipe:
            for symbol in wanted:
                pipe.zadd(interest_key(symbol), {node: now + self._ttl})
            for symbol in withdrawn:
                pipe.zrem(interest_key(symbol), node)
            pipe.hset(LOAD_KEY, node, load_entry(self._load(len(owned)), self._ttl))
            pipe.hgetall(LOAD_KEY)
            for symbol, want in owned.items():
                assert want.lease is not None
                await want.lease.renew_in(pipe)
                pipe.pexpire(latest_key(symbol), self._node.latest_ttl_ms)
                pipe.pexpire(history_key(symbol), self._node.latest_ttl_ms)
            for symbol in [*owned, *unowned]:
                pipe.zremrangebyscore(interest_key(symbol), '-inf', now)
                pipe.zrange(interest_key(symbol), 0, -1)
            for symbol in unowned:
                pipe.exists(lease_key(symbol))
            results = iter(await pipe.execute())
        self._interested = wanted
        for _ in range(len(wanted) + len(withdrawn) + 1):  # interest and this node's load: nothing to read
            next(results)
        loads = Loads.parse(next(results))
        renewals = {s: (next(results), next(results), next(results)) for s in owned}
        interest = {s: [m.decode() for m in (next(results), next(results))[1]] for s in [*owned, *unowned]}
        taken = {s: bool(next(results)) for s in unowned}
        for symbol, (renewed, latest_kept, history_kept) in renewals.items():  # held since: only ticks drop leases
            await self._keep_or_give_back(symbol, owned[symbol], renewed, latest_kept and history_kept,
                                          interest[symbol])
        for symbol in unowned:
            if (wanted_here := prices.wants.get(symbol)) is not None and wanted_here.lease is None \
                    and wanted_here.viewers > 0:
                await self._maybe_own(symbol, wanted_here, taken[symbol], interest[symbol], loads)
        for symbol, left in list(prices.wants.items()):
            if left.viewers == 0 and left.lease is None and left.solo:
                self.solo.close(symbol, left, 'no viewer here any more')
        await self._even_out(loads, interest)

    def _load(self, owned: int) -> int:
        """What this node tells others it owns; a node with no room for another tab says it is full."""
        full = len(self._node.local.symbols) >= self._node.settings.max_symbols
        return FULL if full else owned

    async def _keep_or_give_back(self, symbol: str, want: Want, renewed: object, kept: bool,
                                 interested: list[str]) -> None:
        assert want.lease is not None
        term = want.lease.fence
        if not want.lease.renewed(renewed) and not await want.lease.acquire(want.fence):
            self.renewals_failed += 1
            self.solo.lost(symbol, want, 'its lease was taken by another node')
            return
        want.fence = want.lease.fence
        if not interested:
            await self._give_back(symbol, want)
        elif want.lease.fence != term or not kept:
            # A new term, or a store that lost our keys (restarted empty, flushed): write everything again.
            self._node.republish(want)

    async def _maybe_own(self, symbol: str, want: Want, taken: bool, interested: list[str], loads: Loads) -> None:
        if taken:
            want.unowned_since = None
            self.solo.expiring(symbol, want)
            return
        if want.unowned_since is None:
            want.unowned_since = time.monotonic()
        mine = sum(1 for w in self._node.wants.values() if w.lease is not None)
        if should_take(self._node.node_id, mine, interested, loads, time.monotonic() - want.unowned_since):
            await self._try_to_own(symbol, want)

    async def _even_out(self, loads: Loads, interest: dict[str, list[str]]) -> None:
        """Hand one symbol to a much less loaded interested node, at most every HANDOVER_EVERY_S."""
        if time.monotonic() - self._handed_over_at < HANDOVER_EVERY_S:
            return
        owned = {s: interest.get(s, []) for s, w in self._node.wants.items() if w.lease is not None}
        if (choice := to_hand_over(self._node.node_id, owned, loads)) is None:
            return
        symbol, to = choice
        want = self._node.wants[symbol]
        assert want.lease is not None
        lease = want.lease
        self._node.disown(want)
        await lease.release()
        self._handed_over_at = time.monotonic()
        want.solo, want.solo_until, want.unowned_since = True, time.monotonic() + self._ttl, time.monotonic()
        log.info('%s: node %s hands it over to less loaded node %s (%d against %d); its tab closes when %s speaks',
                 symbol, self._node.node_id, to, len(owned), loads.of(to), to)

    async def _try_to_own(self, symbol: str, want: Want) -> None:
        local = self._node.local
        if not want.solo and len(local.symbols) >= self._node.settings.max_symbols:
            self._node.set_waiting(want, 'Waiting for a node with room for it: this one watches its limit '
                                           f'of {self._node.settings.max_symbols} symbols.')
            return
        lease = Lease(self._node.redis, symbol, self._ttl)
        if not await lease.acquire(want.fence):
            self.solo.expiring(symbol, want)
            return
        if not want.solo:
            try:
                local.subscribe(symbol)
            except TooManySymbols:  # raced with another take-over of ours: give it straight back
                await lease.release()
                return
        want.lease, want.fence, want.solo, want.solo_until, want.unowned_since = lease, lease.fence, False, None, None
        log.info('%s: owned by node %s now (fence %d)', symbol, self._node.node_id, lease.fence)
        self._node.republish(want)  # so followers see the new owner's state at once

    async def _give_back(self, symbol: str, want: Want) -> None:
        """No node wants it: close the tab and let the cluster forget the price."""
        assert want.lease is not None
        lease, want.lease = want.lease, None
        self._node.local.unsubscribe(symbol)  # its engine deletes the latest value after its last publish
        await self._node.redis.delete(latest_key(symbol), history_key(symbol))
        await lease.release()
        log.info('%s: no node wants it any more; node %s closed its tab', symbol, self._node.node_id)
        if want.viewers == 0:
            self._node.forget(symbol)

    # --- shutdown ------------------------------------------------------------------------------------

    async def give_back_everything(self) -> None:
        """On shutdown: withdraw every interest and lease of this node."""
        for want in list(self._node.wants.values()):
            if want.lease is not None:
                await want.lease.release()
                want.lease = None
        async with self._node.redis.pipeline(transaction=False) as pipe:
            for symbol in self._interested:
                pipe.zrem(interest_key(symbol), self._node.node_id)
            await pipe.execute()
