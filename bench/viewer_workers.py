"""Simulated viewers (bench.viewers) in worker processes, spawned, each with its own event loop, talked to
over pipes: the benchmark's own loop (driving prices, sampling the server) stays apart from the viewers'
receive loops, and the viewers get the second core."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any, Protocol, TypeVar

from bench.viewers import ViewerPool

# Page loads at once. Each builds a 10-card page on the app's event loop; at 50 at once the loop stalls for
# seconds, the app's own liveness check then reloads every tab and Engine.IO drops sockets (ping timeout 2 s).
CONNECT_CONCURRENCY = int(os.environ.get('FANOUT_CONCURRENCY', '10'))
Workers = TypeVar('Workers', bound='ViewerWorkers')  # connect_first gives back the pool it was given


def worker_count(most_viewers: int) -> int:
    """Simulated-viewer processes. Two carry 2000 viewers at about 9 % of a core each (10 symbols moved once a
    second, every price delivered); more would only compete with the app for this 2-core machine."""
    return 2 if most_viewers >= 500 else 1


def _worker_main(pipe: Connection, base_url: str, cookie: str, deflate: bool, concurrency: int) -> None:
    try:
        import uvloop  # the viewers' loop is what is measured against: keep it as cheap as it can be
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(pipe, ViewerPool(base_url, cookie, deflate=deflate, concurrency=concurrency)))


class Pool(Protocol):
    """What a worker process serves: ViewerPool (pages' sockets), or stream_consumers.SsePool (SSE consumers)."""

    @property
    def arrivals(self) -> Mapping[str, list[float]]: ...  # text shown -> when, by every viewer

    @property
    def source_time(self) -> Mapping[str, float]: ...  # text -> when the app took it from its source

    async def start(self) -> None: ...

    async def connect(self, count: int) -> dict[str, Any]: ...

    def reset(self) -> None: ...

    def stats(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...


async def _serve(pipe: Connection, pool: Pool) -> None:
    await pool.start()
    try:
        while True:
            # poll with a timeout, so a dead parent (pipe closed) ends the worker too
            ready = await asyncio.to_thread(pipe.poll, 1.0)
            if not ready:
                continue
            command, *args = pipe.recv()
            if command == 'connect':
                pipe.send(await pool.connect(*args))
            elif command == 'reset':
                pool.reset()
                pipe.send(None)
            elif command == 'stats':
                pipe.send(pool.stats())
            elif command == 'collect':
                pipe.send({'arrivals': dict(pool.arrivals), 'source_time': pool.source_time, **pool.stats()})
            elif command == 'close':
                await pool.close()
                pipe.send(None)
                return
    except (EOFError, OSError):
        await pool.close()


class ViewerWorkers:
    """`workers` processes, viewers spread evenly over them. All methods are awaitable from the driver's loop."""

    def __init__(self, base_url: str, cookie: str, *, workers: int = 1, deflate: bool = True,
                 concurrency: int = 50) -> None:
        context = multiprocessing.get_context('spawn')
        self._pipes: list[Connection] = []
        self._processes = []
        self.count = 0
        for i in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(target=_worker_main, name=f'viewers-{i}', daemon=True,
                                      args=(theirs, base_url, cookie, deflate,
                                            max(1, concurrency // workers)))
            process.start()
            self._pipes.append(ours)
            self._processes.append(process)
        self._lock = asyncio.Lock()

    async def _ask(self, pipe: Connection, *command: Any, timeout: float = 60) -> Any:
        pipe.send(command)
        if not await asyncio.to_thread(pipe.poll, timeout):
            raise TimeoutError(f'viewer worker did not answer {command[0]!r} in {timeout} s')
        return pipe.recv()

    async def _all(self, *command: Any, timeout: float = 60) -> list[Any]:
        async with self._lock:
            return await asyncio.gather(*(self._ask(pipe, *command, timeout=timeout) for pipe in self._pipes))

    async def connect_to(self, total: int, timeout: float = 300, replace_dropped: bool = False) -> dict[str, Any]:
        """Bring the number of viewers up to `total`, spread evenly over the workers. `replace_dropped`: count only
        the open ones, so viewers the server dropped since are replaced by new ones (as a page reconnects)."""
        open_now = (await self.stats())['open'] if replace_dropped else self.count
        extra = max(0, total - open_now)
        shares = [extra // len(self._pipes) + (1 if i < extra % len(self._pipes) else 0)
                  for i in range(len(self._pipes))]
        started = time.perf_counter()
        async with self._lock:
            results = await asyncio.gather(*(self._ask(pipe, 'connect', share, timeout=timeout)
                                             for pipe, share in zip(self._pipes, shares, strict=False) if share))
        kinds: defaultdict[str, int] = defaultdict(int)
        for result in results:
            for kind, n in result['error_kinds'].items():
                kinds[kind] += n
        replaced = max(0, self.count - open_now)
        self.count = total
        return {'connected': sum(r['connected'] for r in results), 'failed': sum(r['failed'] for r in results),
                'replaced': replaced, 'errors': [e for r in results for e in r['errors']][:5],
                'error_kinds': dict(kinds), 'seconds': round(time.perf_counter() - started, 2)}

    async def reset(self) -> None:
        await self._all('reset')

    async def stats(self) -> dict[str, Any]:
        return _counters(await self._all('stats'))

    async def collect(self) -> dict[str, Any]:
        """Arrival times by text over every worker since the last reset, plus the workers' counters."""
        results = await self._all('collect', timeout=120)
        arrivals: defaultdict[str, list[float]] = defaultdict(list)
        source_time: dict[str, float] = {}
        for result in results:
            for text, times in result['arrivals'].items():
                arrivals[text].extend(times)
            source_time.update(result['source_time'])
        return {'arrivals': dict(arrivals), 'source_time': source_time, **_counters(results)}

    async def close(self, timeout: float = 60) -> None:
        try:
            await self._all('close', timeout=timeout)
        except (TimeoutError, EOFError, OSError, BrokenPipeError):
            pass
        for process in self._processes:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)


async def connect_first(pool: Workers, count: int) -> Workers:
    """The first `count` viewers, or an error; a pool that fails here is closed before the error leaves."""
    try:
        first = await pool.connect_to(count)
        if first['connected'] != count:
            raise RuntimeError(f'the first simulated viewers failed: {first}')
    except BaseException:
        await pool.close()
        raise
    return pool


def _counters(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The workers' ViewerPool.stats() added up."""
    kinds: defaultdict[str, int] = defaultdict(int)
    for result in results:
        for kind, n in result['kinds'].items():
            kinds[kind] += n
    return {'open': sum(r['open'] for r in results), 'ended': sum(r['ended'] for r in results),
            'measured': sum(r.get('measured', 0) for r in results),
            'ended_reasons': [e for r in results for e in r['ended_reasons']][:5],
            'frames': sum(r['frames'] for r in results), 'pings': sum(r['pings'] for r in results),
            'frame_kinds': dict(kinds)}
