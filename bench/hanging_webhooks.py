"""Scenario 'webhooks': does a webhook that hangs delay prices? Real pages, the real app, a real receiver.

The 'latency' harness (bench.page_updates: the app on the replica, viewer pages timing each price's text in
their DOM) runs one phase as it is, then alerts on another symbol fire to N webhook destinations (distinct
URLs on a local receiver that never answers: each delivery waits out its 5 s, then is retried) and the
same phase runs again while they hang. Same pages, same symbols, same pace: the difference is the webhooks.
"""
from __future__ import annotations

import time

import httpx
import psutil

from bench.page_updates import LATENCY_SYMBOLS, UpdateBench
from bench.reports import latency_rows
from harness.alert_steps import api_token
from harness.webhook_receiver import WebhookReceiver

PACE_S = 0.05
ALERTED = 'XRPUSD'  # not one of the viewers' symbols: its alerts fire, nobody watches it
SIZES = {'full': {'symbols': 10, 'viewers': 5, 'changes': 600, 'hanging': 100},
         'smoke': {'symbols': 2, 'viewers': 1, 'changes': 20, 'hanging': 5}}
RUNS_TABLE = (('mode',), ('p50_ms', 'p99_ms', 'max_ms'))


def _hang_webhooks(bench: UpdateBench, receiver: WebhookReceiver, count: int) -> float:
    """`count` alerts on ALERTED, each to its own hanging URL, set off at once; returns when they all hang."""
    token = api_token(bench.pages[0], bench.symbols[0])
    price = bench.control.get(f'/_replica/price/{ALERTED}').json()['price']
    with httpx.Client(base_url=bench.app.url, headers={'Authorization': f'Bearer {token}'}, timeout=10) as api:
        for n in range(count):
            api.post('/api/alerts', json={'symbol': ALERTED, 'condition': {'kind': 'above', 'level': price * 1.01},
                                          'webhook': {'url': receiver.url(f'/hang/{n}')}}).raise_for_status()
    deadline = time.monotonic() + 60
    while ALERTED not in {row['ticker'] for row in bench.app.tickers().values() if row['price']}:
        if time.monotonic() > deadline:
            raise RuntimeError(f'{ALERTED} never got a price')
        time.sleep(0.2)
    bench.control.post('/_replica/price', json={'symbol': ALERTED, 'price': price * 1.05}).raise_for_status()
    while receiver.hanging < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f'only {receiver.hanging} of {count} webhooks hang')
        time.sleep(0.1)
    return price


def run(size: str = 'full') -> tuple[list[dict], dict]:
    sizes = SIZES[size]
    receiver = WebhookReceiver().start()
    receiver.hang('/hang/*')
    setup = f'{sizes["symbols"]} symbols x {sizes["viewers"]} pages, one change per {PACE_S * 1000:g} ms'
    try:
        with UpdateBench(LATENCY_SYMBOLS[:sizes['symbols']], sizes['viewers'],
                         extra_args=('--allow-private-webhooks',)) as bench:
            quiet = bench.phase(sizes['changes'], PACE_S, drawn=False)
            base = _hang_webhooks(bench, receiver, sizes['hanging'])
            hanging = bench.phase(sizes['changes'], PACE_S, drawn=False)
            held_after = receiver.hanging
            bench.control.post('/_replica/price', json={'symbol': ALERTED, 'price': base})
    finally:
        receiver.stop()
    rows = [*latency_rows('webhooks', 'no webhook hanging', quiet, target=None, p50_max=None, p99_max=None,
                          note=setup, breakdown=False),
            *latency_rows('webhooks', f'{sizes["hanging"]} webhook destinations hanging', hanging, target=None,
                          p50_max=None, p99_max=None,
                          note=f'{setup}; {held_after} requests still held when the phase ended', breakdown=False)]
    return rows, {'quiet': quiet.raw, 'hanging': hanging.raw, 'held_after': held_after,
                  'load': psutil.getloadavg()}
