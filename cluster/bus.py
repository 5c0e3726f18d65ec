"""The node's one pub/sub connection, subscribed to the symbols its viewers watch, and nothing else.

Pub/sub is at-most-once: whenever the connection is (re)made, `on_connected` runs so the node re-reads the
latest value of every symbol it follows and shows nothing stale.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from .wire import PREFIX, PriceMessage, channel, symbol_of

log = logging.getLogger(__name__)
RETRY_S = 1.0


class PriceBus:
    def __init__(self, redis: Redis, node_id: str, on_message: Callable[[str, PriceMessage], None],
                 on_connected: Callable[[], Awaitable[None]]) -> None:
        self._redis = redis
        self._node_channel = f'{PREFIX}node:{node_id}'  # always subscribed, so reading never lacks a channel
        self._on_message = on_message
        self._on_connected = on_connected
        self._symbols: set[str] = set()
        self._pubsub: PubSub | None = None
        self.up = False
        self.received = 0

    async def run(self) -> None:
        """Until cancelled: connect, subscribe, deliver; on any Redis trouble start over after RETRY_S."""
        while True:
            try:
                await self._serve()
            except (RedisError, OSError) as error:
                if self.up:
                    log.warning('cluster store unreachable, price bus reconnecting: %s', error)
                self.up = False
            except Exception:
                log.exception('price bus failed; reconnecting')
                self.up = False
            await asyncio.sleep(RETRY_S)

    async def _serve(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            subscribed = set(self._symbols)
            await pubsub.subscribe(self._node_channel, *map(channel, subscribed))
            self._pubsub = pubsub
            # follow() and unfollow() calls made while that subscribe waited found no connection to send on.
            if missed := self._symbols - subscribed:
                await pubsub.subscribe(*map(channel, missed))
            if dropped := subscribed - self._symbols:
                await pubsub.unsubscribe(*map(channel, dropped))
            self.up = True
            await self._on_connected()
            while True:
                raw = await pubsub.get_message(timeout=1.0)
                if raw is not None and raw['type'] == 'message':
                    self._deliver(raw['channel'], raw['data'])
        finally:
            self._pubsub = None
            await pubsub.aclose()

    def _deliver(self, channel_name: bytes | str, data: bytes | str) -> None:
        name = channel_name.decode() if isinstance(channel_name, bytes) else channel_name
        message = PriceMessage.decode(data)
        if message is None:
            log.warning('ignored a message that is not a price message on %s', name)
            return
        self.received += 1
        self._on_message(symbol_of(name), message)

    async def follow(self, symbol: str) -> None:
        self._symbols.add(symbol)
        await self._send(self._pubsub.subscribe if self._pubsub else None, symbol)

    async def unfollow(self, symbol: str) -> None:
        self._symbols.discard(symbol)
        await self._send(self._pubsub.unsubscribe if self._pubsub else None, symbol)

    async def _send(self, command: Callable[[str], Awaitable[object]] | None, symbol: str) -> None:
        if command is None:
            return  # not connected: the next connection subscribes to exactly self._symbols
        try:
            await command(channel(symbol))
        except (RedisError, OSError):
            pass  # the connection is going down; run() reconnects with self._symbols
