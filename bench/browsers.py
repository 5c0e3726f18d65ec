"""What the browser scenarios share: the replica and the app as subprocesses, viewer pages that time
every price text they show, and the paced price changes those times are measured against.

Times: the replica answers each `POST /_replica/price` with `sent_at` (time.time() just before it sends).
Each viewer page runs `PAGE_PROBE` before any of the dashboard's own scripts: a MutationObserver that
notes, in epoch ms (`performance.timeOrigin + performance.now()`), every new text of every
`[data-symbol] .price`, plus the arrival of every websocket message (the numbers in it) and every
Enter key press. Everything is read back at the end, so nothing calls into Python while prices move.
"""
from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx
import psutil
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from bench.common import summary_ms
from scraper.parsing import format_price
from tests.e2e.app_process import ROOT, AppProcess, free_port
from tests.e2e.pages import add_ticker, card
from tests.helpers import chromium_path, wait_until

# Prices of 1 and more (2 decimals, a 0.01 step always shows) and far enough apart that a price text
# names its symbol even after 100 steps: a websocket message can then be matched by its numbers alone.
LATENCY_SYMBOLS = ['BTCUSD', 'ETHUSD', 'SOLUSD', 'BNBUSD', 'LTCUSD', 'AVAXUSD', 'BCHUSD', 'AAVEUSD', 'MKRUSD',
                   'INJUSD']

PAGE_PROBE = r"""
(() => {
  if (window.__bench) return;
  const now = () => performance.timeOrigin + performance.now();
  const bench = window.__bench = {log: [], wire: [], enter: [], last: new Map()};
  const NUMBER = /\d{1,3}(?:,\d{3})*\.\d+/g;
  // Socket.IO finds WebSocket when its bundle loads, after this script: it gets this subclass, whose
  // listener is registered before Socket.IO's own onmessage, so it sees each message first.
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const t = now();
        if (typeof event.data !== 'string') return;
        const numbers = event.data.match(NUMBER);
        if (numbers) bench.wire.push([t, numbers]);
      });
    }
  };
  const scan = () => {
    const t = now();
    const seen = new Set();
    for (const price of document.querySelectorAll('[data-symbol] .price')) {
      const symbol = price.closest('[data-symbol]').dataset.symbol;
      const text = price.textContent.trim();
      seen.add(symbol);
      if (bench.last.get(symbol) !== text) {
        bench.last.set(symbol, text);
        bench.log.push([symbol, text, t]);
      }
    }
    for (const symbol of [...bench.last.keys()]) {
      if (!seen.has(symbol)) {
        bench.last.delete(symbol);
        bench.log.push([symbol, null, t]);
      }
    }
  };
  new MutationObserver(scan).observe(document, {subtree: true, childList: true, characterData: true});
  document.addEventListener('keydown', (event) => { if (event.key === 'Enter') bench.enter.push(now()); }, true);
})();
"""

DRAIN = """() => {
  const b = window.__bench;
  const out = {log: b.log, wire: b.wire, enter: b.enter};
  b.log = []; b.wire = []; b.enter = [];
  return out;
}"""

SHOWS_ALL = """want => Object.entries(want).every(([symbol, text]) => window.__bench.last.get(symbol) === text)"""

SHOWS_A_PRICE = """symbol => /\\d/.test(window.__bench.last.get(symbol) || '')"""

CLOCKS = """() => [performance.timeOrigin + performance.now(), Date.now()]"""


# --- processes ------------------------------------------------------------------------------------------

class ReplicaProcess:
    """`python -m tests.replica` with no random motion: every change is one the benchmark made.

    Its own process, so its event loop shares no interpreter lock with the Playwright client here."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.log_path = log_dir / 'replica.log'
        self.process: subprocess.Popen | None = None

    def start(self) -> ReplicaProcess:
        with open(self.log_path, 'ab') as log:
            self.process = subprocess.Popen(
                [sys.executable, '-m', 'tests.replica', '--host', '127.0.0.1', '--port', str(self.port),
                 '--tick', '0'], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._ready, 20, f'the replica on {self.url}')
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f'the replica exited: {self.log_path.read_text(errors="replace")[-2000:]}')
        try:
            return httpx.get(f'{self.url}/_replica/stats', timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@contextlib.contextmanager
def running_app(extra_args: tuple[str, ...] = ()) -> Iterator[tuple[AppProcess, ReplicaProcess]]:
    """A replica and `python main.py --headless` watching it; both are gone when the block ends."""
    with tempfile.TemporaryDirectory(prefix='bench-') as tmp:
        replica = ReplicaProcess(Path(tmp)).start()
        try:
            app = AppProcess(replica.url, Path(tmp), stale_after=600, extra_args=extra_args).start(timeout=60)
            try:
                yield app, replica
            except BaseException:
                print(f'--- app log (tail)\n{app.log_tail(60)}\n--- replica log (tail)\n'
                      f'{replica.log_path.read_text(errors="replace")[-3000:]}', file=sys.stderr)
                raise
            finally:
                code = app.stop()
                if code not in (0, None):
                    print(f'the app exited with {code}:\n{app.log_tail(40)}', file=sys.stderr)
        finally:
            replica.stop()


@contextlib.contextmanager
def viewer_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=['--no-sandbox'])
        try:
            yield browser
        finally:
            browser.close()


def open_viewer(browser: Browser, url: str) -> tuple[BrowserContext, Page]:
    """A new browser profile (its own cookie, so its own list) with one dashboard page, probe installed."""
    context = browser.new_context()
    context.add_init_script(PAGE_PROBE)
    page = context.new_page()
    page.goto(url)
    page.locator('html[data-connection="live"]').wait_for(timeout=15_000)
    return context, page


def drain(page: Page) -> dict[str, list]:
    return page.evaluate(DRAIN)


def clock_offsets_ms(page: Page) -> dict[str, float]:
    """How far the page's clock is from this process's time.time() (the replica's clock too)."""
    before = time.time() * 1000
    performance_ms, date_ms = page.evaluate(CLOCKS)
    after = time.time() * 1000
    middle = (before + after) / 2
    return {'performance_minus_python_ms': round(performance_ms - middle, 3),
            'date_minus_python_ms': round(date_ms - middle, 3), 'uncertainty_ms': round((after - before) / 2, 3)}


class CpuMeter:
    """CPU time used while prices move, per part: the app (Python), its Chromium, the viewers' Chromium
    (with Playwright's driver), the replica and this process. In cores: 2.0 is both cores all the time."""

    def __init__(self, app: AppProcess, replica: ReplicaProcess) -> None:
        assert replica.process is not None
        self._app = psutil.Process(app.pid)
        self._replica = psutil.Process(replica.process.pid)
        self._me = psutil.Process()
        self._start = self._sample()

    def _sample(self) -> dict[str, float]:
        def used(processes) -> float:
            total = 0.0
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    total += times.user + times.system
            return total
        app_tree = self._app.children(recursive=True)
        mine = [p for p in self._me.children(recursive=True) if p.pid != self._replica.pid
                and p not in app_tree and p.pid != self._app.pid]
        return {'app_python': used([self._app]), 'app_chromium': used(app_tree),
                'viewers_chromium_and_driver': used(mine), 'replica': used([self._replica]),
                'bench_client': used([self._me])}

    def stop(self, seconds: float) -> dict[str, float]:
        end = self._sample()
        return {key: round((end[key] - self._start[key]) / seconds, 2) for key in end}


# --- app-side metrics -----------------------------------------------------------------------------------

HISTOGRAM = 'cryptotracker_update_push_seconds'


def push_histogram(app: AppProcess) -> dict[str, float]:
    """The app's own 'source update -> pushed into the UI' histogram: cumulative count per bucket."""
    buckets = {}
    for line in app.get('/metrics').text.splitlines():
        if match := re.match(rf'{HISTOGRAM}_bucket{{le="([^"]+)"}} (\S+)', line):
            buckets[match.group(1)] = float(match.group(2))
        elif match := re.match(rf'{HISTOGRAM}_(sum|count) (\S+)', line):
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


# --- scenario 1: paced price changes, timed in every viewer page ------------------------------------------

@dataclass
class Change:
    symbol: str
    seq: int  # how many changes of this symbol came before
    text: str  # as the dashboard shows it
    sent_at: float


@dataclass
class LatencyRun:
    changes: list[Change] = field(default_factory=list)
    dom_s: list[float] = field(default_factory=list)  # per change and page: replica -> new text in the DOM
    wire_s: list[float] = field(default_factory=list)  # per change and page: replica -> websocket message
    superseded: int = 0  # (change, page) pairs whose own text never showed: a newer one came first
    missing: int = 0  # (change, page) pairs never shown at all, not even superseded, by the deadline
    raw: dict[str, Any] = field(default_factory=dict)


def price_steps(base: float, count: int) -> list[float]:
    """base+0.01, base-0.02, base+0.03, ...: every step moves, up and down, and no price comes twice."""
    return [round(base + 0.01 * (k + 1) * (1 if k % 2 == 0 else -1), 2) for k in range(count)]


def measure_updates(symbols: list[str], viewers: int, changes: int, pace_s: float,
                    extra_args: tuple[str, ...] = (), settle_s: float = 10.0) -> LatencyRun:
    """`viewers` browser profiles each show every symbol; `changes` prices are set round-robin over the
    symbols, one every `pace_s` on a fixed schedule (not waiting for delivery, so a slow path queues as
    it would for real), then every page must show each symbol's last price within `settle_s`."""
    args = ('--max-symbols', str(max(50, len(symbols))),
            '--max-tickers-per-browser', str(max(30, len(symbols))), *extra_args)
    run = LatencyRun()
    with running_app(args) as (app, replica), viewer_browser() as browser, \
            httpx.Client(base_url=replica.url, timeout=10) as control:
        pages = []
        for _ in range(viewers):
            _, page = open_viewer(browser, app.url)
            for symbol in symbols:
                add_ticker(page, symbol)
            pages.append(page)
        start_texts = {s: format_price(control.get(f'/_replica/price/{s}').json()['price']) for s in symbols}
        for page in pages:
            page.wait_for_function(SHOWS_ALL, arg=start_texts, polling=100, timeout=30_000)
            drain(page)
        clocks_before = [clock_offsets_ms(page) for page in pages]
        metrics_before = push_histogram(app)

        bases = {s: control.get(f'/_replica/price/{s}').json()['price'] for s in symbols}
        steps = {s: price_steps(bases[s], changes // len(symbols) + 1) for s in symbols}
        seqs = dict.fromkeys(symbols, 0)
        unpushed: list[int] = []
        cpu = CpuMeter(app, replica)
        started = time.perf_counter()
        for i in range(changes):
            delay = started + i * pace_s - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            symbol = symbols[i % len(symbols)]
            seq = seqs[symbol]
            seqs[symbol] += 1
            answer = control.post('/_replica/price', json={'symbol': symbol, 'price': steps[symbol][seq]}).json()
            if not answer.get('ok'):
                raise RuntimeError(f'the replica refused a price for {symbol}: {answer}')
            if answer['sockets'] < 1:  # the app's tab for it is (re)loading: it gets the price with its snapshot
                unpushed.append(i)
            run.changes.append(Change(symbol, seq, format_price(answer['price']), answer['sent_at']))
        sending_s = time.perf_counter() - started
        cpu = cpu.stop(sending_s)

        final = {c.symbol: c.text for c in run.changes}
        late_pages = 0
        for page in pages:
            try:
                page.wait_for_function(SHOWS_ALL, arg=final, polling=100, timeout=settle_s * 1000)
            except Exception:  # a page that never caught up: its missing changes are counted below
                late_pages += 1
        logs = [drain(page) for page in pages]
        clocks_after = [clock_offsets_ms(page) for page in pages]
        run.raw['app_push_histogram'] = histogram_delta(metrics_before, push_histogram(app))
        warnings = [line for line in app.log_tail(400).splitlines() if 'WARNING' in line or 'ERROR' in line]

    for log in logs:
        _match(run, log)
    run.raw.update({
        'symbols': symbols, 'viewers': viewers, 'changes': changes, 'pace_ms': pace_s * 1000,
        'sending_took_s': round(sending_s, 3), 'pages_not_caught_up': late_pages,
        'changes_unpushed_no_socket': unpushed, 'cpu_cores_used_while_sending': cpu,
        'app_log_warnings': warnings,
        'superseded_pairs': run.superseded, 'missing_pairs': run.missing,
        'clock_offsets_before': clocks_before, 'clock_offsets_after': clocks_after,
        'dom_latency_s': [round(s, 6) for s in run.dom_s], 'wire_latency_s': [round(s, 6) for s in run.wire_s],
    })
    return run


def _match(run: LatencyRun, log: dict[str, list]) -> None:
    """A change counts as shown at the first moment the page shows it or any later price of its symbol
    (the viewer is then at least that up to date): polling skips prices, and that is what it costs."""
    by_text = {(c.symbol, c.text): c for c in run.changes}
    by_plain_text = {c.text: c for c in run.changes}  # symbols were chosen so a text names its symbol
    per_symbol: dict[str, list[Change]] = {}
    for c in run.changes:
        per_symbol.setdefault(c.symbol, []).append(c)

    dom_at: dict[tuple[str, int], float] = {}
    exact: set[tuple[str, int]] = set()
    shown_upto = dict.fromkeys(per_symbol, -1)
    for symbol, text, t in sorted(log['log'], key=lambda row: row[2]):
        change = by_text.get((symbol, text))
        if change is None:
            continue
        exact.add((symbol, change.seq))
        for earlier in per_symbol[symbol][shown_upto[symbol] + 1:change.seq + 1]:
            dom_at[(symbol, earlier.seq)] = t / 1000
        shown_upto[symbol] = max(shown_upto[symbol], change.seq)

    wire_at: dict[tuple[str, int], float] = {}
    wire_upto = dict.fromkeys(per_symbol, -1)
    for t, numbers in sorted(log['wire'], key=lambda row: row[0]):
        for number in numbers:
            change = by_plain_text.get(number)
            if change is None:
                continue
            for earlier in per_symbol[change.symbol][wire_upto[change.symbol] + 1:change.seq + 1]:
                wire_at[(change.symbol, earlier.seq)] = t / 1000
            wire_upto[change.symbol] = max(wire_upto[change.symbol], change.seq)

    for c in run.changes:
        key = (c.symbol, c.seq)
        if key in dom_at:
            run.dom_s.append(dom_at[key] - c.sent_at)
            run.superseded += key not in exact
        else:
            run.missing += 1
        if key in wire_at:
            run.wire_s.append(wire_at[key] - c.sent_at)


def latency_rows(scenario: str, mode: str, run: LatencyRun, *, target: str | None, p50_max: float | None,
                 p99_max: float | None, note: str = '') -> list[dict[str, Any]]:
    stats = summary_ms(run.dom_s)
    expected = len(run.changes) * run.raw['viewers']
    met = None
    if p50_max is not None and p99_max is not None:
        met = 'yes' if (run.missing == 0 and stats['p50_ms'] <= p50_max and stats['p99_ms'] <= p99_max) else 'no'
    notes = [note] if note else []
    if run.missing:
        notes.append(f'{run.missing} of {expected} never shown')
    if run.superseded:
        notes.append(f'{run.superseded} skipped (newer price shown first)')
    row = {'scenario': scenario, 'mode': mode, **stats, 'target': target or '-', 'met': met or '-',
           'note': '; '.join(notes)}
    wire = summary_ms(run.wire_s)
    wire_row = {'scenario': scenario, 'mode': f'{mode}: replica -> viewer socket message', **wire,
                'target': '-', 'met': '-', 'note': 'where the DOM time goes: the wire part'}
    app_hist = run.raw.get('app_push_histogram', {})
    app_row = {'scenario': scenario, 'mode': f'{mode}: app metric {HISTOGRAM}', 'n': int(app_hist.get('count') or 0),
               'p50_ms': app_hist.get('p50_at_most_ms'), 'p95_ms': None, 'p99_ms': None, 'max_ms': None,
               'target': '-', 'met': '-',
               'note': f'mean {app_hist.get("mean_ms")} ms; p50 is a bucket bound'}
    return [row, wire_row, app_row]


# --- scenario 2: add to first price ---------------------------------------------------------------------

def time_add(page: Page, symbol: str, timeout_s: float = 20) -> tuple[float, str]:
    """Press Enter on the typed symbol; seconds from that key press to its card showing a price."""
    drain(page)
    field_ = page.get_by_label('Ticker')
    field_.fill(symbol)
    field_.press('Enter')
    page.wait_for_function(SHOWS_A_PRICE, arg=symbol, polling=20, timeout=timeout_s * 1000)
    log = drain(page)
    pressed = log['enter'][-1]
    shown = next((t, text) for s, text, t in log['log'] if s == symbol and text and re.search(r'\d', text))
    # The field empties once the server took the add: typing on before that would be lost.
    expect(field_).to_have_value('', timeout=10_000)
    return (shown[0] - pressed) / 1000, shown[1]


def remove(page: Page, symbol: str) -> None:
    page.get_by_role('button', name=f'Remove {symbol}').click()
    card(page, symbol).wait_for(state='detached', timeout=10_000)


def add_summary(scenario: str, mode: str, samples: list[float], p50_max_ms: float, note: str) -> dict[str, Any]:
    stats = summary_ms(samples)
    return {'scenario': scenario, 'mode': mode, **stats, 'target': f'p50 <= {p50_max_ms:g} ms',
            'met': 'yes' if samples and stats['p50_ms'] <= p50_max_ms else 'no', 'note': note}


