"""Scenario 'add': Enter on a typed ticker -> its card shows a price, cold (no tab for it yet) and cached."""
from __future__ import annotations

from bench.browsers import add_summary, open_viewers, remove, running_app, time_add, viewer_browser
from tests.e2e.pages import add_ticker
from tests.helpers import wait_until
from tests.replica.universe import default_universe

COLD_P50_MS, CACHED_P50_MS = 1000, 100
HELD = 'BTCUSD'  # the symbol the first viewer keeps open for the cached adds
WARM_UP = 'ETHUSD'
SIZES = {'full': 20, 'smoke': 2}


def _cold_symbols(count: int) -> list[str]:
    universe = sorted(set(default_universe()) - {HELD, WARM_UP})
    return universe[::max(1, len(universe) // count)][:count]


def run(size: str = 'full') -> tuple[list[dict], dict]:
    count = SIZES[size]
    cold_symbols = _cold_symbols(count)
    cold, cached = [], []
    with running_app(('--max-symbols', '50', '--max-tickers-per-browser', '30')) as (app, _), \
            viewer_browser() as browser:
        holder, adder = open_viewers(browser, app.url, 2)
        if size == 'full':  # one unmeasured cold add first: the first ever pays for first-use imports
            time_add(holder, WARM_UP)
            remove(holder, WARM_UP)
        for symbol in cold_symbols:  # never opened before: each add opens a tab, each remove closes it
            cold.append(time_add(holder, symbol))
            remove(holder, symbol)
            wait_until(lambda: symbol not in app.tickers(), 15, f'{symbol} released after its last viewer left')

        add_ticker(holder, HELD)
        if size == 'full':  # unmeasured warm-up of the second viewer's path
            time_add(adder, HELD)
            remove(adder, HELD)
        for _ in range(count):
            cached.append(time_add(adder, HELD))
            remove(adder, HELD)
        assert app.tickers()[HELD]['viewers'] == 1, 'the held symbol must stay watched throughout'

    rows = [add_summary('add', 'cold (opens a tab)', cold, COLD_P50_MS,
                        f'{count} distinct symbols, each removed after'),
            add_summary('add', 'cached (another viewer holds it)', cached, CACHED_P50_MS,
                        f'{HELD} added and removed {count} times by a second browser profile',
                        parts_shown=('card_in_dom',))]  # a cached price comes with the card
    return rows, {'cold_symbols': cold_symbols, 'cold': [vars(t) for t in cold], 'cached': [vars(t) for t in cached]}
