"""One symbol's lease, as the node that owns it holds it: a token under a key that expires, plus a fencing number.

Taking it is `SET key token NX PX ttl`; renewing and giving it back compare the token first (Lua), so a node
never extends or deletes another node's lease. It does not renew by itself: the coordinator renews all of a
node's leases in ONE pipeline per tick, because on a loop busy with thousands of viewers every round trip
waits behind their sends, and one round trip per lease made renewals late enough to lose leases under load;
and the store probe renews them again from its own thread, which a held loop does not delay.
"""
from __future__ import annotations

import secrets
import time
from typing import NamedTuple

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from .wire import fence_key, lease_key

# Each new term's fence: above the stored counter, above `floor`, so it only ever grows.
NEXT_FENCE = '''
local fence = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if fence <= floor then
    fence = floor + 1
    redis.call('SET', KEYS[1], fence)
end
return fence
'''
RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"
RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class Renewal(NamedTuple):
    key: str
    token: str
    ttl_ms: int


class Lease:
    def __init__(self, redis: Redis, symbol: str, ttl: float) -> None:
        self._redis = redis
        self.key = lease_key(symbol)
        self._fence_key = fence_key(symbol)
        self._ttl_ms = int(ttl * 1000)
        self._token = secrets.token_hex(16)
        self._next_fence = redis.register_script(NEXT_FENCE)
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)
        self.fence = 0
        self.renewed_at = 0.0  # time.monotonic() of the last success

    async def acquire(self, floor: int = 0) -> bool:
        """Take the lease if no live node holds it; each new term gets a higher fencing number.

        The number is at least the clock in milliseconds and above `floor` (the highest this node has seen):
        a store that came back empty would otherwise count from 1 again, and followers would drop every
        message of the new owner as stale. Terms are seconds apart, far more than clocks differ.
        """
        if not await self._redis.set(self.key, self._token, nx=True, px=self._ttl_ms):
            return False
        floor = max(floor, self.fence, int(time.time() * 1000))
        self.fence = int(await self._next_fence(keys=[self._fence_key], args=[floor]))
        self.renewed_at = time.monotonic()
        return True

    async def renew_in(self, pipe: Pipeline) -> None:
        """Add the renewal to `pipe`; its result goes to `renewed`."""
        await self._renew(keys=[self.key], args=[self._token, self._ttl_ms], client=pipe)

    def renewal(self) -> Renewal:
        """What a renewal from elsewhere needs (store_probe.py): a stale one is harmless, RENEW compares the token."""
        return Renewal(self.key, self._token, self._ttl_ms)

    def renewed(self, result: object) -> bool:
        """False: the key is gone (expired, or a store that lost it) or another node's."""
        if result:
            self.renewed_at = time.monotonic()
        return bool(result)

    async def release(self) -> None:
        await self._release(keys=[self.key], args=[self._token])
