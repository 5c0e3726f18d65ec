"""JSON for programs and operators: /health for probes, /api/tickers for everything being watched (or one),
and each watched symbol's history."""
from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import JSONResponse, ORJSONResponse
from nicegui import app, binding
from pydantic import BaseModel, Field

from cryptoui.programs.metrics import connected_clients
from market.entry import PriceEntry
from market.symbols import InvalidSymbol, normalize_symbol
from prices import ClusterView, Mode, PriceSource, SourceHealth
from settings import Settings


def _iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat() if epoch is not None else None


async def event_loop_lag() -> float:
    """Seconds a ready callback waits for the event loop right now: how far behind pushes are running."""
    started = time.perf_counter()
    await asyncio.sleep(0)
    return time.perf_counter() - started


def cluster_body(mode: Mode, view: ClusterView | None) -> dict:
    """/health's `cluster`: {'mode': 'single'}, or the node's view of the cluster with the mode after its name."""
    if view is None:
        return {'mode': mode.value}
    fields = asdict(view)
    return {'node': fields.pop('node'), 'mode': mode.value, **fields}


def health(prices: PriceSource, source: SourceHealth, loop_lag: float) -> tuple[dict, int]:
    browser = source.browser_health()
    failed = browser.state == 'failed'
    status = 'failed' if failed else 'ok' if browser.state == 'running' else 'degraded'
    body = {
        'status': status,
        'browser': {'state': browser.state, 'error': browser.error or None, 'open_tabs': browser.open_tabs,
                    'version': browser.version or None},
        'symbols': len(prices.symbols),
        'connected_clients': connected_clients(),
        # NiceGUI's active links are bindings it polls. Prices reach pages through the source's listeners and
        # nothing is bound that way: a non-zero count would mean polling crept in.
        'binding_active_links': len(binding.active_links),
        'event_loop_lag_ms': round(loop_lag * 1000, 3),
    }
    view = source.cluster_view()
    body['cluster'] = cluster_body(source.mode, view)
    if view is not None and view.degraded and not failed:
        body['status'] = 'degraded'  # serving from its own tabs: still 200, the balancer keeps sending viewers
    return body, 503 if failed else 200


def ticker_row(prices: PriceSource, source: SourceHealth, entry: PriceEntry) -> dict:
    """The entry as programs read it (as a stream's events carry it), and what a snapshot adds: the instrument's
    name, the time for people, where the price came from, who holds the symbol and which node watches it."""
    return {
        **entry.public(),
        'name': entry.name,
        'updated_at_iso': _iso(entry.updated_at),
        'source': entry.source,
        'viewers': prices.viewers(entry.symbol),
        'node': source.owner(entry.symbol),
    }


def tickers(prices: PriceSource, source: SourceHealth) -> list[dict]:
    rows = []
    for symbol in prices.symbols:
        entry = prices.entry(symbol)
        if entry is None:  # unsubscribed between the two lookups
            continue
        rows.append(ticker_row(prices, source, entry))
    return rows


class Ticker(BaseModel):
    """One watched symbol, as /api/tickers lists it (numbers are null until the first price)."""
    symbol: str = Field(examples=['BINANCE:BTCUSD'])
    exchange: str
    ticker: str
    name: str = Field(description="the instrument's name, as the page's chart series gives it ('' before)",
                      examples=['Bitcoin / U.S. Dollar'])
    price: float | None
    price_text: str = Field(examples=['97,123.45'])
    change: float | None
    change_percent: float | None
    currency: str
    status: str = Field(description='connecting, live, stale, reconnecting or error')
    message: str = Field(description='what the card says about the status, for a person')
    updated_at: float | None = Field(description='epoch seconds of the last word from the source')
    updated_at_iso: str | None
    source: str = Field(description="where the price came from: 'websocket', 'dom', 'scan' or 'poll'")
    viewers: int = Field(description='pages and programs holding it')
    node: str | None = Field(description="in a cluster, the node whose Chromium watches it")


class ApiError(BaseModel):
    error: str


def history(prices: PriceSource, settings: Settings, raw_symbol: str, since: float | None) -> tuple[dict, int]:
    try:
        symbol = normalize_symbol(raw_symbol, settings.exchange)
    except InvalidSymbol as error:
        return {'error': str(error)}, 400
    entry, past = prices.entry(symbol), prices.history(symbol)
    if entry is None or past is None:
        return {'error': f'{symbol} is not being watched: add it on the page, then ask again.'}, 404
    snapshot = past.snapshot(since or 0.0, since or 0.0)
    # A chart's header beside its data, not a ticker's snapshot (/api/tickers/{symbol} is that).
    return {'symbol': symbol, 'name': entry.name, 'decimals': entry.decimals, 'price': entry.price,
            'status': entry.status, **snapshot}, 200


def register(prices: PriceSource, source: SourceHealth, settings: Settings) -> None:
    # async routes: they run on the event loop that owns the engine's state, not in a worker thread
    @app.get('/health', include_in_schema=False)
    async def health_route() -> JSONResponse:
        body, status_code = health(prices, source, await event_loop_lag())
        return JSONResponse(body, status_code=status_code)

    @app.get('/api/tickers', tags=['prices'], summary='Every watched symbol')
    async def tickers_route() -> JSONResponse:
        return JSONResponse({'tickers': tickers(prices, source)})

    @app.get('/api/tickers/{symbol}', tags=['prices'], summary="One watched symbol's snapshot",
             responses={200: {'model': Ticker}, 400: {'model': ApiError, 'description': 'Not a symbol'},
                        404: {'model': ApiError, 'description': 'Not watched by anyone now'}},
             # declared by hand, so the schema promises no 422 (every text is answered 200, 400 or 404)
             openapi_extra={'parameters': [{'name': 'symbol', 'in': 'path', 'required': True,
                                            'schema': {'type': 'string'}, 'example': 'COINBASE:ETHUSD'}]})
    async def ticker_route(request: Request) -> JSONResponse:
        """`EXCHANGE:TICKER`, or a bare ticker on the server's default exchange. Asking does not subscribe."""
        try:
            name = normalize_symbol(request.path_params['symbol'], settings.exchange)
        except InvalidSymbol as error:
            return JSONResponse({'error': str(error)}, status_code=400)
        if (entry := prices.entry(name)) is None:
            return JSONResponse({'error': f'{name} is not being watched; /api/stream?symbols={name} follows it.'},
                                status_code=404)
        return JSONResponse(ticker_row(prices, source, entry))

    @app.get('/api/tickers/{symbol}/history', summary="A watched symbol's bars and recorded prices",
             responses={400: {'description': 'Not a symbol'}, 404: {'description': 'Nobody watches it'}})
    async def history_route(symbol: str, since: float | None = None) -> JSONResponse:
        """`bars`: [time, open, high, low, close, volume], oldest first, each `resolution` seconds long (the
        page's chart series when `from_series`, else built from the quotes); `ticks`: [time, price], at most one
        a second for the last day; `since` (epoch seconds) leaves out what is older."""
        body, status_code = history(prices, settings, symbol, since)
        # A full day is ~90,000 numbers: orjson encodes them ~10x faster than json, while every viewer's
        # prices wait for this loop.
        return ORJSONResponse(body, status_code=status_code)
