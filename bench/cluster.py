"""Cluster: 2 nodes (each its own Chromium) sharing prices through Valkey, behind HAProxy, on this machine.

1. Delivery: 100, 1000, 2000, then 4000 simulated viewers of 10 symbols (cumulative steps, as bench.fanout),
   every symbol moved once a second, every viewer through HAProxy on the node HAProxy gives it (bench.sticky_viewers):
   latency from the replica's `sent_at` to the arrival at the viewer, overall and per node, delivered %,
   CPU per node (web server process, engine process + Playwright driver, Chromium), Valkey, HAProxy; which
   node owns each symbol (the nodes' /api/tickers); source -> owner's engine p99.
2. The Redis hop, owner publish -> arrival: measured by a subscriber of our own (bench.cluster_hop.
   HopListener: the message's `t` against its arrival time; split at Valkey's own time of the PUBLISH, from
   MONITOR), and as the follower node's own histogram `cryptotracker_cluster_hop_seconds` says
   (bucket-interpolated; it also holds the follower's wait for its own event loop).
3. Failover (bench.cluster_failover): the owner of a symbol SIGKILLed, time to the first fresh price on the
   other node, 5 rounds.

A real Chromium (bench.viewer_pages.RealBrowser) creates two users through HAProxy: one with the 10 symbols
(the delivery viewers' session), one with the failover symbol. The user's list is in NiceGUI's Redis storage,
so each node builds the same page for the same session cookie.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.app_metrics import HealthSampler
from bench.cluster_failover import failover_rows, failovers
from bench.cluster_hop import HopListener, histogram_quantiles, hop_parts, node_histogram
from bench.cluster_stack import ClusterStack, cluster_groups
from bench.common import percentile, summary_ms
from bench.fanout import GRACE, SYMBOLS
from bench.latency_joins import viewer_latencies
from bench.price_driver import PriceDriver
from bench.processes import all_live, client
from bench.resources import CpuMeter, memory_mb
from bench.sticky_viewers import BALANCER_COOKIE, StickyViewerWorkers, parse_cookie_header
from bench.viewer_pages import RealBrowser
from bench.viewer_workers import CONNECT_CONCURRENCY, connect_first, worker_count

HOP_HISTOGRAM = 'cryptotracker_cluster_hop_seconds'
FAILOVER_SYMBOL = 'DOTUSD'  # none of the delivery symbols: its owner is decided by the failover viewers alone
LEASE_TTL = 6.0


@dataclass(frozen=True)
class Size:
    steps: tuple[int, ...]  # viewers, step by step
    window: int  # seconds measured at each step
    symbols: tuple[str, ...]
    failovers: int
    failover_viewers: int


# 100: the hop with the machine mostly idle, beside the same hop under load
SIZES = {'full': Size((100, 1000, 2000, 4000), 25, tuple(SYMBOLS), 5, 3),
         'smoke': Size((10,), 5, tuple(SYMBOLS[:3]), 1, 1)}
RUNS_TABLE = (('measure', 'viewers'), ('p50_ms', 'p99_ms', 'delivered_%', 'seconds'))
TARGETS = {'delivery_p99_ms': 200, 'delivery_at': 2000, 'hop_p99_ms': 5}


async def measure_window(stack: ClusterStack, pool: StickyViewerWorkers, driver: PriceDriver, hop: HopListener,
                         viewers: int, seconds: int) -> dict[str, Any]:
    probes = {node.name: client(node.url) for node in stack.nodes}
    try:
        await pool.reset()
        driver.reset()
        await hop.take()  # what came before the window
        hist_before = {name: await node_histogram(probe, HOP_HISTOGRAM) for name, probe in probes.items()}
        losses_before = {name: await _lease_losses(probe) for name, probe in probes.items()}
        window_start = hops_from = time.time()
        cpu = CpuMeter(groups=lambda: cluster_groups(stack))
        samplers = {name: HealthSampler(probe) for name, probe in probes.items()}
        sampling = [asyncio.create_task(s.run(seconds + GRACE)) for s in samplers.values()]
        await asyncio.sleep(seconds)
        window_end = time.time()
        sent = driver.sent_between(window_start, window_end)
        silent, failures = driver.silent, driver.failures
        await asyncio.sleep(GRACE)
        cpu_percent = cpu.stop()
        await asyncio.gather(*sampling)
        hops_until = time.time()  # the bench's hop samples cover what the nodes' histograms do: window + grace
        hist_after = {name: await node_histogram(probe, HOP_HISTOGRAM) for name, probe in probes.items()}
        owners = {name: {row['symbol']: row['node'] for row in (await probe.get('/api/tickers')).json()['tickers']}
                  for name, probe in probes.items()}
        lease_losses = {name: await _lease_losses(probe) - losses_before[name] for name, probe in probes.items()}
    finally:
        for probe in probes.values():
            await probe.aclose()
    hops = hop_parts(await hop.take(), hops_from, hops_until)
    collected = await pool.collect_by_node()
    parts = viewer_latencies(sent, collected)
    per_node = {}
    for node, arrivals in sorted(collected['arrivals_by_node'].items()):
        total = viewer_latencies(sent, {'arrivals': arrivals, 'source_time': collected['source_time']})['total']
        open_here = collected['open_by_node'].get(node, 0)
        per_node[node] = {'viewers': open_here, 'expected': open_here * len(sent), 'delivered': len(total),
                          'latency': summary_ms(total), 'latency_ms_counts': ms_counts(total)}
    return {
        'viewers': viewers, 'changes': len(sent), 'expected': viewers * len(sent), 'delivered': len(parts['total']),
        'silent_posts': silent, 'driver_failures': failures, 'latency': summary_ms(parts['total']),
        'app_latency': summary_ms(parts['app']), 'source_latency': summary_ms(parts['source']),
        'per_node': per_node, 'open_by_node': collected['open_by_node'], 'owners': owners,
        'lease_losses': lease_losses,
        'cpu_percent': cpu_percent,
        'lag_p99_ms': {name: round(percentile(s.reported_lag_ms or s.rtt_ms, 99), 1) for name, s in samplers.items()},
        'health_rtt_p99_ms': {name: round(percentile(s.rtt_ms, 99), 1) for name, s in samplers.items()},
        'health_failures': {name: s.failures for name, s in samplers.items()},
        'hop_bench': {**summary_ms(hops['whole']), 'by_owner': dict(hops['by_owner'])},
        'hop_to_valkey': summary_ms(hops['to_valkey']), 'hop_from_valkey': summary_ms(hops['from_valkey']),
        # symbol, owner, fence, owner's t, arrival at the bench's subscriber, Valkey's time of the PUBLISH
        'hop_samples': hops['samples'],
        'hop_histograms': {name: histogram_quantiles(hist_before[name], hist_after[name]) for name in probes},
        'open_viewers': collected['open'], 'ended_viewers': collected['ended'],
        'ended_reasons': collected['ended_reasons'], 'frames': collected['frames'], 'pings': collected['pings'],
        # every sample, as {ms to 0.1 ms: how many}: the percentiles recompute from these to 0.1 ms
        'latency_ms_counts': ms_counts(parts['total']), 'app_latency_ms_counts': ms_counts(parts['app']),
        'source_latency_ms_counts': ms_counts(parts['source']),
        'memory': {node.name: memory_mb(pid) if (pid := node.pid) is not None else None for node in stack.nodes},
    }


async def _lease_losses(probe: Any) -> int:
    return int((await probe.get('/health')).json()['cluster']['lease_renewals_failed'])


def ms_counts(samples_s: list[float]) -> dict[str, int]:
    counts = Counter(round(sample * 1000, 1) for sample in samples_s)
    return {f'{ms:g}': counts[ms] for ms in sorted(counts)}


def _owners_text(owners: dict[str, dict[str, str | None]], nodes: list[str]) -> str:
    views = {tuple(sorted(view.items())) for view in owners.values()}
    view = next(iter(owners.values()), {})
    text = ' '.join(f'{n}:{sum(1 for o in view.values() if o == n)}' for n in nodes)
    return text if len(views) == 1 else f'{text} (nodes disagree: see raw owners)'


def delivery_rows(w: dict[str, Any], nodes: list[str]) -> list[dict[str, Any]]:
    cpu = w['cpu_percent']
    delivered = round(100 * w['delivered'] / w['expected'], 2) if w['expected'] else 0.0
    judged = w['viewers'] == TARGETS['delivery_at']
    met = 'yes' if w['latency']['p99_ms'] <= TARGETS['delivery_p99_ms'] and delivered == 100.0 else 'no'
    row: dict[str, Any] = {
        'measure': 'delivery: replica sent_at -> viewer, via HAProxy', 'viewers': w['viewers'],
        'viewers_measured': w['open_viewers'],
        'n': w['latency']['n'], 'p50_ms': w['latency']['p50_ms'], 'p99_ms': w['latency']['p99_ms'],
        'seconds': None, 'target': f"p99 <= {TARGETS['delivery_p99_ms']} ms, all delivered" if judged else '-',
        'met': met if judged else '-', 'delivered_%': delivered,
        'viewers_by_node': '/'.join(str(w['open_by_node'].get(n, 0)) for n in nodes),
        'p99_by_node_ms': '/'.join(str(w['per_node'].get(n, {}).get('latency', {}).get('p99_ms')) for n in nodes),
        'owners': _owners_text(w['owners'], nodes), 'source_p99_ms': w['source_latency']['p99_ms'],
        'lease_losses': sum(w['lease_losses'].values()),
    }
    for n in nodes:
        row[f'{n}_cpu_%'] = cpu.get(n)
        row[f'{n}_engine_%'] = cpu.get(f'{n}_engine')
        row[f'{n}_chromium_%'] = cpu.get(f'{n}_chromium')
    row.update({'valkey_cpu_%': cpu.get('valkey'), 'haproxy_cpu_%': cpu.get('haproxy'),
                'viewers_cpu_%': cpu.get('viewers'), 'other_cpu_%': cpu.get('others')})
    rows = [row]
    hop = w['hop_bench']
    rows.append({'measure': 'redis hop: owner publish -> a subscriber (bench, redis-py)', 'viewers': w['viewers'],
                 'n': hop['n'], 'p50_ms': hop['p50_ms'], 'p99_ms': hop['p99_ms'],
                 'target': f"p99 <= {TARGETS['hop_p99_ms']} ms",
                 'met': 'yes' if hop['n'] and hop['p99_ms'] <= TARGETS['hop_p99_ms'] else 'no'})
    for part, what in (('hop_to_valkey', "owner's t -> Valkey runs the PUBLISH"),
                       ('hop_from_valkey', 'Valkey runs it -> the subscriber has it')):
        rows.append({'measure': f'redis hop, part: {what} (MONITOR clock)', 'viewers': w['viewers'],
                     'n': w[part]['n'], 'p50_ms': w[part]['p50_ms'], 'p99_ms': w[part]['p99_ms'], 'target': '-',
                     'met': '-'})
    for name, hist in w['hop_histograms'].items():
        if hist['n']:  # only a follower counts hops
            rows.append({'measure': f'redis hop: owner publish -> {name} (its /metrics, bucket-interpolated)',
                         'viewers': w['viewers'], 'n': hist['n'], 'p50_ms': hist['p50_ms'], 'p99_ms': hist['p99_ms'],
                         'target': '-', 'met': '-'})
    return rows


async def _users(stack: ClusterStack, symbols: list[str], workers: int) -> tuple[StickyViewerWorkers, str]:
    """A real browser creates both users through HAProxy; the delivery pool's first viewers (one per node)
    hold the 10 symbols before it goes. Returns that pool and the failover user's cookie."""
    browser = await RealBrowser().start()
    try:
        context, page = await browser.new_user(stack.url)
        await RealBrowser.add(page, symbols)
        cookie = await RealBrowser.cookie_header(context)
        failover_context, failover_page = await browser.new_user(stack.url)
        await RealBrowser.add(failover_page, [FAILOVER_SYMBOL])
        failover_cookie = await RealBrowser.cookie_header(failover_context)
        async with client(stack.node(parse_cookie_header(cookie)[BALANCER_COOKIE]).url) as serving:
            await all_live(serving, symbols)
        pool = await connect_first(StickyViewerWorkers(stack.url, cookie, workers=workers,
                                                       concurrency=CONNECT_CONCURRENCY), len(stack.nodes))
    finally:
        await browser.close()
    await asyncio.sleep(5)  # the real browser's pages are deleted after reconnect_timeout (3 s)
    for node in stack.nodes:  # the same user's page on every node: its list is in the shared storage
        async with client(node.url) as probe:
            await all_live(probe, symbols)
    return pool, failover_cookie


async def measure(stack: ClusterStack, hop: HopListener, spec: Size, raw: dict[str, Any]) -> list[dict]:
    """On a started stack: the delivery steps, then the failovers; `raw` gets every sample."""
    symbols, steps = list(spec.symbols), spec.steps
    rows: list[dict] = []
    pool: StickyViewerWorkers | None = None
    driver: PriceDriver | None = None
    try:
        async with client(stack.replica.url) as replica:
            pool, failover_cookie = await _users(stack, symbols, raw['viewer_processes'])
            driver = PriceDriver(replica, symbols)
            await driver.prepare()
            driver.start()
            await asyncio.sleep(3)
            names = [node.name for node in stack.nodes]
            for viewers in steps:
                connect = await pool.connect_to(viewers, timeout=600)
                raw['connects'].append({'to': viewers, **connect, 'open_by_node': await pool.open_by_node()})
                await asyncio.sleep(3 if viewers < 500 else 6)  # let the connect burst settle
                window = await measure_window(stack, pool, driver, hop, viewers, spec.window)
                raw['windows'].append(window)
                added = delivery_rows(window, names)
                rows += added
                print(f'cluster: {added}', flush=True)
            await pool.close()
            pool = None
            raw['failover'] = await failovers(stack, driver, failover_cookie, FAILOVER_SYMBOL, spec.failovers,
                                              spec.failover_viewers)
            rows += failover_rows(raw['failover'], LEASE_TTL)
            await driver.stop()  # while its replica client is still open
    finally:
        if driver is not None:  # only still running when something failed: that failure is the one to report
            with contextlib.suppress(Exception):
                await driver.stop()
        if pool is not None:
            with contextlib.suppress(Exception):
                await pool.close()
    return rows


def run(size: str = 'full') -> tuple[list[dict], dict]:
    """The stack starts and stops outside the event loop: a Ctrl+C while it starts (seconds of synchronous
    waiting) is then a KeyboardInterrupt right there, not a cancellation of the main task that waits for its
    next await; and the stack is stopped even when asyncio.run ends by an interrupt."""
    spec = SIZES['smoke' if size == 'smoke' else 'full']
    steps = spec.steps
    workers = int(os.environ.get('FANOUT_WORKERS') or 0) or worker_count(max(steps))
    raw: dict[str, Any] = {'loadavg_at_start': os.getloadavg(), 'symbols': list(spec.symbols),
                           'steps': list(steps), 'window_s': spec.window, 'grace_s': GRACE,
                           'viewer_processes': workers, 'connect_concurrency': CONNECT_CONCURRENCY,
                           'lease_ttl_s': LEASE_TTL, 'targets': TARGETS, 'windows': [], 'connects': []}
    started = time.perf_counter()
    stack = ClusterStack(nodes=2, lease_ttl=LEASE_TTL)
    hop: HopListener | None = None
    try:
        stack.start()
        raw['nodes'] = {node.name: {'port': node.port, 'pid': node.pid} for node in stack.nodes}
        hop = HopListener(stack.valkey.url).start()
        rows = asyncio.run(measure(stack, hop, spec, raw))
    finally:
        try:
            if hop is not None:
                hop.stop()
        finally:
            raw['stop'] = stack.stop()
            raw['seconds'] = round(time.perf_counter() - started, 1)
    return rows, raw
