"""Solo tabs: symbols this node watches with its own tab WITHOUT holding the lease.

Two cases, one rule. While the cluster store is away (degraded), a node opens its own tab for each symbol its
viewers follow from another node, so prices never stop. And when a node loses or hands over a lease while
its viewers still watch, it keeps the tab until the new owner's first message arrives, so they see no gap.
A solo tab never publishes (no lease, no fence); it closes when the owner speaks, or after one lease ttl if
the owner stays silent, or when its last viewer here leaves.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from prices import TooManySymbols

if TYPE_CHECKING:
    from .prices import ClusterPrices, Want

log = logging.getLogger(__name__)


class SoloTabs:
    def __init__(self, prices: ClusterPrices, ttl: float) -> None:
        self._prices = prices
        self._ttl = ttl

    def lost(self, symbol: str, want: Want, why: str) -> None:
        self._prices.disown(want)
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

    def open(self, symbol: str, want: Want) -> None:
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

    def expiring(self, symbol: str, want: Want) -> None:
        """Another node holds the lease: a solo tab here has until its deadline for that node to speak."""
        if not want.solo:
            return
        if want.solo_until is None:
            want.solo_until = time.monotonic() + self._ttl
        elif time.monotonic() > want.solo_until:
            self.close(symbol, want, 'the owner has not spoken; following it anyway')

    def close(self, symbol: str, want: Want, why: str) -> None:
        want.solo, want.solo_until = False, None
        self._prices.local.unsubscribe(symbol)
        log.info('%s: node %s closed its own tab (%s)', symbol, self._prices.node_id, why)
        if want.viewers == 0 and want.lease is None:
            self._prices.forget(symbol)
        else:
            self._prices.reread_soon(symbol)

    def owner_spoke(self, symbol: str, want: Want, degraded: bool) -> None:
        """A message from the symbol's current owner arrived: a solo tab here is a duplicate now."""
        if want.solo and not degraded:
            self.close(symbol, want, f'following {want.owner}')

