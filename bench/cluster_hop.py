"""The Redis hop of the 'cluster' scenario, measured from outside the nodes and as the nodes count it.

- HopListener: two processes of their own. One is subscribed to every `cryptotracker:price:*` channel and
  notes, for each message, the owner's publish time (`t`, its time.time() when it made the message) and its
  own arrival time: owner publish -> a subscriber's arrival, the hop a follower node's message makes. The
  other runs MONITOR and notes when Valkey ran each PUBLISH (Valkey's clock, this machine's clock): the hop
  split into the part before Valkey (the owner's queue and its write) and after it (Valkey's delivery).
- node_histogram / histogram_quantiles: a node's Prometheus histogram and percentiles of a window's delta.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

import httpx

from cluster.wire import PriceMessage, channel, symbol_of


def _hop_main(pipe: Connection, redis_url: str, pattern: str, watch: str) -> None:
    """`watch` 'received': subscribed to `pattern`, note (symbol, owner, fence, owner's t, arrival here) per
    message; 'executed': MONITOR, note (symbol, owner's t, Valkey's time) per PUBLISH. Separate processes, so
    neither waits for the other's interpreter lock."""
    import re

    import redis  # the synchronous client: this process does nothing else

    client = redis.Redis.from_url(redis_url)
    noted: list[tuple] = []
    try:
        if watch == 'received':
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.psubscribe(pattern)
            pipe.send('ready')
            while True:
                message = pubsub.get_message(timeout=0.05)
                if message is not None and message['type'] == 'pmessage':
                    now = time.time()
                    if (decoded := PriceMessage.decode(message['data'])) is not None:
                        noted.append((symbol_of(message['channel'].decode()), decoded.node, decoded.fence,
                                      decoded.sent_at, now))
                noted = _answer(pipe, noted)
        else:
            publish = re.compile(r'^PUBLISH (\S+) .*"t":([-+0-9.eE]+)\}$')
            with client.monitor() as commands:
                pipe.send('ready')
                while True:
                    if commands.connection.can_read(timeout=0.05):
                        command = commands.next_command()
                        if command and (found := publish.match(command['command'])):
                            noted.append((symbol_of(found.group(1)), float(found.group(2)), command['time']))
                    noted = _answer(pipe, noted)
    except (EOFError, OSError, KeyboardInterrupt, StopIteration, redis.RedisError):
        return
    finally:
        client.close()


def _answer(pipe: Connection, noted: list[tuple]) -> list[tuple]:
    if not pipe.poll():
        return noted
    if pipe.recv() == 'take':
        pipe.send(noted)
        return []
    raise StopIteration  # 'stop'


class HopListener:
    """Every price message any owner publishes, as a subscriber of the cluster's channels receives it, and
    (MONITOR) when Valkey ran each PUBLISH."""

    def __init__(self, redis_url: str) -> None:
        context = multiprocessing.get_context('spawn')
        self._pipes: dict[str, Connection] = {}
        self._processes = []
        for watch in ('received', 'executed'):
            self._pipes[watch], theirs = context.Pipe()
            self._processes.append(context.Process(target=_hop_main, args=(theirs, redis_url, channel('*'), watch),
                                                   name=f'hop-{watch}', daemon=True))

    def start(self, timeout: float = 30) -> HopListener:
        for process in self._processes:
            process.start()
        for pipe in self._pipes.values():
            if not pipe.poll(timeout) or pipe.recv() != 'ready':
                self.stop()
                raise RuntimeError('the hop listener did not subscribe')
        return self

    async def take(self) -> dict[str, list[tuple]]:
        """What arrived since the last take: 'received' (symbol, owner, fence, t, arrival) and 'executed'
        (symbol, t, Valkey's time of that PUBLISH)."""
        def ask(pipe: Connection) -> list[tuple]:
            pipe.send('take')
            if not pipe.poll(30):
                raise TimeoutError('the hop listener did not answer')
            return pipe.recv()
        return {watch: await asyncio.to_thread(ask, pipe) for watch, pipe in self._pipes.items()}

    def stop(self) -> None:
        for pipe, process in zip(self._pipes.values(), self._processes, strict=False):
            if process.is_alive():
                try:
                    pipe.send('stop')
                except OSError:
                    pass
                process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)


def hop_parts(taken: dict[str, list[tuple]], start: float, end: float) -> dict[str, Any]:
    """The hop of each message whose owner's `t` is in [start, end], whole and split at Valkey's PUBLISH."""
    received = [r for r in taken['received'] if start <= r[3] <= end]
    ran = {(symbol, t): at for symbol, t, at in taken['executed']}
    before, after = [], []
    for symbol, _, _, t, arrival in received:
        if (at := ran.get((symbol, t))) is not None:
            before.append(at - t)
            after.append(arrival - at)
    return {'whole': [r[4] - r[3] for r in received], 'to_valkey': before, 'from_valkey': after,
            'by_owner': Counter(r[1] for r in received),
            'samples': [[r[0], r[1], r[2], r[3], r[4], ran.get((r[0], r[3]))] for r in received]}


# --- a node's own histograms -------------------------------------------------------------------------------

async def node_histogram(client: httpx.AsyncClient, name: str) -> dict[str, float]:
    """Cumulative count per bucket bound ('0.0005', ..., '+Inf'), and 'sum' and 'count' (empty: none)."""
    buckets: dict[str, float] = {}
    for line in (await client.get('/metrics')).text.splitlines():
        if line.startswith(f'{name}_bucket{{le="'):
            bound, _, value = line[len(name) + 12:].partition('"} ')
            buckets[bound] = float(value)
        elif line.startswith((f'{name}_sum ', f'{name}_count ')):
            key, _, value = line[len(name) + 1:].partition(' ')
            buckets[key] = float(value)
    return buckets


def histogram_quantiles(before: dict[str, float], after: dict[str, float],
                        quantiles: tuple[float, ...] = (50, 99)) -> dict[str, Any]:
    """Percentiles of what a histogram counted between two reads, interpolated linearly inside the bucket
    they fall in, as Prometheus' histogram_quantile does (an estimate: only the buckets are known)."""
    delta = {key: after.get(key, 0.0) - before.get(key, 0.0) for key in after}
    count = delta.get('count', 0.0)
    bounds = sorted((float(key), value) for key, value in delta.items() if key not in ('sum', 'count'))
    result: dict[str, Any] = {'n': int(count), 'mean_ms': round(delta['sum'] / count * 1000, 3) if count else None,
                              'cumulative': {f'{bound:g}': value for bound, value in bounds}}
    for q in quantiles:
        result[f'p{q:g}_ms'] = None
        if not count:
            continue
        rank, lower, below = q / 100 * count, 0.0, 0.0
        for bound, cumulative in bounds:
            if cumulative >= rank:
                if bound == float('inf'):  # beyond the last finite bound: that bound is all that is known
                    result[f'p{q:g}_ms'] = round(lower * 1000, 3)
                else:
                    inside = cumulative - below
                    share = (rank - below) / inside if inside else 1.0
                    result[f'p{q:g}_ms'] = round((lower + (bound - lower) * share) * 1000, 3)
                break
            lower, below = bound, cumulative
    return result
