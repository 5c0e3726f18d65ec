"""What the app tells about itself while it is measured: its push histogram (/metrics) and its event loop's
responsiveness (/health, answered on that loop)."""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from launcher.app_process import AppProcess

HISTOGRAM = 'cryptotracker_update_push_seconds'


def push_histogram(app: AppProcess) -> dict[str, float]:
    """The app's own 'source update -> pushed to the viewers' histogram: cumulative count per bucket."""
    buckets = {}
    for line in app.get('/metrics').text.splitlines():
        match = (re.match(rf'{HISTOGRAM}_bucket{{le="([^"]+)"}} (\S+)', line)
                 or re.match(rf'{HISTOGRAM}_(sum|count) (\S+)', line))
        if match:
            buckets[match.group(1)] = float(match.group(2))
    return buckets


def histogram_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    delta = {key: after.get(key, 0) - before.get(key, 0) for key in after}
    count = delta.get('count', 0)
    bounds = sorted((float(key), value) for key, value in delta.items() if key not in ('sum', 'count'))
    p50_bucket = next((bound for bound, cumulative in bounds if count and cumulative >= count / 2), None)
    return {'count': count, 'mean_ms': round(delta.get('sum', 0) / count * 1000, 3) if count else None,
            'p50_at_most_ms': p50_bucket * 1000 if p50_bucket is not None else None,
            'cumulative': {str(bound): value for bound, value in bounds}}


@dataclass
class HealthSampler:
    """GET /health every 0.5 s on the app's own event loop: its round trip is a lag proxy (and if the app
    reports `event_loop_lag_ms` itself, that is collected too)."""
    client: httpx.AsyncClient
    interval: float = 0.5
    rtt_ms: list[float] = field(default_factory=list)
    reported_lag_ms: list[float] = field(default_factory=list)
    failures: int = 0

    async def run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                body = (await self.client.get('/health', timeout=10)).json()
                self.rtt_ms.append((time.perf_counter() - started) * 1000)
                lag = body.get('event_loop_lag_ms')
                if isinstance(lag, (int, float)):
                    self.reported_lag_ms.append(float(lag))
            except (httpx.HTTPError, ValueError):
                self.failures += 1
            await asyncio.sleep(max(0.0, self.interval - (time.perf_counter() - started)))

