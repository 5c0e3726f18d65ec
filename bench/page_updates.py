"""Paced price changes timed in real viewer pages: the harness of the 'latency' and 'polling' scenarios.

The app watches the replica; every viewer page (its own browser profile) shows every symbol; a phase sets
prices on a fixed schedule and then reads back, from every page, when each text showed (bench.viewer_pages).
"""
from __future__ import annotations

import contextlib
import time

import httpx
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from bench.app_metrics import histogram_delta, push_histogram
from bench.common import app_symbol
from bench.latency_joins import Change, LatencyRun, join_engine, join_page
from bench.processes import Stack
from bench.resources import CpuMeter
from bench.viewer_pages import SHOWS_ALL, clock_offsets_ms, drain, open_viewers, set_window, viewer_browser
from harness.pages import add_ticker

# Prices of 1 and more (2 decimals, so a 0.01 step always shows), far enough apart that no two symbols
# ever show the same text, even after hundreds of steps.
LATENCY_SYMBOLS = ['BTCUSD', 'ETHUSD', 'SOLUSD', 'BNBUSD', 'LTCUSD', 'AVAXUSD', 'BCHUSD', 'AAVEUSD', 'MKRUSD',
                   'INJUSD']


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
            # A long --stale-after: between phases no price moves, and a silent tab would be reloaded.
            stack = self._stack.enter_context(Stack(self.extra_args, stale_after=600))
            self.app, self.replica = stack.app, stack.replica
            browser = self._stack.enter_context(viewer_browser())
            self.control = self._stack.enter_context(httpx.Client(base_url=self.replica.url, timeout=10))
            self.pages = open_viewers(browser, self.app.url, self.viewers)
            for page in self.pages:
                for symbol in self.symbols:
                    add_ticker(page, symbol)
            quotes = {s: self.control.get(f'/_replica/price/{s}').json() for s in self.symbols}
            bases = {s: quote['price'] for s, quote in quotes.items()}
            start_texts = {s: quote['text'] for s, quote in quotes.items()}
            if behind := self._pages_behind(start_texts, 30):
                shown = behind[0].evaluate('() => Object.fromEntries(window.__bench.last)')
                raise RuntimeError(f'a viewer page never showed the current prices {start_texts}: it shows '
                                   f'{shown}; the app has {self.app.tickers()}\n{self.app.log_tail(40)}')
            self._steps = {s: price_steps(bases[s], self._most_changes) for s in self.symbols}
            self._seqs = dict.fromkeys(self.symbols, 0)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _pages_behind(self, texts: dict[str, str], timeout_s: float) -> list[Page]:
        """The pages that do not show every symbol's text in `texts` within `timeout_s`."""
        want = {app_symbol(symbol): text for symbol, text in texts.items()}
        behind = []
        for page in self.pages:
            try:
                page.wait_for_function(SHOWS_ALL, arg=want, polling=100, timeout=timeout_s * 1000)
            except PlaywrightError:
                behind.append(page)
        return behind

    def _send(self, run: LatencyRun, changes: int, pace_s: float) -> list[int]:
        """On a fixed schedule, not waiting for delivery, so a slow path queues as it would for real.
        Returns the changes no source socket got (the app's tab for it was loading: its snapshot has it)."""
        unpushed: list[int] = []
        started = time.perf_counter()
        for i in range(changes):
            time.sleep(max(0.0, started + i * pace_s - time.perf_counter()))
            symbol = self.symbols[i % len(self.symbols)]
            seq = self._seqs[symbol]
            self._seqs[symbol] += 1
            answer = self.control.post('/_replica/price',
                                       json={'symbol': symbol, 'price': self._steps[symbol][seq]}).json()
            if not answer.get('ok'):
                raise RuntimeError(f'the replica refused a price for {symbol}: {answer}')
            if answer['sockets'] < 1:
                unpushed.append(i)
            run.changes.append(Change(symbol, seq, answer['text'], answer['sent_at']))
        return unpushed

    def phase(self, changes: int, pace_s: float, *, drawn: bool, settle_s: float = 10.0) -> LatencyRun:
        """`changes` prices set round-robin over the symbols, one every `pace_s`; then every page must show
        each symbol's last price within `settle_s`. `drawn`: the viewer windows are drawn (as a tab in view)
        or minimized (Chromium keeps the DOM, scripts and socket going but draws nothing)."""
        run = LatencyRun(self.viewers)
        for page in self.pages:
            set_window(page, 'normal' if drawn else 'minimized')
        time.sleep(0.5)  # let the windows settle before the clock starts
        for page in self.pages:
            drain(page)
        clocks_before = [clock_offsets_ms(page) for page in self.pages]
        metrics_before = push_histogram(self.app)
        cpu = CpuMeter(self.app.pid, self.replica.pid)
        started = time.perf_counter()
        unpushed = self._send(run, changes, pace_s)
        sending_s = time.perf_counter() - started
        cpu_used = cpu.stop()
        # a page that never caught up: its missing changes are counted by the joins
        late_pages = len(self._pages_behind({c.symbol: c.text for c in run.changes}, settle_s))
        logs = [drain(page) for page in self.pages]
        for log in logs:
            join_page(run, log)
        join_engine(run, logs)
        warnings = [line for line in self.app.log_tail(400).splitlines() if 'WARNING' in line or 'ERROR' in line]
        run.raw.update({
            'symbols': self.symbols, 'viewers': self.viewers, 'changes': changes, 'pace_ms': pace_s * 1000,
            'viewer_windows': 'drawn' if drawn else 'minimized', 'app_args': list(self.extra_args),
            'sending_took_s': round(sending_s, 3), 'pages_not_caught_up': late_pages,
            'superseded_pairs': run.superseded, 'missing_pairs': run.missing,
            'changes_unpushed_no_socket': unpushed, 'cpu_percent_while_sending': cpu_used,
            'app_push_histogram': histogram_delta(metrics_before, push_histogram(self.app)),
            'app_log_warnings_so_far': warnings[-30:],
            'clock_offsets_before': clocks_before, 'clock_offsets_after': [clock_offsets_ms(p) for p in self.pages],
            # In the order the changes were made: the slowest page's latency, to see trouble over time.
            'per_change_slowest_page_ms': [round(max(run.per_change_s.get(i, [float('nan')])) * 1000, 2)
                                           for i in range(len(run.changes))],
            'dom_latency_s': [round(s, 6) for s in run.dom_s], 'wire_latency_s': [round(s, 6) for s in run.wire_s],
            'engine_latency_s': [round(s, 6) for s in run.engine_s],
        })
        return run
