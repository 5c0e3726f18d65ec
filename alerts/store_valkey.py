"""Alerts of a cluster, in its Valkey: every node holds all of them, the owner of a symbol fires its alerts.

Each alert is a hash (`cryptotracker:alert:{id}`), so a claim is one Lua script that compares the arming and the
generation and moves the generation on, then publishes the change: whichever node's claim comes first counts,
the other is refused, however the two evaluations of a crossing overlapped (a failover, a lease stolen). Every
change is published on one channel; each node listens on one pub/sub connection of its own and reads changed
alerts again (listener(id, message)); when that connection is made again it reads everything (listener(None,
{})), since messages sent while it was down are lost. Delivery log lines travel on the same channel, so the
node where the person's page is shows what the firing node's deliveries did.

Only the client from `cluster.store_link.connect` is used: it follows Sentinel failovers.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from redis.exceptions import RedisError
from redis.typing import EncodableT

from cluster import store_link
from settings import Settings

from .model import LOG_KEPT, Alert, AlertSpec, Firing, LogEntry
from .store import ChangeListener, StoreDown, make_token

log = logging.getLogger(__name__)
T = TypeVar('T')
PREFIX = 'cryptotracker:alert'
ALL = f'{PREFIX}s'  # set of every alert id
CHANGES = f'{PREFIX}s:changed'
# Each node's own mark (as cluster/user_store.py does): gone, the store lost its data since this node last
# looked. Not shared: the first node to notice would put a shared one back before the others had written
# back what only they held. It expires after a day, then costs one needless comparison.
MARKER = f'{PREFIX}s-marker:{{node}}'
MARKER_TTL_S = 86_400
RETRY_S = 1.0
CHUNK = 500
# KEYS[1] the alert; ARGV: arming, generation seen, new generation, fired_at, fired_price, channel, message
CLAIM = '''
local seen = redis.call('HMGET', KEYS[1], 'arming', 'generation')
if seen[1] ~= ARGV[1] or seen[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'generation', ARGV[3], 'fired_at', ARGV[4], 'fired_price', ARGV[5])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
'''


def alert_key(alert_id: str) -> str:
    return f'{PREFIX}:{alert_id}'


def log_key(alert_id: str) -> str:
    return f'{PREFIX}log:{alert_id}'


def token_key(token: str) -> str:
    return f'{PREFIX}token:{token}'


def token_of_key(owner: str) -> str:
    return f'{PREFIX}token-of:{owner}'


class ValkeyStore:
    def __init__(self, settings: Settings) -> None:
        self.node = settings.node_name
        self.redis = store_link.connect(settings)
        self._listeners: list[ChangeListener] = []
        self._listening: asyncio.Task | None = None
        self.up = False

    async def _run(self, work: Callable[[], Awaitable[T]]) -> T:
        try:
            return await work()
        except (RedisError, OSError) as error:
            raise StoreDown(f'The cluster store cannot be reached now ({type(error).__name__}): try again in '
                            'a moment.') from error

    async def start(self) -> None:
        self._listening = asyncio.create_task(self._listen(), name='alert changes')

    async def stop(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            await asyncio.gather(self._listening, return_exceptions=True)
        await self.redis.aclose()

    def on_change(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def _message(self, alert_id: str, what: str, **extra: Any) -> str:
        return json.dumps({'id': alert_id, 'node': self.node, 'what': what, **extra})

    # --- alerts --------------------------------------------------------------------------------------------

    async def load(self) -> list[Alert]:
        async def load() -> list[Alert]:
            ids = sorted(_text(member) for member in await self.redis.smembers(ALL))
            alerts = []
            for start in range(0, len(ids), CHUNK):
                async with self.redis.pipeline(transaction=False) as pipe:
                    for alert_id in ids[start:start + CHUNK]:
                        pipe.hgetall(alert_key(alert_id))
                    rows = await pipe.execute()
                pairs = zip(ids[start:], rows, strict=False)
                alerts += [alert for alert_id, row in pairs if (alert := _alert(alert_id, row))]
            return alerts
        return await self._run(load)

    async def lost_since_seen(self) -> bool:
        """The store lost its data since this node last marked it (a flushed or replaced Valkey): what the nodes
        hold is all that is left of the alerts, and they write back what is missing."""
        return not await self._run(lambda: self.redis.exists(MARKER.format(node=self.node)))

    async def mark(self) -> None:
        await self._run(lambda: self.redis.set(MARKER.format(node=self.node), 1, ex=MARKER_TTL_S))

    async def get(self, alert_id: str) -> Alert | None:
        return _alert(alert_id, await self._run(lambda: self.redis.hgetall(alert_key(alert_id))))

    async def put(self, alert: Alert) -> None:
        fields: dict[EncodableT, EncodableT] = {
            'owner': alert.owner, 'spec': json.dumps(alert.spec.as_dict()), 'arming': alert.arming,
            'generation': str(alert.generation), 'fired_at': _number(alert.fired_at),
            'fired_price': _number(alert.fired_price), 'created_at': repr(alert.created_at)}

        async def put() -> None:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(alert_key(alert.id))
                pipe.hset(alert_key(alert.id), mapping=fields)
                pipe.sadd(ALL, alert.id)
                pipe.publish(CHANGES, self._message(alert.id, 'put'))
                await pipe.execute()
        await self._run(put)

    async def delete(self, alert_id: str) -> bool:
        async def delete() -> bool:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(alert_key(alert_id), log_key(alert_id))
                pipe.srem(ALL, alert_id)
                pipe.publish(CHANGES, self._message(alert_id, 'delete'))
                deleted, *_ = await pipe.execute()
            return deleted > 0
        return await self._run(delete)

    async def claim(self, firings: list[Firing]) -> list[Alert | None]:
        async def claim() -> list[Alert | None]:
            fired = [firing.alert.fired(firing.at, firing.price) for firing in firings]
            async with self.redis.pipeline(transaction=False) as pipe:
                for firing, after in zip(firings, fired, strict=False):
                    pipe.eval(CLAIM, 1, alert_key(after.id), firing.alert.arming, str(firing.alert.generation),
                              str(after.generation), _number(after.fired_at), _number(after.fired_price), CHANGES,
                              self._message(after.id, 'fired'))
                won = await pipe.execute()
            return [after if result == 1 else None for after, result in zip(fired, won, strict=False)]
        return await self._run(claim)

    # --- delivery logs and tokens ------------------------------------------------------------------------------

    async def add_log(self, alert_id: str, entry: LogEntry, broken: bool = False) -> None:
        async def add() -> None:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.lpush(log_key(alert_id), json.dumps(entry.as_dict()))
                pipe.ltrim(log_key(alert_id), 0, LOG_KEPT - 1)
                pipe.publish(CHANGES, self._message(alert_id, 'log', entry=entry.as_dict(), broken=broken))
                await pipe.execute()
        await self._run(add)

    async def log_of(self, alert_id: str) -> list[LogEntry]:
        rows = await self._run(lambda: self.redis.lrange(log_key(alert_id), 0, LOG_KEPT - 1))
        return [LogEntry.from_dict(json.loads(row)) for row in rows]

    async def token(self, owner: str) -> str:
        async def token() -> str:
            while True:  # again only if the owner's token was removed between the two steps (nothing here does)
                made = make_token()
                if await self.redis.set(token_of_key(owner), made, nx=True):
                    await self.redis.set(token_key(made), owner)
                    return made
                if (current := await self.redis.get(token_of_key(owner))) is not None:
                    return _text(current)
        return await self._run(token)

    async def new_token(self, owner: str) -> str:
        async def new_token() -> str:
            made = make_token()
            old = await self.redis.get(token_of_key(owner))
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(token_of_key(owner), made)
                pipe.set(token_key(made), owner)
                if old is not None:
                    pipe.delete(token_key(_text(old)))
                await pipe.execute()
            return made
        return await self._run(new_token)

    async def owner_of(self, token: str) -> str | None:
        owner = await self._run(lambda: self.redis.get(token_key(token)))
        return _text(owner) if owner is not None else None

    # --- other nodes' changes -------------------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANGES)
                if not self.up:
                    log.info('node %s: alert changes followed', self.node)
                self.up = True
                self._tell(None, {})  # messages sent while not subscribed are lost: read everything
                while True:
                    raw = await pubsub.get_message(timeout=1.0)
                    if raw is not None and raw['type'] == 'message':
                        self._received(raw['data'])
            except (RedisError, OSError) as error:
                if self.up:
                    log.warning('node %s: alert changes not followed, reconnecting: %s', self.node, error)
                self.up = False
            finally:
                await pubsub.aclose()
            await asyncio.sleep(RETRY_S)

    def _received(self, data: bytes) -> None:
        try:
            message = json.loads(data)
            alert_id, node = str(message['id']), message.get('node')
        except (ValueError, TypeError, KeyError):
            log.warning('ignored a message that is not an alert change')
            return
        if node != self.node:  # this node knows its own changes already
            self._tell(alert_id, message)

    def _tell(self, alert_id: str | None, message: dict[str, Any]) -> None:
        for listener in self._listeners:
            listener(alert_id, message)


def _number(value: float | None) -> str:
    return '' if value is None else repr(float(value))


def _text(value: bytes | str) -> str:
    """A reply as text: bytes from our clients (store_link does not decode), str as redis-py's types allow too."""
    return value.decode() if isinstance(value, bytes) else value


def _alert(alert_id: str, row: Mapping[bytes | str, bytes | str]) -> Alert | None:
    if not row:
        return None
    fields = {_text(key): _text(value) for key, value in row.items()}
    try:
        return Alert(alert_id, fields['owner'], AlertSpec.from_dict(json.loads(fields['spec'])), fields['arming'],
                     int(fields['generation']), float(fields['fired_at']) if fields.get('fired_at') else None,
                     float(fields['fired_price']) if fields.get('fired_price') else None,
                     float(fields.get('created_at') or 0.0))
    except (KeyError, TypeError, ValueError) as error:
        log.warning('alert %s not read (%s): left in the store', alert_id, error)
        return None
