"""One symbol's lease, as the node that owns it holds it: redis-py's Lock plus a fencing number.

The Lock is `SET key token NX PX ttl` to take it and compare-token Lua scripts to renew and release it; it
does not renew by itself, so the owner's tick calls `renew` well within the ttl.
"""
from __future__ import annotations

import time

from redis.asyncio import Redis
from redis.exceptions import LockNotOwnedError

from .wire import fence_key, lease_key


NEXT_FENCE = '''
local fence = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if fence <= floor then
    fence = floor + 1
    redis.call('SET', KEYS[1], fence)
end
return fence
'''


class Lease:
    def __init__(self, redis: Redis, symbol: str, ttl: float) -> None:
        self._redis = redis
        self._symbol = symbol
        # thread_local=False: the token must be the same for every task of this node's loop.
        self._lock = redis.lock(lease_key(symbol), timeout=ttl, blocking=False, thread_local=False)
        self.fence = 0
        self._next_fence = redis.register_script(NEXT_FENCE)
        self.renewed_at = 0.0  # time.monotonic() of the last success

    async def acquire(self, floor: int = 0) -> bool:
        """Take the lease if no live node holds it; each new term gets a higher fencing number.

        The number is at least the clock in milliseconds and above `floor` (the highest this node has seen):
        a store that came back empty would otherwise count from 1 again, and followers would drop every
        message of the new owner as stale. Terms are seconds apart, far more than clocks differ.
        """
        if not await self._lock.acquire():
            return False
        floor = max(floor, int(time.time() * 1000))
        self.fence = int(await self._next_fence(keys=[fence_key(self._symbol)], args=[floor]))
        self.renewed_at = time.monotonic()
        return True

    async def renew(self) -> bool:
        """False once another node holds it. Raises RedisError when Redis cannot be asked."""
        try:
            await self._lock.reacquire()
        except LockNotOwnedError:
            # Expired, or Redis came back empty: it is ours again only if nobody else took it meanwhile.
            return await self.acquire(self.fence)
        self.renewed_at = time.monotonic()
        return True

    async def release(self) -> None:
        try:
            await self._lock.release()
        except LockNotOwnedError:
            pass  # expired already: nothing of ours to give back
