"""An owner's prices go to Valkey from its engine process, the first place they exist.

Published from the web process, each message waited behind the node's own viewers' sends before it left
(bench cluster: hop p99 ~200 ms, of which Valkey's part was a few ms). The engine process has each change
first and a loop that serves no viewer, so it publishes there; the web process only says which symbols this
node owns and under which fence (`own`), and asks for the whole state again after a new term (`republish`).

One writer per engine: the newest message per symbol, in one round trip per burst, retried until the store
takes it. The store itself refuses a message whose fence is below the one it holds (PUBLISH_IF_CURRENT), so
a node that lost a lease while the store was away cannot overwrite the new owner's latest value later.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from redis.exceptions import RedisError

from settings import Settings

from . import store_link
from .wire import PriceMessage, channel, history_key, latest_key, latest_ttl_ms

log = logging.getLogger(__name__)
RETRY_S = 0.5
PUBLISH_IF_CURRENT = '''
local current = redis.call('GET', KEYS[1])
if current then
    local fence = tonumber(string.match(current, '"f":(%d+)'))
    if fence and fence > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('PUBLISH', KEYS[2], ARGV[1])
return 1
'''


class EnginePublisher:
    def __init__(self, settings: Settings) -> None:
        self._redis = store_link.connect(settings)
        self._script = self._redis.register_script(PUBLISH_IF_CURRENT)
        self._node = settings.node_name
        self._ttl_ms = latest_ttl_ms(settings.lease_ttl)
        self._fences: dict[str, int] = {}  # owned symbol -> its lease's fence
        self._unsent: dict[str, tuple[int, str]] = {}  # symbol -> (fence, newest message)
        self._forgotten: set[str] = set()  # symbols whose latest value and history are to be deleted
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.published = 0
        self.refused = 0  # messages the store held a newer term for

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name='cluster publisher')

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._redis.aclose()

    def own(self, symbol: str, fence: int | None) -> None:
        """Publish the symbol's changes under `fence` from now on; None: this node no longer owns it."""
        if fence is None:
            self._fences.pop(symbol, None)
            self._unsent.pop(symbol, None)
        else:
            self._fences[symbol] = fence

    def forget(self, symbol: str) -> None:
        """No node wants it any more: stop, and delete its latest value after anything still in flight."""
        self.own(symbol, None)
        self._forgotten.add(symbol)
        self._wake.set()

    def changed(self, symbol: str, values: dict[str, Any]) -> None:
        if (fence := self._fences.get(symbol)) is None:
            return
        self._unsent[symbol] = (fence, PriceMessage(fence, self._node, values, time.time()).encode())
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._unsent or self._forgotten:
                batch, self._unsent = self._unsent, {}
                forgotten, self._forgotten = self._forgotten, set()
                try:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for symbol, (fence, message) in batch.items():
                            await self._script(keys=[latest_key(symbol), channel(symbol)],
                                               args=[message, fence, self._ttl_ms], client=pipe)
                        for symbol in forgotten:
                            pipe.delete(latest_key(symbol), history_key(symbol))
                        results = await pipe.execute()
                    taken = results[:len(batch)]
                    self.published += sum(1 for ok in taken if ok)
                    self.refused += sum(1 for ok in taken if not ok)
                except (RedisError, OSError) as error:
                    log.warning('node %s: %d price messages not published yet, retrying: %s', self._node,
                                len(batch), error)
                    # Newer messages of the same symbols won meanwhile; a symbol no longer owned is dropped.
                    self._unsent = {**{s: m for s, m in batch.items() if self._fences.get(s) == m[0]},
                                    **self._unsent}
                    self._forgotten |= forgotten - self._fences.keys()
                    await asyncio.sleep(RETRY_S)
