"""What the browser scenarios share: the replica and the app as subprocesses, viewer pages that time
every price text they show, and the paced price changes those times are measured against.

Times: the replica answers each `POST /_replica/price` with `sent_at` (time.time() just before it sends).
Each viewer page runs `PAGE_PROBE` before any of the dashboard's own scripts: a MutationObserver that
notes, in epoch ms (`performance.timeOrigin + performance.now()`), every new text of every
`[data-symbol] .price`; the arrival of every socket.io 'prices' message (with the app's own `t`, the
moment its engine took the update); and every Enter key press. Everything is read back between
phases, so nothing calls into Python while prices move. All processes share one machine clock.
"""
from __future__ import annotations

import contextlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx
import psutil
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bench.common import summary_ms
from scraper.parsing import format_price
from tests.e2e.app_process import ROOT, AppProcess, free_port
from tests.e2e.pages import add_ticker, card
from tests.helpers import chromium_path, wait_until

# Prices of 1 and more (2 decimals, so a 0.01 step always shows), far enough apart that no two symbols
# ever show the same text, even after hundreds of steps.
LATENCY_SYMBOLS = ['BTCUSD', 'ETHUSD', 'SOLUSD', 'BNBUSD', 'LTCUSD', 'AVAXUSD', 'BCHUSD', 'AAVEUSD', 'MKRUSD',
                   'INJUSD']

PAGE_PROBE = r"""
(() => {
  if (window.__bench) return;
  const now = () => performance.timeOrigin + performance.now();
  const bench = window.__bench = {log: [], wire: [], enter: [], last: new Map()};
  // Socket.IO looks WebSocket up when its bundle loads, after this script, so it gets this subclass,
  // whose listener is registered before Socket.IO's own onmessage: it sees each message first.
  const PRICES = /^42\["prices",(.*)\]$/s;
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const t = now();
        const match = typeof event.data === 'string' && PRICES.exec(event.data);
        if (!match) return;
        try {
          for (const message of JSON.parse(match[1])) bench.wire.push([t, message.s, message.p, message.t]);
        } catch (error) { /* not a prices message after all */ }
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
        try:
            wait_until(self._ready, 20, f'the replica on {self.url}')
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

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
                print(f'--- app log (tail)\n{app.log_tail(60)}', file=sys.stderr)
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


def open_viewers(browser: Browser, url: str, count: int) -> list[Page]:
    """`count` browser profiles (each its own cookie, so its own list) with one dashboard page each, probe
    installed; the pages load side by side."""
    pages = []
    for _ in range(count):
        context = browser.new_context()
        context.add_init_script(PAGE_PROBE)
        page = context.new_page()
        page.goto(url, wait_until='commit')
        pages.append(page)
    for page in pages:
        page.locator('html[data-connection="live"]').wait_for(timeout=30_000)
    return pages


def set_window(page: Page, state: str) -> None:
    """'minimized': Chromium stops drawing the page (its DOM, scripts and sockets run on), 'normal': draws."""
    session = page.context.new_cdp_session(page)
    try:
        window = session.send('Browser.getWindowForTarget')['windowId']
        session.send('Browser.setWindowBounds', {'windowId': window, 'bounds': {'windowState': state}})
    finally:
        session.detach()


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
        self._started = time.perf_counter()
        self._start = self._sample()

    def _sample(self) -> dict[str, float]:
        def used(processes: list[psutil.Process]) -> float:
            total = 0.0
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    total += times.user + times.system
            return total
        app_tree = self._app.children(recursive=True)
        mine = [p for p in self._me.children(recursive=True)
                if p not in app_tree and p.pid not in (self._app.pid, self._replica.pid)]
        system = psutil.cpu_times()
        return {'app_python': used([self._app]), 'app_chromium': used(app_tree),
                'viewers_chromium_and_driver': used(mine), 'replica': used([self._replica]),
                'bench_client': used([self._me]),
                'machine': sum(system) - system.idle - getattr(system, 'iowait', 0)}

    def stop(self) -> dict[str, float]:
        seconds = time.perf_counter() - self._started
        end = self._sample()
        used = {key: round((end[key] - self._start[key]) / seconds, 2) for key in end}
        # Whatever else ran on the machine meanwhile (another benchmark, a test run) skews the numbers.
        used['not_ours'] = round(used['machine'] - sum(v for k, v in used.items() if k != 'machine'), 2)
        return used


# --- app-side metrics -----------------------------------------------------------------------------------

HISTOGRAM = 'cryptotracker_update_push_seconds'


def push_histogram(app: AppProcess) -> dict[str, float]:
    """The app's own 'source update -> pushed to the viewers' histogram: cumulative count per bucket."""
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
    seq: int  # this symbol's change number, counted over the whole run
    text: str  # as the dashboard shows it
    sent_at: float


@dataclass
class LatencyRun:
    viewers: int
    changes: list[Change] = field(default_factory=list)
    dom_s: list[float] = field(default_factory=list)  # per change and page: replica -> new text in the DOM
    wire_s: list[float] = field(default_factory=list)  # per change and page: replica -> 'price' message in JS
    engine_s: list[float] = field(default_factory=list)  # per change: replica -> the app's engine took it
    superseded: int = 0  # (change, page) pairs whose own text never showed: a newer one came first
    missing: int = 0  # (change, page) pairs never shown at all by the deadline
    per_change_s: dict[int, list[float]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def expected(self) -> int:
        return len(self.changes) * self.viewers


def price_steps(base: float, count: int) -> list[float]:
    """base+0.01, base-0.02, base+0.03, ...: every step moves, up and down, and no price comes twice."""
    return [round(base + 0.01 * (k + 1) * (1 if k % 2 == 0 else -1), 2) for k in range(count)]


class UpdateBench:
    """The app watching the replica, `viewers` browser profiles each showing every symbol; `phase()` makes
    paced price changes and times them in every page. Use as a context manager."""

    def __init__(self, symbols: list[str], viewers: int, extra_args: tuple[str, ...] = (),
                 most_changes: int = 5000) -> None:
        self.symbols = symbols
        self.viewers = viewers
        self.extra_args = ('--max-symbols', str(max(50, len(symbols))),
                           '--max-tickers-per-browser', str(max(30, len(symbols))), *extra_args)
        self._most_changes = most_changes
        self._stack = contextlib.ExitStack()
        self.pages: list[Page] = []

    def __enter__(self) -> UpdateBench:
        try:
            self.app, self.replica = self._stack.enter_context(running_app(self.extra_args))
            browser = self._stack.enter_context(viewer_browser())
            self.control = self._stack.enter_context(httpx.Client(base_url=self.replica.url, timeout=10))
            self.pages = open_viewers(browser, self.app.url, self.viewers)
            for page in self.pages:
                for symbol in self.symbols:
                    add_ticker(page, symbol)
            bases = {s: self.control.get(f'/_replica/price/{s}').json()['price'] for s in self.symbols}
            start_texts = {s: format_price(price) for s, price in bases.items()}
            for page in self.pages:
                try:
                    page.wait_for_function(SHOWS_ALL, arg=start_texts, polling=100, timeout=30_000)
                except PlaywrightError:
                    shown = page.evaluate('() => Object.fromEntries(window.__bench.last)')
                    raise RuntimeError(f'a viewer page never showed the current prices {start_texts}: it shows '
                                       f'{shown}; the app has {self.app.tickers()}\n{self.app.log_tail(40)}') from None
            self._steps = {s: price_steps(bases[s], self._most_changes) for s in self.symbols}
            self._seqs = dict.fromkeys(self.symbols, 0)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def phase(self, changes: int, pace_s: float, *, drawn: bool, settle_s: float = 10.0) -> LatencyRun:
        """`changes` prices set round-robin over the symbols, one every `pace_s` on a fixed schedule (not
        waiting for delivery, so a slow path queues as it would for real); then every page must show each
        symbol's last price within `settle_s`. `drawn`: the viewer windows are drawn (as a tab in view)
        or minimized (Chromium keeps the DOM, scripts and socket going but draws nothing)."""
        run = LatencyRun(self.viewers)
        for page in self.pages:
            set_window(page, 'normal' if drawn else 'minimized')
        time.sleep(0.5)  # let the windows settle before the clock starts
        for page in self.pages:
            drain(page)
        clocks_before = [clock_offsets_ms(page) for page in self.pages]
        metrics_before = push_histogram(self.app)
        unpushed: list[int] = []
        cpu = CpuMeter(self.app, self.replica)
        started = time.perf_counter()
        for i in range(changes):
            delay = started + i * pace_s - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            symbol = self.symbols[i % len(self.symbols)]
            seq = self._seqs[symbol]
            self._seqs[symbol] += 1
            answer = self.control.post('/_replica/price',
                                       json={'symbol': symbol, 'price': self._steps[symbol][seq]}).json()
            if not answer.get('ok'):
                raise RuntimeError(f'the replica refused a price for {symbol}: {answer}')
            if answer['sockets'] < 1:  # the app's tab for it is (re)loading: it gets the price with its snapshot
                unpushed.append(i)
            run.changes.append(Change(symbol, seq, format_price(answer['price']), answer['sent_at']))
        sending_s = time.perf_counter() - started
        cpu_used = cpu.stop()

        final = {c.symbol: c.text for c in run.changes}
        late_pages = 0
        for page in self.pages:
            try:
                page.wait_for_function(SHOWS_ALL, arg=final, polling=100, timeout=settle_s * 1000)
            except Exception:  # a page that never caught up: its missing changes are counted below
                late_pages += 1
        logs = [drain(page) for page in self.pages]
        clocks_after = [clock_offsets_ms(page) for page in self.pages]
        histogram = histogram_delta(metrics_before, push_histogram(self.app))
        warnings = [line for line in self.app.log_tail(400).splitlines() if 'WARNING' in line or 'ERROR' in line]

        for log in logs:
            _match(run, log)
        _match_engine(run, logs)
        run.raw.update({
            'symbols': self.symbols, 'viewers': self.viewers, 'changes': changes, 'pace_ms': pace_s * 1000,
            'viewer_windows': 'drawn' if drawn else 'minimized', 'app_args': list(self.extra_args),
            'sending_took_s': round(sending_s, 3), 'pages_not_caught_up': late_pages,
            'superseded_pairs': run.superseded, 'missing_pairs': run.missing,
            'changes_unpushed_no_socket': unpushed, 'cpu_cores_used_while_sending': cpu_used,
            'app_push_histogram': histogram, 'app_log_warnings_so_far': warnings[-30:],
            'clock_offsets_before': clocks_before, 'clock_offsets_after': clocks_after,
            # In the order the changes were made: the slowest page's latency, to see trouble over time.
            'per_change_slowest_page_ms': [round(max(run.per_change_s.get(i, [float('nan')])) * 1000, 2)
                                           for i in range(len(run.changes))],
            'dom_latency_s': [round(s, 6) for s in run.dom_s], 'wire_latency_s': [round(s, 6) for s in run.wire_s],
            'engine_latency_s': [round(s, 6) for s in run.engine_s],
        })
        return run


def _first_shown(changes: list[Change], shown: list[tuple[float, str, str]]) -> tuple[dict, set]:
    """When each change first showed, where a later price of its symbol showing also counts (the viewer is
    then at least that up to date; polling skips prices, and this is what that costs). `shown`: (time s,
    symbol, text). Returns {(symbol, seq): time} and the keys whose own text showed."""
    by_text = {(c.symbol, c.text): c for c in changes}
    per_symbol: dict[str, list[Change]] = {}
    for c in changes:
        per_symbol.setdefault(c.symbol, []).append(c)
    first = {symbol: cs[0].seq for symbol, cs in per_symbol.items()}
    upto = {symbol: -1 for symbol in per_symbol}  # index into per_symbol[symbol] shown so far
    at: dict[tuple[str, int], float] = {}
    exact: set[tuple[str, int]] = set()
    for t, symbol, text in sorted(shown, key=lambda row: row[0]):
        change = by_text.get((symbol, text))
        if change is None:
            continue
        exact.add((symbol, change.seq))
        index = change.seq - first[symbol]
        for earlier in per_symbol[symbol][upto[symbol] + 1:index + 1]:
            at[(symbol, earlier.seq)] = t
        upto[symbol] = max(upto[symbol], index)
    return at, exact


def _match(run: LatencyRun, log: dict[str, list]) -> None:
    dom_at, exact = _first_shown(run.changes, [(t / 1000, s, text) for s, text, t in log['log']])
    wire_at, _ = _first_shown(run.changes, [(t / 1000, s, text) for t, s, text, _ in log['wire']])
    for index, c in enumerate(run.changes):
        key = (c.symbol, c.seq)
        if key in dom_at:
            run.dom_s.append(dom_at[key] - c.sent_at)
            run.per_change_s.setdefault(index, []).append(dom_at[key] - c.sent_at)
            run.superseded += key not in exact
        else:
            run.missing += 1
        if key in wire_at:
            run.wire_s.append(wire_at[key] - c.sent_at)


def _match_engine(run: LatencyRun, logs: list[dict[str, list]]) -> None:
    """The app stamps each price message with the time its engine took the update (`t`)."""
    stamps = {}
    for log in logs:
        for _, symbol, text, engine_t in log['wire']:
            if isinstance(engine_t, (int, float)):
                stamps.setdefault((symbol, text), engine_t)
    engine_at, _ = _first_shown(run.changes, [(t, s, text) for (s, text), t in stamps.items()])
    for c in run.changes:
        if (c.symbol, c.seq) in engine_at:
            run.engine_s.append(engine_at[(c.symbol, c.seq)] - c.sent_at)


def latency_rows(scenario: str, mode: str, run: LatencyRun, *, target: str | None, p50_max: float | None,
                 p99_max: float | None, note: str = '', breakdown: bool = True) -> list[dict[str, Any]]:
    stats = summary_ms(run.dom_s)
    met = None
    if p50_max is not None and p99_max is not None:
        met = 'yes' if (run.missing == 0 and stats['p50_ms'] <= p50_max and stats['p99_ms'] <= p99_max) else 'no'
    notes = [note] if note else []
    cpu = run.raw['cpu_cores_used_while_sending']
    cores = (f'viewers {cpu["viewers_chromium_and_driver"]}, app {cpu["app_python"]}+{cpu["app_chromium"]} '
             f'(Chromium), all {cpu["machine"]}')
    if cpu['not_ours'] > 0.2:
        notes.append(f'other programs used {cpu["not_ours"]} cores meanwhile: numbers skewed')
    if run.missing:
        notes.append(f'{run.missing} of {run.expected} never shown')
    if run.superseded:
        notes.append(f'{run.superseded} of {run.expected} skipped (a newer price showed first)')
    if unpushed := len(run.raw['changes_unpushed_no_socket']):
        notes.append(f'{unpushed} changes found no open source socket (app tab reloading)')
    rows = [{'scenario': scenario, 'mode': mode, **stats, 'target': target or '-', 'met': met or '-',
             'cpu_cores': cores, 'note': '; '.join(notes)}]
    if breakdown:
        histogram = run.raw['app_push_histogram']
        rows += [
            {'scenario': scenario, 'mode': f'{mode} | part: replica -> app engine', **summary_ms(run.engine_s),
             'target': '-', 'met': '-', 'note': "the `t` stamp in the app's price message"},
            {'scenario': scenario, 'mode': f'{mode} | part: replica -> viewer JS gets the message',
             **summary_ms(run.wire_s), 'target': '-', 'met': '-', 'note': 'the DOM time minus Vue applying it'},
            {'scenario': scenario, 'mode': f'{mode} | app metric {HISTOGRAM}', 'n': int(histogram['count']),
             'p50_ms': histogram['p50_at_most_ms'], 'p95_ms': None, 'p99_ms': None, 'max_ms': None,
             'target': '-', 'met': '-', 'note': f'mean {histogram["mean_ms"]} ms; p50 is a bucket bound'},
        ]
    return rows


# --- scenario 2: add to first price ---------------------------------------------------------------------

@dataclass
class AddTiming:
    seconds: float  # Enter -> the card shows a price
    text: str
    parts_ms: dict[str, float | None]  # Enter -> each step on the way, where the page saw it


def time_add(page: Page, symbol: str, timeout_s: float = 20) -> AddTiming:
    """Press Enter on the typed symbol; time from that key press to its card showing a price."""
    drain(page)
    ticker = page.get_by_label('Ticker')
    ticker.fill(symbol)
    ticker.press('Enter')
    page.wait_for_function(SHOWS_A_PRICE, arg=symbol, polling=20, timeout=timeout_s * 1000)
    log = drain(page)
    pressed = log['enter'][-1]
    card_at = next((t for s, _, t in log['log'] if s == symbol), None)
    shown_at, text = next((t, text) for s, text, t in log['log'] if s == symbol and text and re.search(r'\d', text))
    message = next((row for row in log['wire'] if row[1] == symbol), None)  # [t, symbol, text, engine t]
    # The field empties once the server took the add: typing on before that would be lost.
    expect(ticker).to_have_value('', timeout=10_000)

    def since(t: float | None) -> float | None:
        return None if t is None else round(t - pressed, 2)
    return AddTiming((shown_at - pressed) / 1000, text, {
        'card_in_dom': since(card_at),
        'engine_had_price': since(message[3] * 1000) if message and isinstance(message[3], (int, float)) else None,
        'price_message_in_page': since(message[0]) if message else None,
        'price_in_dom': since(shown_at)})


def remove(page: Page, symbol: str) -> None:
    page.get_by_role('button', name=f'Remove {symbol}').click()
    card(page, symbol).wait_for(state='detached', timeout=10_000)


def add_summary(scenario: str, mode: str, timings: list[AddTiming], p50_max_ms: float, note: str,
                parts_shown: tuple[str, ...] = ('card_in_dom', 'engine_had_price', 'price_message_in_page')
                ) -> dict[str, Any]:
    stats = summary_ms([timing.seconds for timing in timings])
    parts = []
    for part in parts_shown:
        values = [t.parts_ms[part] for t in timings if t.parts_ms[part] is not None]
        if values:
            parts.append(f'{part.replace("_", " ")} p50 {statistics.median(values):.0f} ms')
    return {'scenario': scenario, 'mode': mode, **stats, 'target': f'p50 <= {p50_max_ms:g} ms',
            'met': 'yes' if timings and stats['p50_ms'] <= p50_max_ms else 'no',
            'note': '; '.join([note, *parts])}
