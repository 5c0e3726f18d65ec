"""Fan-out: 100, 300, 1000 simulated viewers of 10 symbols each, every symbol moved once a second.

Measures at the viewers the delay from the source's send (the replica's `sent_at`) to the arrival of the
price, and at the server its CPU, event-loop responsiveness and memory per viewer. The pieces:

- the TradingView replica in its own process (no random motion: the driver here moves every price),
- the app as users run it (`python main.py --headless`, tests.e2e.app_process.AppProcess),
- one real Chromium (Playwright) that creates the user: it types the 10 tickers into the form, so the
  server stores them in that browser's `app.storage.user`; its session cookie then serves every simulated
  viewer (one user, many tabs), and the real browser is closed before measuring,
- bench.viewers: the simulated viewers, in worker processes.

Viewers are added in steps (cumulative: 100, then 200 more, then 700 more); each step is measured for a
fixed window after its viewers are connected and settled.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.browsers import ReplicaProcess
from bench.common import percentile, summary_ms
from bench.viewers import ViewerWorkers
from scraper.parsing import format_price, price_decimals
from tests.e2e.app_process import AppProcess
from tests.helpers import chromium_path
from tests.replica.universe import default_universe

UNIVERSE = default_universe()
# Big and small prices (DOGE and ADA show 4 decimals on the card, the replica's own precision differs).
SYMBOLS = ['BTCUSD', 'ETHUSD', 'SOLUSD', 'XRPUSD', 'BNBUSD', 'DOGEUSD', 'ADAUSD', 'LTCUSD', 'LINKUSD', 'AVAXUSD']
SIZES = {
    'full': {'steps': (100, 300, 1000), 'window': 25, 'symbols': SYMBOLS},
    'smoke': {'steps': (5,), 'window': 5, 'symbols': SYMBOLS[:3]},
}
GRACE = 2.0  # after the last move of a window: what has not arrived by then counts as not delivered
# Page loads at once. Each builds a 10-card page on the app's event loop; at 50 at once the loop stalls for
# seconds, the app's own liveness check then reloads every tab and Engine.IO drops sockets (ping timeout 2 s).
CONNECT_CONCURRENCY = int(os.environ.get('FANOUT_CONCURRENCY', '10'))


# --- the stack: replica, app, real browser ----------------------------------------------------------------

def raise_file_limit(wanted: int = 16384) -> None:
    """Each viewer is a socket in the app and in a worker: 1000 of them do not fit a 1024 default."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Stack:
    """Replica + app (+ a temporary directory for their logs and the app's storage)."""

    def __init__(self, app_args: tuple[str, ...] = ()) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix='bench-fanout-')
        self.dir = Path(self._tmp.name)
        self.replica = ReplicaProcess(self.dir)
        self.app_args = app_args
        self.app: AppProcess | None = None

    def start(self) -> Stack:
        raise_file_limit()
        self.replica.start()
        try:
            self.app = AppProcess(self.replica.url, self.dir, extra_args=self.app_args).start(timeout=60)
        except BaseException:
            self.replica.stop()
            raise
        return self

    def stop(self) -> dict[str, Any]:
        """Stop both; the app's log is kept (its path and its warnings go into the results)."""
        code = None
        try:
            if self.app is not None:
                code = self.app.stop(timeout=30)
        finally:
            self.replica.stop()
        kept: dict[str, Any] = {'app_exit_code': code}
        if self.app is not None and self.app.log_path.exists():
            log = self.app.log_path.read_text(errors='replace')
            target = Path(tempfile.gettempdir()) / f'bench-{self.dir.name}-app.log'
            target.write_text(log)
            problems = [line for line in log.splitlines() if ' WARNING ' in line or ' ERROR ' in line]
            kept.update({'app_log': str(target), 'app_log_problems': len(problems),
                         'app_log_problem_sample': problems[:10]})
        self._tmp.cleanup()
        return kept


class RealBrowser:
    """One Playwright Chromium (not under the app: not counted as the app's Chromium) to create users."""

    def __init__(self) -> None:
        self._playwright = None
        self.browser = None

    async def start(self) -> RealBrowser:
        from playwright.async_api import async_playwright
        self._playwright = await async_playwright().start()
        try:
            self.browser = await self._playwright.chromium.launch(
                executable_path=chromium_path(), args=['--no-sandbox'], headless=True)
        except BaseException:
            await self.close()
            raise
        return self

    async def new_user(self, url: str):
        """A fresh browser context (its own cookie, so its own list) on the dashboard."""
        assert self.browser is not None
        context = await self.browser.new_context()
        page = await context.new_page()
        await page.goto(url)
        return context, page

    @staticmethod
    async def open_page(context, url: str, cards: int, timeout: float = 30_000):
        """One more dashboard page of this user, once its socket is live and it shows its `cards` prices."""
        page = await context.new_page()
        await page.goto(url)
        await page.locator('html[data-connection="live"]').wait_for(timeout=timeout)
        await page.wait_for_function('n => document.querySelectorAll(\'[data-symbol][data-status="live"]\').length === n',
                                     arg=cards, timeout=timeout)
        return page

    @staticmethod
    async def add(page, symbols: list[str], timeout: float = 30_000) -> None:
        """Type each ticker into the form as a person does, waiting for its card before the next one."""
        from playwright.async_api import expect
        field_ = page.get_by_label('Ticker')
        for symbol in symbols:
            await field_.fill(symbol)
            await field_.press('Enter')
            await page.locator(f'[data-symbol="{symbol}"]').wait_for(timeout=timeout)
            # the server clears the field after a successful add; typing on before that would be lost
            await expect(field_).to_have_value('', timeout=timeout)

    @staticmethod
    async def cookie_header(context) -> str:
        return '; '.join(f'{c["name"]}={c["value"]}' for c in await context.cookies())

    async def close(self) -> None:
        if self.browser is not None:
            await self.browser.close()
        if self._playwright is not None:
            await self._playwright.stop()


def client(base_url: str) -> httpx.AsyncClient:
    # Idle connections are dropped here after 2 s, before the server's keep-alive timeout (5 s) can close one
    # under a request being sent on it.
    return httpx.AsyncClient(base_url=base_url, timeout=10, limits=httpx.Limits(keepalive_expiry=2))


async def wait_for(condition, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        result = await condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f'timed out after {timeout} s waiting for {what}')
        await asyncio.sleep(interval)


async def all_live(client: httpx.AsyncClient, symbols: list[str], timeout: float = 60) -> None:
    async def check() -> bool:
        rows = {row['symbol']: row for row in (await client.get('/api/tickers')).json()['tickers']}
        return all(rows.get(s, {}).get('status') == 'live' for s in symbols)
    await wait_for(check, timeout, f'{symbols} to be live')


# --- measuring the server ---------------------------------------------------------------------------------

def _is_chromium(process: psutil.Process) -> bool:
    try:
        return 'chrom' in process.name().lower()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def process_groups(app_pid: int, extra: dict[str, list[int]]) -> dict[str, list[psutil.Process]]:
    """'server' (the app's Python process), 'driver' (its other children: Playwright's node driver),
    'chromium' (the app's Chromium processes), plus `extra` groups."""
    app = psutil.Process(app_pid)
    children = app.children(recursive=True)
    groups = {'server': [app], 'driver': [c for c in children if not _is_chromium(c)],
              'chromium': [c for c in children if _is_chromium(c)]}
    for name, pids in extra.items():
        groups[name] = [psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)]
    return groups


def cpu_seconds(groups: dict[str, list[psutil.Process]]) -> dict[str, dict[int, float]]:
    snapshot: dict[str, dict[int, float]] = {}
    for name, processes in groups.items():
        snapshot[name] = {}
        for process in processes:
            try:
                times = process.cpu_times()
                snapshot[name][process.pid] = times.user + times.system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
    return snapshot


def machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return times.user + times.nice + times.system + getattr(times, 'irq', 0) + getattr(times, 'softirq', 0) \
        + getattr(times, 'steal', 0)


def cpu_percent(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]],
                seconds: float) -> dict[str, float]:
    """% of one core per group over the window; a process born inside the window counts from zero."""
    return {name: round(100 * sum(t - before.get(name, {}).get(pid, 0.0) for pid, t in now.items()) / seconds, 1)
            for name, now in after.items()}


def memory_mb(app_pid: int) -> dict[str, float]:
    """The app's own memory and the sums over its Chromium processes, in MiB.

    USS: pages only that process holds (what its exit gives back); PSS: USS plus an even share of the pages
    it shares (summed over Chromium's processes, the fair total); RSS: every page mapped (summed, it counts
    Chromium's shared pages once per process).
    """
    app = psutil.Process(app_pid)
    info = app.memory_full_info()
    chromium = {'uss': 0, 'pss': 0, 'rss': 0}
    chromium_count = 0
    for child in app.children(recursive=True):
        if not _is_chromium(child):
            continue
        try:
            child_info = child.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        for key in chromium:
            chromium[key] += getattr(child_info, key)
        chromium_count += 1
    mib = 2 ** 20
    return {'server_uss_mb': round(info.uss / mib, 1), 'server_rss_mb': round(info.rss / mib, 1),
            'chromium_pss_mb': round(chromium['pss'] / mib, 1), 'chromium_uss_mb': round(chromium['uss'] / mib, 1),
            'chromium_rss_mb': round(chromium['rss'] / mib, 1), 'chromium_processes': chromium_count}


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


# --- driving prices ---------------------------------------------------------------------------------------

def grid_decimals(symbol: str, price: float) -> int:
    """Decimals on which the replica's text and the card's text agree (the card: 2, 4 or 8)."""
    card = price_decimals(price)
    replica = 2 if price >= 1 else UNIVERSE[symbol].coin.small_decimals
    return min(card, replica)


class PriceDriver:
    """Moves every symbol once a second (all at once, as a market does), each time up by about 0.01 % to a
    price text never used before, and remembers when the source sent each text."""

    def __init__(self, replica: httpx.AsyncClient, symbols: list[str]) -> None:
        self.replica = replica
        self.symbols = list(symbols)
        self.current: dict[str, float] = {}
        self.sent: dict[str, tuple[str, float]] = {}  # card text -> (symbol, sent_at)
        self.used: set[str] = set()
        self.silent: int = 0  # posts that reached no socket: the symbol's tab was not connected
        self.failures: int = 0
        self._task: asyncio.Task | None = None

    async def prepare(self, symbols: list[str] | None = None) -> None:
        """Start from the replica's current prices; `symbols` replaces the set being moved."""
        wanted = self.symbols if symbols is None else list(symbols)
        for symbol in wanted:
            if symbol not in self.current:
                self.current[symbol] = (await self.replica.get(f'/_replica/price/{symbol}')).json()['price']
        self.symbols = wanted  # only now: the moves running meanwhile need a current price for each

    def start(self) -> None:
        """Keep moving in the background, also while viewers connect (a quiet market would go stale)."""
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        started = time.perf_counter()
        for tick in range(10**7):
            try:
                await self.move_all()
            except httpx.HTTPError:
                self.failures += 1
            await asyncio.sleep(max(0.0, started + tick + 1 - time.perf_counter()))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def sent_between(self, start: float, end: float) -> dict[str, tuple[str, float]]:
        return {text: sent for text, sent in self.sent.items() if start <= sent[1] <= end}

    def _next(self, symbol: str) -> float:
        price = self.current[symbol]
        decimals = grid_decimals(symbol, price)
        unit = 10 ** -decimals
        step = unit * max(1, round(price * 1e-4 / unit))
        for _ in range(20):
            price = round(price + step, decimals)
            if format_price(price) not in self.used:
                break
        return price

    async def _move(self, symbol: str) -> None:
        price = self._next(symbol)
        for attempt in range(3):  # a kept-alive connection the replica closed while idle fails once: retry
            try:
                response = await self.replica.post('/_replica/price', json={'symbol': symbol, 'price': price})
                break
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
                if attempt == 2:
                    raise
        body = response.raise_for_status().json()
        self.current[symbol] = body['price']
        text = format_price(body['price'])  # what the card shows (scraper.parsing), not the replica's text
        self.used.add(text)
        self.sent[text] = (symbol, body['sent_at'])
        if not body.get('sockets'):
            self.silent += 1

    async def move_all(self) -> None:
        await asyncio.gather(*(self._move(symbol) for symbol in self.symbols))

    def reset(self) -> None:
        self.sent.clear()
        self.silent = 0
        self.failures = 0


def latencies(sent: dict[str, tuple[str, float]], collected: dict[str, Any]) -> dict[str, list[float]]:
    """Seconds, per arrival: `total` source send -> viewer; `app` the app's receipt of the source update (`t`
    in the message) -> viewer; and per change: `source` source send -> the app's receipt (Chromium, scraper)."""
    total, app_part, source_part = [], [], []
    for text, (_, sent_at) in sent.items():
        times = collected['arrivals'].get(text, ())
        total.extend(t - sent_at for t in times)
        if (source_time := collected['source_time'].get(text)) is not None:
            app_part.extend(t - source_time for t in times)
            source_part.append(source_time - sent_at)
    return {'total': total, 'app': app_part, 'source': source_part}


# --- the scenario -----------------------------------------------------------------------------------------

async def measure_window(stack: Stack, workers: ViewerWorkers, driver: PriceDriver, viewers: int,
                         seconds: int, extra_pids: dict[str, list[int]]) -> dict[str, Any]:
    """`seconds` of the driver's moves (it keeps running), then GRACE for the last ones to arrive."""
    assert stack.app is not None
    async with client(stack.app.url) as probe:
        extra_pids = {'viewers': workers.pids, 'bench': [os.getpid()], **extra_pids}
        groups = process_groups(stack.app.pid, extra_pids)
        await workers.reset()
        driver.reset()
        window_start = time.time()
        before, started, machine_before = cpu_seconds(groups), time.perf_counter(), machine_busy_seconds()
        sampler = HealthSampler(probe)
        sampling = asyncio.create_task(sampler.run(seconds + GRACE))
        await asyncio.sleep(seconds)
        sent = driver.sent_between(window_start, time.time())
        silent, failures = driver.silent, driver.failures
        await asyncio.sleep(GRACE)
        groups = process_groups(stack.app.pid, extra_pids)
        elapsed = time.perf_counter() - started
        cpu = cpu_percent(before, cpu_seconds(groups), elapsed)
        # whatever else ran on the machine meanwhile (other benchmarks, tests): it competes for the same cores
        cpu['machine'] = round(100 * (machine_busy_seconds() - machine_before) / elapsed, 1)
        cpu['others'] = round(max(0.0, cpu['machine'] - sum(v for k, v in cpu.items() if k != 'machine')), 1)
        await sampling
    collected = await workers.collect()
    parts = latencies(sent, collected)
    total, delivered = parts['total'], len(parts['total'])
    expected = viewers * len(sent)
    lag = sampler.reported_lag_ms or sampler.rtt_ms
    return {
        'viewers': viewers, 'changes': len(sent), 'expected': expected, 'delivered': delivered,
        'silent_posts': silent, 'driver_failures': failures, 'latency': summary_ms(total),
        'app_latency': summary_ms(parts['app']), 'source_latency': summary_ms(parts['source']),
        'cpu_percent': cpu, 'health_rtt_ms': sampler.rtt_ms, 'reported_lag_ms': sampler.reported_lag_ms,
        'lag_p99_ms': round(percentile(lag, 99), 1), 'lag_from': 'app' if sampler.reported_lag_ms else 'health_rtt',
        'health_failures': sampler.failures, 'open_viewers': collected['open'], 'ended_viewers': collected['ended'],
        'ended_reasons': collected['ended_reasons'], 'frames': collected['frames'], 'pings': collected['pings'],
        'frame_kinds': collected['frame_kinds'],
        'latency_s_sample': total[:: max(1, len(total) // 2000)],
    }


def _row(window: dict[str, Any], per_viewer_mb: float | None) -> dict[str, Any]:
    cpu = window['cpu_percent']
    return {
        'viewers': window['viewers'],
        'p50_ms': window['latency']['p50_ms'], 'p99_ms': window['latency']['p99_ms'],
        'delivered_%': round(100 * window['delivered'] / window['expected'], 2) if window['expected'] else 0.0,
        'server_cpu_%': cpu['server'], 'loop_lag_p99_ms': window['lag_p99_ms'],
        'health_rtt_p99_ms': round(percentile(window['health_rtt_ms'], 99), 1),
        'server_mb_per_viewer': None if per_viewer_mb is None else round(per_viewer_mb, 3),
        'chromium_cpu_%': cpu['chromium'], 'pw_driver_cpu_%': cpu['driver'], 'viewers_cpu_%': cpu['viewers'],
        # where p99 goes: source -> the app's receipt (Chromium, scraper), and the app's receipt -> viewer
        'source_p99_ms': window['source_latency']['p99_ms'], 'app_p99_ms': window['app_latency']['p99_ms'],
        'other_cpu_%': cpu['others'],
    }


async def measure(steps: tuple[int, ...] = (100, 300, 1000), window: int = 25, symbols: list[str] | None = None,
                  workers: int | None = None, deflate: bool = True,
                  hold: float | None = None) -> tuple[list[dict], dict]:
    """`hold`: seconds to keep everything up after the last step (for attaching a profiler); None: no hold."""
    symbols = symbols or SYMBOLS
    workers = workers or (2 if max(steps) >= 500 else 1)
    stack = Stack().start()
    assert stack.app is not None
    raw: dict[str, Any] = {'loadavg_at_start': os.getloadavg(), 'symbols': symbols, 'steps': list(steps), 'window_s': window, 'grace_s': GRACE,
                           'viewer_processes': workers, 'permessage_deflate': deflate,
                           'connect_concurrency': CONNECT_CONCURRENCY, 'windows': [],
                           'connects': [], 'memory': {}}
    rows: list[dict] = []
    pool: ViewerWorkers | None = None
    browser: RealBrowser | None = None
    driver: PriceDriver | None = None
    try:
        async with client(stack.replica.url) as replica, \
                client(stack.app.url) as app:
            browser = await RealBrowser().start()
            context, page = await browser.new_user(stack.app.url)
            await RealBrowser.add(page, symbols)
            cookie = await RealBrowser.cookie_header(context)
            await all_live(app, symbols)
            pool = ViewerWorkers(stack.app.url, cookie, workers=workers, deflate=deflate,
                                 concurrency=CONNECT_CONCURRENCY)
            first = await pool.connect_to(1)  # holds the symbols once the real browser is gone
            if first['connected'] != 1:
                raise RuntimeError(f'the first simulated viewer failed: {first}')
            await browser.close()
            browser = None
            await asyncio.sleep(5)  # the real browser's page is deleted after reconnect_timeout (3 s)
            await all_live(app, symbols)
            driver = PriceDriver(replica, symbols)
            await driver.prepare()
            driver.start()
            await asyncio.sleep(3)
            baseline = memory_mb(stack.app.pid)
            raw['memory'][1] = baseline
            for viewers in steps:
                connect = await pool.connect_to(viewers, timeout=600)
                raw['connects'].append({'to': viewers, **connect})
                await asyncio.sleep(3 if viewers < 500 else 6)  # let the connect burst settle
                result = await measure_window(stack, pool, driver, viewers, window, {'replica': [stack.replica.pid]})
                memory = memory_mb(stack.app.pid)
                raw['memory'][viewers] = memory
                per_viewer = (memory['server_uss_mb'] - baseline['server_uss_mb']) / (viewers - 1) \
                    if viewers > 1 else None
                result['memory'] = memory
                raw['windows'].append(result)
                rows.append(_row(result, per_viewer))
                print(f'fanout: {rows[-1]}', flush=True)
            if hold:
                print(f'fanout: holding {hold} s for a profiler; app pid {stack.app.pid}', flush=True)
                await asyncio.sleep(hold)
            await driver.stop()  # while its replica client is still open
    finally:
        if driver is not None:  # only still running when something failed: that failure is the one to report
            with contextlib.suppress(Exception):
                await driver.stop()
        if browser is not None:
            await browser.close()
        if pool is not None:
            await pool.close()
        raw['stop'] = stack.stop()
    return rows, raw


def run(size: str = 'full') -> tuple[list[dict], dict]:
    spec = SIZES['smoke' if size == 'smoke' else 'full']
    workers = int(os.environ['FANOUT_WORKERS']) if os.environ.get('FANOUT_WORKERS') else None
    deflate = os.environ.get('FANOUT_DEFLATE', '1') != '0'
    return asyncio.run(measure(spec['steps'], spec['window'], list(spec['symbols']), workers=workers,
                               deflate=deflate))


if __name__ == '__main__':  # python -m bench.fanout [viewers ...]: a quick look at chosen sizes
    chosen = tuple(int(a) for a in sys.argv[1:]) or SIZES['full']['steps']
    table, details = asyncio.run(measure(chosen, int(os.environ.get('FANOUT_WINDOW', '15')),
                                         workers=int(os.environ.get('FANOUT_WORKERS', '0')) or None,
                                         deflate=os.environ.get('FANOUT_DEFLATE', '1') != '0',
                                         hold=float(os.environ.get('FANOUT_HOLD', '0')) or None))
    Path('/tmp/fanout-raw.json').write_text(json.dumps(details, indent=1, default=str))
    for line in table:
        print(line)
