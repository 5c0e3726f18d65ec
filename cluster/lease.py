"""One symbol's lease, as the node that owns it holds it: redis-py's Lock plus a fencing number.

The Lock is `SET key token NX PX ttl` to take it and compare-token Lua scripts to renew and release it; it
does not renew by itself, so the owner's tick calls `renew` well within the ttl.
"""
from __future__ import annotations

import time

from redis.asyncio import Redis
from redis.exceptions import LockNotOwnedError

from .wire import fence_key, lease_key


class Lease:
    def __init__(self, redis: Redis, symbol: str, ttl: float) -> None:
        self._redis = redis
        self._symbol = symbol
        # thread_local=False: the token must be the same for every task of this node's loop.
        self._lock = redis.lock(lease_key(symbol), timeout=ttl, blocking=False, thread_local=False)
        self.fence = 0
        self.renewed_at = 0.0  # time.monotonic() of the last success

    async def acquire(self) -> bool:
        """Take the lease if no live node holds it; each new term gets a higher fencing number."""
        if not await self._lock.acquire():
            return False
        self.fence = int(await self._redis.incr(fence_key(self._symbol)))
        self.renewed_at = time.monotonic()
        return True

    async def renew(self) -> bool:
        """False once another node holds it. Raises RedisError when Redis cannot be asked."""
        try:
            await self._lock.reacquire()
        except LockNotOwnedError:
            # Expired, or Redis came back empty: it is ours again only if nobody else took it meanwhile.
            return await self.acquire()
        self.renewed_at = time.monotonic()
        return True

    async def release(self) -> None:
        try:
            await self._lock.release()
        except LockNotOwnedError:
            pass  # expired already: nothing of ours to give back
