"""Simulated programs: SSE consumers of `GET /api/stream?symbols=...`, hundreds per worker process.

Each reads its stream as a program would (aiohttp, line by line) and notes, per price text, the arrival time
(time.time()) and the app's `updated_at` (when its engine took the update), exactly as bench.viewers does for
page viewers, so bench.latency_joins joins them to the driver's sends the same way. SseWorkers runs pools of
them in worker processes over the same pipe protocol as bench.viewer_workers.
"""
from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from collections import defaultdict
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

from bench.viewer_workers import ViewerWorkers, _serve

CONNECT_TIMEOUT = 60.0  # the response headers and the first event


class SseConsumer:
    __slots__ = ('response', 'task', 'last', 'ended', 'events')

    def __init__(self) -> None:
        self.response: aiohttp.ClientResponse | None = None
        self.task: asyncio.Task | None = None
        self.last: dict[str, str] = {}  # symbol -> last price text seen, so a repeat is not an arrival
        self.ended = ''
        self.events = 0


class SsePool:
    """Many consumers of the same symbols in this process's event loop (ViewerPool's interface)."""

    def __init__(self, base_url: str, symbols: str, *, concurrency: int = 50) -> None:
        self.url = f'{base_url.rstrip("/")}/api/stream'
        self.symbols = symbols
        self.concurrency = concurrency
        self.consumers: list[SseConsumer] = []
        self._session: aiohttp.ClientSession | None = None
        self.arrivals: defaultdict[str, list[float]] = defaultdict(list)
        self.source_time: dict[str, float] = {}
        self.frames = 0  # events
        self.pings = 0  # heartbeat comments
        self.kinds: defaultdict[str, int] = defaultdict(int)

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, force_close=True)
        self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                              timeout=aiohttp.ClientTimeout(total=None, sock_connect=30))

    @property
    def open(self) -> int:
        return sum(1 for c in self.consumers if c.response is not None and not c.ended)

    async def connect(self, count: int) -> dict[str, Any]:
        started = time.perf_counter()
        gate = asyncio.Semaphore(self.concurrency)
        fresh = [SseConsumer() for _ in range(count)]
        self.consumers.extend(fresh)
        failed = [problem for problem in await asyncio.gather(*(self._connect_one(c, gate) for c in fresh)) if problem]
        kinds: defaultdict[str, int] = defaultdict(int)
        for problem in failed:
            kinds[problem.split(':')[0]] += 1
        return {'connected': count - len(failed), 'failed': len(failed), 'errors': failed[:5],
                'error_kinds': dict(kinds), 'seconds': round(time.perf_counter() - started, 2)}

    async def _connect_one(self, consumer: SseConsumer, gate: asyncio.Semaphore) -> str:
        assert self._session is not None
        async with gate:
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT):
                    consumer.response = response = await self._session.get(self.url, params={'symbols': self.symbols})
                    if response.status != 200:
                        raise RuntimeError(f'answered {response.status}: {(await response.text())[:120]}')
                    while not await self._line(consumer, await response.content.readline(), time.time()):
                        pass  # until the first event (the current state) has come
            except Exception as problem:
                consumer.ended = f'{type(problem).__name__}: {problem}'[:200]
                if consumer.response is not None:
                    consumer.response.close()
                return consumer.ended
        consumer.task = asyncio.create_task(self._read(consumer))
        return ''

    async def _read(self, consumer: SseConsumer) -> None:
        assert consumer.response is not None
        try:
            while line := await consumer.response.content.readline():
                await self._line(consumer, line, time.time())
            consumer.ended = f'the server ended the stream after {consumer.events} events'
        except asyncio.CancelledError:
            raise
        except Exception as problem:
            consumer.ended = f'{type(problem).__name__}: {problem}'[:200]

    async def _line(self, consumer: SseConsumer, line: bytes, now: float) -> bool:
        """One line of the stream; True when it was an event's data."""
        if not line:
            raise EOFError('the stream ended')
        if line.startswith(b':'):
            self.pings += 1
            return False
        if not line.startswith(b'data: '):
            return False
        self.frames += 1
        consumer.events += 1
        items = json.loads(line[6:])
        self.kinds[f'{len(items)} symbols'] += 1
        for item in items:
            text, symbol = item.get('price_text'), item['symbol']
            if text and consumer.last.get(symbol) != text:
                consumer.last[symbol] = text
                self.arrivals[text].append(now)
                if text not in self.source_time and item.get('updated_at') is not None:
                    self.source_time[text] = item['updated_at']
        return True

    def reset(self) -> None:
        self.arrivals.clear()
        self.source_time.clear()
        self.frames = self.pings = 0
        self.kinds.clear()

    def stats(self) -> dict[str, Any]:
        ended = [c.ended for c in self.consumers if c.ended]
        return {'viewers': len(self.consumers), 'open': self.open, 'ended': len(ended), 'ended_reasons': ended[:5],
                'frames': self.frames, 'pings': self.pings, 'kinds': dict(self.kinds)}

    async def close(self) -> None:
        for consumer in self.consumers:
            if consumer.task:
                consumer.task.cancel()
            if consumer.response is not None:
                consumer.response.close()
        if self._session:
            await self._session.close()


def _sse_worker_main(pipe: Connection, base_url: str, symbols: str, concurrency: int) -> None:
    try:
        import uvloop  # as bench.viewer_workers: the consumers' loop is measured against
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(pipe, SsePool(base_url, symbols, concurrency=concurrency)))


class SseWorkers(ViewerWorkers):
    """ViewerWorkers running SsePool: the same connect_to / reset / collect / close, for SSE consumers."""

    def __init__(self, base_url: str, symbols: list[str], *, workers: int = 1, concurrency: int = 50) -> None:
        super().__init__(base_url, '', workers=0, concurrency=concurrency)
        context = multiprocessing.get_context('spawn')
        for i in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(target=_sse_worker_main, name=f'sse-consumers-{i}', daemon=True,
                                      args=(theirs, base_url, ','.join(symbols), max(1, concurrency // workers)))
            process.start()
            self._pipes.append(ours)
            self._processes.append(process)
