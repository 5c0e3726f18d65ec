"""The 'cluster' scenario's failover part: the owner of a symbol is SIGKILLed while viewers of that symbol are
on every node; measured is the time from the kill to the first fresh price (one the driver set after the
kill) arriving at a viewer on the surviving node. Then the killed node is started again (same name, port and
storage), and its viewers come back, for the next round; the owner alternates.

The viewers are pinned through HAProxy: each node's pool carries the user's session and `SRV=<node>`, so
HAProxy sends it to that node while it is up (bench.viewer_workers, unchanged).
"""
from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
import redis.asyncio as aioredis

from bench.cluster_stack import ClusterStack, wait_gone
from bench.common import app_symbol
from bench.price_driver import PriceDriver
from bench.processes import client, wait_for
from bench.sticky_viewers import SERVED_BY, pinned
from bench.viewer_workers import ViewerWorkers
from cluster.wire import lease_key
from launcher.servers import NodeProcess

TIMEOUT = 30.0  # a takeover not done by then is reported as failed
TARGET_S = 10.0


async def owner_of(stack: ClusterStack, symbol: str) -> str | None:
    """The node every live node names as the symbol's owner in /api/tickers (None while they disagree)."""
    seen = set()
    async with httpx.AsyncClient(timeout=5) as http:
        for node in stack.nodes:
            if node.alive:
                rows = (await http.get(f'{node.url}/api/tickers')).json()['tickers']
                seen.add(next((r['node'] for r in rows if r['symbol'] == app_symbol(symbol)), None))
    return seen.pop() if len(seen) == 1 else None


async def served_by_haproxy(stack: ClusterStack, node: NodeProcess, timeout: float = 30) -> None:
    """Until HAProxy's health check has the node up: a request pinned to it is answered by it."""
    async def check() -> bool:
        try:
            async with httpx.AsyncClient(timeout=3) as http:
                response = await http.get(f'{stack.url}/health', headers={'Cookie': f'SRV={node.name}'})
            return response.headers.get(SERVED_BY) == node.name
        except httpx.HTTPError:
            return False
    await wait_for(check, timeout, f'HAProxy to send {node.name} its requests again')


async def receiving(pool: ViewerWorkers, timeout: float = 30) -> None:
    """Until every open viewer of the pool has had a price in the last 2.5 s."""
    async def check() -> bool:
        await pool.reset()
        await asyncio.sleep(2.5)
        collected = await pool.collect()
        return collected['open'] > 0 and sum(len(t) for t in collected['arrivals'].values()) >= collected['open']
    await wait_for(check, timeout, 'the failover viewers to receive prices', interval=0)


async def connect(pool: ViewerWorkers, count: int) -> dict[str, Any]:
    result = await pool.connect_to(pool.count + count, timeout=120)
    if result['connected'] != count:
        raise RuntimeError(f'failover viewers did not connect: {result}')
    return result


async def one_failover(stack: ClusterStack, driver: PriceDriver, pools: dict[str, ViewerWorkers],
                       symbol: str, valkey: aioredis.Redis) -> dict[str, Any]:
    owner_name = await wait_for(lambda: owner_of(stack, symbol), 30, f'one owner of {symbol}')
    owner = stack.node(owner_name)
    survivor = next(node for node in stack.nodes if node is not owner)
    survivor_pool = pools[survivor.name]
    lease_ms_left = await valkey.pttl(lease_key(app_symbol(symbol)))
    await survivor_pool.reset()
    killed_at, children = stack.kill(owner)
    orphans = asyncio.create_task(asyncio.to_thread(wait_gone, children, 20))
    result: dict[str, Any] = {'killed': owner.name, 'survivor': survivor.name, 'killed_at': killed_at,
                              'lease_ms_left_at_kill': lease_ms_left, 'first_fresh_s': None, 'takeover_seen_s': None}
    async with client(survivor.url) as probe:
        while time.time() < killed_at + TIMEOUT:
            if result['takeover_seen_s'] is None:
                rows = (await probe.get('/api/tickers')).json()['tickers']
                if any(r['symbol'] == app_symbol(symbol) and r['node'] == survivor.name for r in rows):
                    result['takeover_seen_s'] = round(time.time() - killed_at, 3)
            collected = await survivor_pool.collect()
            fresh = [(t, text) for text, (_, sent_at) in list(driver.sent.items()) if sent_at > killed_at
                     for t in collected['arrivals'].get(text, ())]
            if fresh:
                arrived, text = min(fresh)
                result.update({'first_fresh_s': round(arrived - killed_at, 3), 'first_fresh_text': text,
                               'first_fresh_sent_s': round(driver.sent[text][1] - killed_at, 3),
                               'survivor_viewers_open': collected['open']})
                break
            await asyncio.sleep(0.1)
    gone_s, lingering = await orphans
    result['killed_children'] = len(children)
    result['children_gone_by_themselves_s'] = gone_s  # None: some were still running 20 s on, and were stopped
    result['children_stopped_by_bench'] = [f'{p.pid}' for p in lingering]
    return result


async def failovers(stack: ClusterStack, driver: PriceDriver, cookie: str, symbol: str, rounds: int,
                    per_node: int) -> dict[str, Any]:
    """`rounds` kills of the symbol's owner, each followed by its restart; every round's figures."""
    await driver.prepare([symbol])  # from now on only this symbol moves, once a second
    pools = {node.name: ViewerWorkers(stack.url, pinned(cookie, node.name), workers=1, concurrency=per_node)
             for node in stack.nodes}
    valkey = aioredis.Redis.from_url(stack.valkey.url)
    out: dict[str, Any] = {'symbol': symbol, 'viewers_per_node': per_node, 'rounds': []}
    try:
        for node in stack.nodes:  # the first node's viewers come first: it takes the symbol
            await connect(pools[node.name], per_node)
        for pool in pools.values():
            await receiving(pool)
        for number in range(1, rounds + 1):
            result = await one_failover(stack, driver, pools, symbol, valkey)
            result['round'] = number
            out['rounds'].append(result)
            print(f'cluster: failover {number}: {result}', flush=True)
            killed = stack.node(result['killed'])
            result['restart_s'] = await stack.restart(killed)
            await served_by_haproxy(stack, killed)
            await connect(pools[killed.name], per_node)
            for pool in pools.values():
                await receiving(pool)
    finally:
        await valkey.aclose()
        for pool in pools.values():
            await pool.close()
    times = [r['first_fresh_s'] for r in out['rounds'] if r['first_fresh_s'] is not None]
    out['median_s'] = round(statistics.median(times), 3) if times else None
    out['failed_rounds'] = sum(1 for r in out['rounds'] if r['first_fresh_s'] is None)
    return out


def failover_rows(out: dict[str, Any], lease_ttl: float) -> list[dict[str, Any]]:
    rows = []
    for r in out['rounds']:
        lease = r['lease_ms_left_at_kill']
        note = (f"lease had {lease / 1000:.1f} s left; {r['survivor']} named owner at {r['takeover_seen_s']} s; "
                f"price sent {r.get('first_fresh_sent_s')} s after the kill; restart {r.get('restart_s')} s")
        if r['children_gone_by_themselves_s'] is None:
            note += f"; {len(r['children_stopped_by_bench'])} of the killed node's children still ran 20 s on"
        rows.append({'measure': f"failover {r['round']}: SIGKILL {r['killed']} (owner of {out['symbol']})",
                     'viewers': 2 * out['viewers_per_node'], 'n': 1, 'seconds': r['first_fresh_s'],
                     'target': '-', 'met': '-', 'note': note})
    median = out['median_s']
    rows.append({'measure': f"failover: kill -> first fresh price on the survivor, median of {len(out['rounds'])}",
                 'viewers': 2 * out['viewers_per_node'], 'n': len(out['rounds']) - out['failed_rounds'],
                 'seconds': median, 'target': f'<= {TARGET_S:g} s (lease ttl {lease_ttl:g} s)',
                 'met': 'yes' if median is not None and median <= TARGET_S and not out['failed_rounds'] else 'no',
                 'note': f"{out['failed_rounds']} round(s) with no fresh price in {TIMEOUT:g} s"
                 if out['failed_rounds'] else ''})
    return rows
