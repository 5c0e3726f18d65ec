"""Each browser's saved data (its list, alerts, holdings, choices) in the cluster's store, kept through Valkey
restarts, outages and failovers.

NiceGUI 3.18's own Redis storage loses data three ways (see shared facts): its change listener dies in the
first seconds of an outage and never comes back; a store that comes back empty is not noticed; and when
the first read fails the user starts from {} and the next change overwrites the real data with it. It also
opens a client and a pub/sub connection per browser. So on a cluster node app.storage.user is a `UserData`
of this module (library_hooks/storage.py makes NiceGUI create them), and one `UserStore` per node:

- reads a browser's data when NiceGUI first needs it, waiting out a failover; if the store still does not
  answer, the dict is UNREAD: shown, never written (that would replace the real data with less), and read
  again as soon as the store answers;
- writes each change through one writer: the newest copy of each browser's data, SET and PUBLISHed in one
  round trip, retried until the store takes it, even after the browser's pages have closed;
- listens to every browser's changes on one pattern subscription (changes are rare: a node ignores those of
  browsers it does not hold), so no subscription ever waits on another;
- on each (re)connection, and whenever the store is another one (its run_id changed: a restart or a failover
  that redis-py's reconnect hides from us) or its marker key is gone (flushed), checks every copy it holds: a
  missing one is written back, a different one is taken (another node changed it while we could not hear).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from library_hooks.storage import PersistentDict

log = logging.getLogger(__name__)
KEY_PREFIX = 'nicegui:'  # NiceGUI's own key names: data saved before this module existed reads as it was
CHANGES = 'changes'  # NiceGUI's channel suffix
# Each node's own mark in the store: gone, the store lost its data. Not shared: the first node to notice would
# put a shared one back before the others looked. It expires after a day, then costs one needless check.
MARKER_KEY = 'cryptotracker:users-marker:{node}'
MARKER_TTL_S = 86_400
FIRST_READ_S = 4.0  # a Sentinel failover takes 2-3 s: a page waits that long for its data rather than show none
RETRY_S = 0.5
CHECK_S = 2.0  # how often the store is asked whether it is still the one whose copies were checked
FLUSH_S = 3.0  # on stopping, how long unsent changes may take to be written
CHUNK = 500


class UserData(PersistentDict):
    """One browser's app.storage.user on a cluster node."""

    def __init__(self, store: UserStore, key: str) -> None:
        self._store = store
        self.key = key
        self.read = False  # True once the store's copy (or its absence) is known
        self._taking = False  # applying the store's copy: not a change to send back
        super().__init__(data={}, on_change=self._changed)

    async def initialize(self) -> None:
        await self._store.open(self)

    def initialize_sync(self) -> None:
        raise RuntimeError('user storage on a cluster node is read asynchronously')

    async def close(self) -> None:
        self._store.close(self)

    def take(self, raw: bytes | str | None) -> None:
        """The store's copy becomes ours (None: there is none yet; ours, if any, is written)."""
        first = not self.read
        self.read = True
        if raw is None:
            if self and first:
                log.warning('%s: nothing stored yet; the changes made while it could not be read are saved now',
                            self.key)
                self._store.save(self)
            return
        stored = orjson.loads(raw)
        if not isinstance(stored, dict) or stored == self:
            return
        if first and self:
            log.warning('%s: read late (the store was away); its stored data replaces what this page changed '
                        'meanwhile', self.key)
        self._taking = True
        try:
            for key in set(self) - stored.keys():
                del self[key]
            self.update(stored)
        finally:
            self._taking = False

    def _changed(self) -> None:
        if not self._taking:
            self._store.save(self)


class UserStore:
    """The node's one connection to browsers' data: reads, the writer and the change listener."""

    def __init__(self, redis: Redis, node_id: str) -> None:
        self._redis = redis
        self._node = node_id
        self._open: dict[str, UserData] = {}  # by key: the browsers NiceGUI holds data of on this node
        self._unsent: dict[str, UserData] = {}  # changed, not yet taken by the store
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._server: str | None = None  # the run_id of the store last checked against
        self._marker = MARKER_KEY.format(node=node_id)
        self.up = False
        self.written_back = 0  # copies the store had lost, written again
        self.unread_refused = 0  # changes not written because the copy was never read

    def data(self, session_key: str) -> UserData:
        return UserData(self, KEY_PREFIX + session_key)

    # --- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen(), name='users listener'),
                       asyncio.create_task(self._write(), name='users writer')]

    async def stop(self, flush_s: float = FLUSH_S) -> None:
        """Write what is still unsent (for up to `flush_s`), then close everything."""
        deadline = time.monotonic() + flush_s
        # The writer's progress, polled with a deadline: it has no 'drained' event to wait on.
        while self._unsent and time.monotonic() < deadline and not self._tasks[1].done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if self._unsent:
            log.error('node %s: %d browsers\' changes could not be saved before stopping', self._node,
                      len(self._unsent))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._redis.aclose()

    # --- what UserData asks -------------------------------------------------------------------------------

    async def open(self, data: UserData) -> None:
        self._open[data.key] = data
        deadline = time.monotonic() + FIRST_READ_S
        while True:
            try:
                raw = await self._redis.get(data.key)
                break
            except (RedisError, OSError) as error:
                if time.monotonic() > deadline:
                    log.warning('%s: cannot be read (%s); shown empty and not saved until the store answers',
                                data.key, error)
                    return
                await asyncio.sleep(RETRY_S)
        if data.key in self._open:
            data.take(raw)

    def save(self, data: UserData) -> None:
        if not data.read:
            self.unread_refused += 1
            return
        self._unsent[data.key] = data
        self._wake.set()

    def close(self, data: UserData) -> None:
        """NiceGUI lets go of it (no page open): its changes are ignored, but an unsent one is still written."""
        if self._open.get(data.key) is data:
            del self._open[data.key]

    # --- writer ----------------------------------------------------------------------------------------

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._unsent:
                batch, self._unsent = self._unsent, {}
                try:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for key, data in batch.items():
                            body = orjson.dumps(data)
                            pipe.set(key, body)
                            pipe.publish(key + CHANGES, orjson.dumps({'node': self._node, 'data': data}))
                        await pipe.execute()
                except (RedisError, OSError) as error:
                    log.warning('node %s: %d browsers\' changes not saved yet, retrying: %s', self._node,
                                len(batch), error)
                    self._unsent = {**batch, **self._unsent}  # a newer change of the same browser wins
                    await asyncio.sleep(RETRY_S)

    # --- listener ----------------------------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            try:
                await self._serve()
            except (RedisError, OSError) as error:
                if self.up:
                    log.warning('node %s: users\' data store unreachable, reconnecting: %s', self._node, error)
            except Exception:
                log.exception('node %s: users\' data listener failed; reconnecting', self._node)
            self.up = False
            await asyncio.sleep(RETRY_S)

    async def _serve(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.psubscribe(f'{KEY_PREFIX}user-*{CHANGES}')
            await self._reconcile()
            if not self.up:
                log.info('node %s: users\' data store reachable; %d browsers checked', self._node, len(self._open))
            self.up = True
            checked = time.monotonic()
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None and message['type'] == 'pmessage':
                    self._received(message['channel'], message['data'])
                if time.monotonic() - checked > CHECK_S:
                    checked = time.monotonic()
                    if why := await self._store_changed():
                        log.warning('node %s: %s; checking %d browsers\' copies against it', self._node, why,
                                    len(self._open))
                        await self._reconcile()
        finally:
            await pubsub.aclose()

    async def _store_changed(self) -> str:
        """Why the store may not hold what it held at the last check ('' if nothing says so)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.exists(self._marker)
            pipe.info('server')
            marked, info = await pipe.execute()
        if info.get('run_id') != self._server:
            return 'the store restarted or failed over'
        return '' if marked else 'the store lost its data'

    async def _reconcile(self) -> None:
        await self._redis.set(self._marker, 1, ex=MARKER_TTL_S)
        self._server = (await self._redis.info('server')).get('run_id')
        keys = list(self._open)
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start:start + CHUNK]
            for key, raw in zip(chunk, await self._redis.mget(chunk), strict=False):
                if (data := self._open.get(key)) is None or key in self._unsent:
                    continue  # gone meanwhile, or ours is newer and on its way
                if raw is None and data.read and data:
                    self.written_back += 1
                    self.save(data)
                else:
                    data.take(raw)

    def _received(self, channel: bytes, payload: bytes) -> None:
        key = channel.decode()[:-len(CHANGES)]
        data = self._open.get(key)
        if data is None or key in self._unsent:
            return
        try:
            message: dict[str, Any] = orjson.loads(payload)
            if message.get('node') == self._node:
                return  # our own change, echoed
            stored = orjson.dumps(message['data'])
        except (ValueError, KeyError, TypeError):
            log.warning('%s: ignored a change message that is not ours', key)
            return
        data.take(stored)
