"""The page's chart sessions on the data socket, answered as TradingView's server does.

Client: `chart_create_session [cs,"disable_statistics"]`, `resolve_symbol [cs,"sds_sym_1","={…symbol…}"]`,
`create_series [cs,"sds_1","s1","sds_sym_1","5",300]`. Server: `symbol_resolved`, then `timescale_update`
and `series_completed` in one frame, then a `du` per price move (see sockets.publish for how those share
frames with the quotes). Every page opens two such sessions (its own symbol and a related symbol's mini
chart), both naming their series `sds_1`: only session + series + resolved symbol tell them apart.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from . import framing
from .connections import ChartSeries, ChartSession, DataSocket
from .formatting import round_price
from .series import HISTORY, PERIOD, RESOLUTION, Bar
from .state import Market, SymbolState
from .universe import resolve

METHODS = frozenset({'chart_create_session', 'chart_delete_session', 'resolve_symbol', 'create_series',
                     'remove_series', 'modify_series', 'request_more_data', 'switch_timezone'})
NODE = 'fra-charts-free-5-webchart-9@fra-compute-5_1'
# Per socket: what a client may open, so no client can grow the replica without bound.
MAX_SESSIONS = 16
MAX_PER_SESSION = 8
_ID = re.compile(r'[A-Za-z0-9_]{1,64}')


def _ids(*values: Any) -> bool:
    return all(isinstance(v, str) and _ID.fullmatch(v) for v in values)


def page_charts(market: Market, symbol: str, served: int) -> list[str]:
    """What a page opens chart sessions for: its own symbol and its first related symbol's mini chart
    (neither when its own series is off). Loads 1, 2, 5, 6… open their own first, 3, 4, 7, 8… the mini
    chart: across the name forms of the main symbol (odd/even loads), so every pairing occurs."""
    if market.symbols[symbol].series == 'off':
        return []
    charts = [symbol]
    related = market.related(symbol)
    if related and market.symbols[related[0]].series != 'off':
        charts.append(related[0])
    return charts if served % 4 in (1, 2) else charts[::-1]


# --- what the client sends -------------------------------------------------------------------------

async def handle(market: Market, sock: DataSocket, method: str, params: list[Any]) -> None:
    cs = params[0]
    if method == 'chart_create_session':
        if cs not in sock.charts and len(sock.charts) < MAX_SESSIONS:
            sock.charts[cs] = ChartSession(cs)
        return
    session = sock.charts.get(cs)
    if session is None:
        return  # no such chart session: nothing to answer
    if method == 'resolve_symbol' and len(params) >= 3 and _ids(params[1]):
        await _resolve(market, sock, session, params[1], params[2])
    elif method == 'create_series' and len(params) >= 6 and _ids(*params[1:4]):
        await _create_series(market, sock, session, *params[1:6])
    elif method == 'remove_series' and len(params) >= 2:
        _forget(market, session, params[1])
    elif method == 'chart_delete_session':
        for series_id in list(session.series):
            _forget(market, session, series_id)
        del sock.charts[cs]


async def _resolve(market: Market, sock: DataSocket, session: ChartSession, symbol_id: str, name: Any) -> None:
    if symbol_id not in session.resolved and len(session.resolved) >= MAX_PER_SESSION:
        return
    state = market.symbols.get(resolve(name) or '')
    session.resolved[symbol_id] = state.listing.symbol if state else None
    if state is None:
        await sock.send(framing.packet(framing.message('symbol_error', session.session, symbol_id, 'invalid symbol')))
    elif state.series != 'off':  # off: the page asks nothing, and a client that asks anyway hears nothing
        await sock.send(framing.packet(framing.message('symbol_resolved', session.session, symbol_id,
                                                       symbol_info(state))))


async def _create_series(market: Market, sock: DataSocket, session: ChartSession, series_id: str,
                         turnaround: str, symbol_id: str, resolution: Any, count: Any) -> None:
    symbol = session.resolved.get(symbol_id)
    state = market.symbols[symbol] if symbol else None
    problem = ('resolve error' if state is None else
               'invalid resolution' if resolution != RESOLUTION else
               'invalid bar count' if isinstance(count, bool) or not isinstance(count, int) or count < 1 else None)
    if problem:
        await sock.send(framing.packet(series_error(session.session, series_id, turnaround, problem)))
        return
    assert state is not None
    if state.series == 'off' or (series_id not in session.series and len(session.series) >= MAX_PER_SESSION):
        return
    _forget(market, session, series_id)  # a series id used again replaces its series
    bars = state.history(market.clock()).last(min(count, HISTORY))
    series = ChartSeries(sock, session.session, series_id, turnaround, state.listing.symbol,
                         base=bars[0].t, sent=bars[-1].t)
    session.series[series_id] = series
    state.charts.add(series)
    state.counters.chart_sessions += 1
    await sock.send(framing.frame([
        timescale_update(series, bars),
        framing.message('series_completed', session.session, series_id, 'streaming', turnaround, {})]))


def _forget(market: Market, session: ChartSession, series_id: Any) -> None:
    series = session.series.pop(series_id, None) if isinstance(series_id, str) else None
    if series is not None:
        market.symbols[series.symbol].charts.discard(series)


# --- what the server sends -------------------------------------------------------------------------

def symbol_info(state: SymbolState) -> dict[str, Any]:
    listing = state.listing
    return {
        'name': listing.ticker, 'full_name': listing.symbol, 'pro_name': listing.symbol,
        'exchange': listing.exchange, 'listed_exchange': listing.exchange, 'type': 'crypto',
        'description': listing.description, 'local_description': f'{listing.coin.local_name} / {listing.currency}',
        'pricescale': state.pricescale, 'minmov': 1, 'fractional': False, 'session': '24x7',
        'timezone': 'Etc/UTC', 'currency_code': listing.currency, 'base_currency': listing.coin.base,
        'has_intraday': True, 'visible_plots_set': 'ohlcv', 'is_tradable': True,
    }


def _points(series: ChartSeries, bars: list[Bar]) -> list[dict[str, Any]]:
    return [{'i': series.index(bar), 'v': bar.values()} for bar in bars]


def timescale_update(series: ChartSeries, bars: list[Bar]) -> str:
    return framing.message('timescale_update', series.session, {series.series_id: {
        'node': NODE, 's': _points(series, bars), 'ns': {'d': '', 'indexes': []}, 't': series.turnaround,
        'lbs': {'bar_close_time': bars[-1].t + PERIOD}}},
        {'index': 0, 'zoffset': 0, 'changes': [bar.t for bar in bars], 'marks': [], 'index_diff': []})


def series_error(session: str, series_id: str, turnaround: str, problem: str) -> str:
    return framing.message('series_error', session, series_id, turnaround, problem)


def _du(series: ChartSeries, points: str, current: int) -> str:
    """Spliced by hand: the bars are encoded once for every series that has seen the same ones."""
    return (f'{{"m":"du","p":[{framing.dumps(series.session)},{{{framing.dumps(series.series_id)}:'
            f'{{"s":{points},"ns":{{"d":"","indexes":"nochange"}},"t":{framing.dumps(series.turnaround)},'
            f'"lbs":{{"bar_close_time":{current + PERIOD}}}}}}}]}}')


def updates(market: Market, symbols: Iterable[str]) -> dict[DataSocket, list[str]]:
    """A `du` for every live series of these symbols, by socket: the current bar, or every bar the series has
    not seen yet when a new period began. Frozen, dom_only and non-'on' symbols send none."""
    out: dict[DataSocket, list[str]] = {}
    now = market.clock()
    for symbol in symbols:
        state = market.symbols[symbol]
        if state.frozen or state.dom_only or state.series != 'on' or not state.charts:
            continue
        bars = state.history(now)
        encoded: dict[tuple[int, int], tuple[str, int]] = {}
        for series in state.charts:
            key = (series.base, series.sent)
            if key not in encoded:
                fresh = bars.after(series.sent)
                encoded[key] = framing.dumps(_points(series, fresh)), fresh[-1].t
            points, current = encoded[key]
            out.setdefault(series.sock, []).append(_du(series, points, current))
            series.sent = current
    return out


# --- controls ---------------------------------------------------------------------------------------

def set_bar(market: Market, symbol: str, close: float) -> Bar:
    """The current bar closes at `close` (on the symbol's tick grid); the quote price stays as it was."""
    state = market.symbols[symbol]
    now = market.clock()
    return state.history(now).move(round_price(close, state.small_decimals), now)


async def fail_series(market: Market, symbol: str, problem: str) -> int:
    """`series_error` on every live series of `symbol`; those series are gone (no more du). Returns how many."""
    failed = 0
    for series in list(market.symbols[symbol].charts):
        session = series.sock.charts.get(series.session)
        if session is not None:
            _forget(market, session, series.series_id)
        market.symbols[symbol].charts.discard(series)
        if await series.sock.send(framing.packet(series_error(series.session, series.series_id,
                                                               series.turnaround, problem))):
            failed += 1
        else:
            market.close_socket(series.sock)
    return failed
