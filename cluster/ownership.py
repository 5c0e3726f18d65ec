"""Which node should own a symbol: the least-loaded of the nodes whose viewers want it.

Every node writes how many symbols it owns into one hash each tick (with an expiry, so a dead node's count
stops counting) and reads the others' in the same round trip. A symbol that nobody owns is taken by an
interested node that owns no more than every other interested node; after ORPHAN_GRACE_S any interested
node takes it, so no symbol waits on a node that is slow to act. A node that owns two or more symbols more
than another node interested in one of them hands that one over (at most one every HANDOVER_EVERY_S), keeping
its tab until the new owner speaks, so its viewers see no gap.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

LOAD_KEY = 'cryptotracker:owned'
ORPHAN_GRACE_S = 3.0
HANDOVER_EVERY_S = 5.0
UNEVEN = 2  # owning this many more than an interested node is uneven


def load_entry(count: int, ttl_s: float) -> str:
    """This node's hash value: its count and until when it holds (ms since the epoch)."""
    return f'{count}:{int((time.time() + ttl_s) * 1000)}'


@dataclass(frozen=True)
class Loads:
    """Live nodes' owned counts, as the hash said in this tick."""
    counts: Mapping[str, int]

    @classmethod
    def parse(cls, raw: Mapping[bytes, bytes]) -> Loads:
        now_ms = time.time() * 1000
        counts: dict[str, int] = {}
        for node, value in raw.items():
            count, _, until = value.decode().partition(':')
            if count.isdigit() and until.isdigit() and int(until) > now_ms:
                counts[node.decode()] = int(count)
        return cls(counts)

    def of(self, node: str) -> int:
        return self.counts.get(node, 0)


def should_take(me: str, mine: int, interested: list[str], loads: Loads, unowned_for: float) -> bool:
    """Take an unowned symbol now? `mine`: the symbols this node owns."""
    others = [loads.of(node) for node in interested if node != me]
    return not others or mine <= min(others) or unowned_for >= ORPHAN_GRACE_S


def to_hand_over(me: str, owned: Mapping[str, list[str]], loads: Loads) -> tuple[str, str] | None:
    """(symbol, node) to hand over: an owned symbol another interested node is much less loaded for."""
    mine = len(owned)
    best: tuple[int, str, str] | None = None
    for symbol, interested in sorted(owned.items()):
        for node in interested:
            if node != me and mine - loads.of(node) >= UNEVEN and (best is None or loads.of(node) < best[0]):
                best = (loads.of(node), symbol, node)
    return (best[1], best[2]) if best else None
