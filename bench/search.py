"""Scenario 'search': where the symbol search is asked from, and what a suggestion takes in a real browser.

1. Transport, on the replica (its own process), the same distinct queries each way, one at a time:
   - `python`: httpx from Python with the headers TradingView's page sends (what scraper/symbol_search.py does,
     on the web server's loop), answer parsed by scraper/search_answer.py;
   - `page`: a `fetch` inside a replica page in a Chromium driven by Playwright (what the engine process would
     do in a TradingView tab of the shared Chromium), the answer handed back and parsed the same way.
   Per query: latency, and the CPU it cost the caller's process, and Chromium plus Playwright's driver.
2. Keystroke to list shown: the real app (`--symbol-search-url` on the replica) and a real dashboard page;
   typing a 2-4 letter prefix, from its last keydown to the listbox showing its options (the page's own
   clock), cold (a prefix the server has never asked) then cached (the same prefixes, by another browser).
"""
from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from playwright.async_api import async_playwright

from bench.common import summary_ms
from bench.processes import Stack
from bench.viewer_pages import viewer_browser
from launcher.chromium import chromium_path
from launcher.servers import ReplicaProcess
from replica.universe import listings
from symbol_search.answer import parse_answer
from symbol_search.query import parse_query
from symbol_search.service import DEFAULT_AGENT

SIZES = {'full': 40, 'smoke': 3}
RUNS_TABLE = (('part', 'mode'), ('p50_ms', 'p99_ms', 'cpu_ms_per_query'))
FETCH = """async (query) => {
  const response = await fetch('/symbol_search/v3/?' + new URLSearchParams(query));
  return await response.json();
}"""
# Notes each keydown and the moment a listbox with options appears, in the page's clock.
PROBE = r"""
(() => {
  const probe = window.__search = {keys: [], shown: []};
  document.addEventListener('keydown', () => probe.keys.push(performance.now()), true);
  new MutationObserver(() => {
    const list = document.querySelector('[role="listbox"][aria-label="Suggestions"]');
    const count = list ? list.querySelectorAll('[role="option"]').length : 0;
    if (count && (!probe.shown.length || probe.shown[probe.shown.length - 1][1] !== list.id + count)) {
      probe.shown.push([performance.now(), list.id + count]);
    }
  }).observe(document, {subtree: true, childList: true});
})();
"""


def prefixes(count: int) -> list[str]:
    """Distinct 2-4 letter prefixes that each match some market: of tickers and of names."""
    found: list[str] = []
    for listing in listings().values():
        for text in (listing.coin.base[:2], listing.coin.base[:3], listing.coin.name[:4].strip()):
            if text.isalpha() and len(text) >= 2 and text.upper() not in {f.upper() for f in found}:
                found.append(text.lower())
    return found[:count]


# --- 1. transport ---------------------------------------------------------------------------------------

def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


async def _python(url: str, queries: list[str]) -> tuple[list[float], float]:
    headers = {'Origin': url, 'Referer': f'{url}/', 'User-Agent': DEFAULT_AGENT, 'Accept': 'application/json'}
    async with httpx.AsyncClient(timeout=10) as client:
        await client.get(f'{url}/symbol_search/v3/', params=parse_query('zz').params(), headers=headers)  # connect
        samples, cpu_before = [], time.process_time()
        for text in queries:
            started = time.perf_counter()
            response = await client.get(f'{url}/symbol_search/v3/', params=parse_query(text).params(), headers=headers)
            assert parse_answer(response.json()), text
            samples.append(time.perf_counter() - started)
        return samples, time.process_time() - cpu_before


async def _page(url: str, queries: list[str]) -> tuple[list[float], float, float]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=['--no-sandbox'])
        try:
            page = await browser.new_page()
            await page.goto(url + '/')
            helpers = [p for p in psutil.Process().children(recursive=True)]
            await page.evaluate(FETCH, parse_query('zz').params())
            samples, cpu_before, others_before = [], time.process_time(), _cpu(helpers)
            for text in queries:
                started = time.perf_counter()
                body = await page.evaluate(FETCH, parse_query(text).params())
                assert parse_answer(body), text
                samples.append(time.perf_counter() - started)
            return samples, time.process_time() - cpu_before, _cpu(helpers) - others_before
        finally:
            await browser.close()


def transport(count: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    queries = prefixes(count)
    with tempfile.TemporaryDirectory(prefix='bench-search-') as directory:
        replica = ReplicaProcess(Path(directory), tick=0).start()
        try:
            py_samples, py_cpu = asyncio.run(_python(replica.url, queries))
            page_samples, page_cpu, page_others = asyncio.run(_page(replica.url, queries))
        finally:
            replica.stop()
    n = len(queries)
    rows = [
        {'part': 'transport', 'mode': 'python (httpx, page headers)', **summary_ms(py_samples), 'met': '-',
         'cpu_ms_per_query': round(py_cpu / n * 1000, 2), 'note': 'CPU of the calling process (the web server)'},
        {'part': 'transport', 'mode': 'page (fetch in Chromium)', **summary_ms(page_samples), 'met': '-',
         'cpu_ms_per_query': round((page_cpu + page_others) / n * 1000, 2),
         'note': f'caller {page_cpu / n * 1000:.2f} + Chromium and driver {page_others / n * 1000:.2f} ms; '
                 'the pipe to the engine process comes on top'},
    ]
    return rows, {'queries': queries, 'python_s': py_samples, 'page_s': page_samples}


# --- 2. keystroke to list shown ---------------------------------------------------------------------------

def _time_suggestions(page: Any, text: str, timeout_ms: float = 15_000) -> float:
    field = page.get_by_label('Ticker')
    field.fill('')
    page.evaluate('() => { window.__search.keys = []; window.__search.shown = []; }')
    field.press_sequentially(text, delay=25)
    page.wait_for_function('() => window.__search.shown.length > 0', timeout=timeout_ms, polling=10)
    probe = page.evaluate('() => window.__search')
    shown = [t for t, _ in probe['shown'] if t > probe['keys'][-1]]
    field.press('Escape')
    return (shown[0] - probe['keys'][-1]) / 1000


def typing(count: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    queries = prefixes(count)
    cold, cached = [], []
    with Stack(stale_after=600) as stack, viewer_browser() as browser:
        pages = []
        for _ in range(2):  # two browser profiles: the cached answers come from the other person's queries
            context = browser.new_context()
            context.add_init_script(PROBE)
            page = context.new_page()
            page.goto(stack.app.url)
            page.locator('html[data-connection="live"]').wait_for(timeout=30_000)
            pages.append(page)
        _time_suggestions(pages[0], 'tether')  # unmeasured: the first search pays for first-use imports
        for text in queries:
            cold.append(_time_suggestions(pages[0], text))
        for text in queries:
            cached.append(_time_suggestions(pages[1], text))
    rows = [{'part': 'keystroke to list', 'mode': mode, **summary_ms(samples), 'met': '-', 'cpu_ms_per_query': None,
             'note': 'includes the 200 ms typing pause the page waits for' + extra}
            for mode, samples, extra in (('cold (the server asks the replica)', cold, ''),
                                         ('cached (asked before by another browser)', cached, ''))]
    return rows, {'queries': queries, 'cold_s': cold, 'cached_s': cached}


def run(size: str = 'full') -> tuple[list[dict], dict]:
    count = SIZES[size]
    load_before = os.getloadavg()
    transport_rows, transport_raw = transport(count)
    typing_rows, typing_raw = typing(count)
    raw = {'transport': transport_raw, 'typing': typing_raw, 'load_average_before': load_before,
           'load_average_after': os.getloadavg()}
    return transport_rows + typing_rows, raw
