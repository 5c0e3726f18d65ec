"""The replica's Starlette app: symbol pages, assets, the two sockets, controls, and the motion loops."""
from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import struct
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute

from . import chart, controls, loops, pages, search, sockets
from .state import Market
from .universe import page_symbol

_SCRIPT = (Path(__file__).parent / 'static' / 'symbol_page.js').read_text(encoding='utf-8')
_FONT = b'wOF2\x00\x01\x00\x00' + bytes(40)  # not a usable font: only the request matters
LANDING = ['BINANCE:BTCUSD', 'BINANCE:ETHUSD', 'BINANCE:SOLUSD', 'BINANCE:DOGEUSD', 'BINANCE:BTCUSDT',
           'BINANCE:SHIBUSDT', 'COINBASE:BTCUSD', 'COINBASE:ETHUSDT', 'KRAKEN:BTCUSD']


def _png(size: int = 16, rgb: tuple[int, int, int] = (41, 98, 255)) -> bytes:
    """A tiny valid PNG, so an unblocked image really loads."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data) & 0xFFFFFFFF)
    rows = b''.join(b'\x00' + bytes(rgb) * size for _ in range(size))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', size, size, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))


_LOGO = _png()


async def _held(request: Request, seconds: float) -> bool:
    """Wait `seconds`, or less if the client goes away. True if the client is still there."""
    async def disconnected() -> None:
        while (await request.receive())['type'] != 'http.disconnect':
            pass
    sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
    watcher = asyncio.ensure_future(disconnected())
    done, pending = await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return watcher not in done


def _headless(request: Request) -> bool:
    """What TradingView's web firewall turns away: a browser that says it is headless Chromium."""
    return any('HeadlessChrome' in request.headers.get(h, '') for h in ('user-agent', 'sec-ch-ua'))


async def symbol_page(request: Request) -> Response:
    market: Market = request.app.state.market
    symbol = page_symbol(request.path_params['slug'], request.query_params.get('exchange'))
    market.pages += 1
    counters = market.counters(symbol)
    counters.page_loads += 1
    counters.user_agent, counters.sec_ch_ua = request.headers.get('user-agent'), request.headers.get('sec-ch-ua')
    if _headless(request):  # the firewall stands in front of everything else, hangs and failures too
        market.blocked += 1
        counters.blocked += 1
        return HTMLResponse(pages.blocked_page(secrets.token_hex(8)), status_code=403)
    wait = market.troubles.hang_left(symbol)
    if wait > 0 and not await _held(request, wait):
        return Response(status_code=204)  # nobody is listening any more
    status = market.troubles.failing(symbol)
    if status is not None:
        return HTMLResponse(pages.error_page(status), status_code=status)
    state = market.symbols.get(symbol)  # tickers are case-sensitive, as TradingView's: btcusd is not found
    if state is None:
        return HTMLResponse(pages.not_found_page(), status_code=404)
    state.counters.served += 1
    # Odd loads name the main symbol in the extended form; the socket echoes it back verbatim in `n`.
    main_name = '=' + json.dumps({'symbol': symbol, 'session': 'regular'}, separators=(',', ':')) \
        if state.counters.served % 2 else symbol
    related = [market.symbols[s] for s in market.related(symbol)]
    charts = chart.page_charts(market, symbol, state.counters.served)
    html = pages.symbol_page(state, main_name, related, request.app.state.hashes, charts)
    return HTMLResponse(html, headers={'Cache-Control': 'no-store'})


async def landing(request: Request) -> Response:
    return HTMLResponse(pages.landing_page(LANDING))


def _asset(media_type: str, body: bytes, counted: bool = True) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if counted:
            request.app.state.market.asset_requests += 1
        return Response(body, media_type=media_type, headers={'Cache-Control': 'no-store'})
    return endpoint


async def script(request: Request) -> Response:
    return Response(_SCRIPT, media_type='application/javascript')


async def robots(request: Request) -> Response:
    return PlainTextResponse('User-agent: *\nDisallow: /_replica/\n')


async def not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith('/_replica/'):
        return JSONResponse({'ok': False, 'error': 'no such control'}, status_code=404)
    if isinstance(exc, HTTPException) and exc.status_code != 404:
        return PlainTextResponse(exc.detail, status_code=exc.status_code)
    return HTMLResponse(pages.not_found_page(), status_code=404)


def create_app(*, tick_interval: float = 1.0, seed: int | None = None, heartbeat_interval: float = 10.0,
               noise_interval: float = 4.0, clock: Callable[[], float] = time.time) -> Starlette:
    """A fresh replica: its own prices, counters and class-name hashes (random per call unless seeded).
    `clock` gives the epoch seconds of lp_time and the bars (a test runs it ahead to reach the next bar)."""
    market = Market.create(tick_interval, seed, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(loops.tick_loop(market)),
                 asyncio.create_task(loops.heartbeat_loop(market, heartbeat_interval)),
                 asyncio.create_task(loops.noise_loop(market, noise_interval))]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    routes = [
        Route('/', landing),
        Route('/symbols/{slug}/', symbol_page),
        Route('/static/symbol_page.js', script),
        Route('/static/logo.png', _asset('image/png', _LOGO)),
        Route('/static/coins/{name}.png', _asset('image/png', _LOGO)),
        Route('/static/fonts/{name}', _asset('font/woff2', _FONT)),
        Route('/favicon.ico', _asset('image/png', _LOGO, counted=False)),
        Route('/robots.txt', robots),
        WebSocketRoute('/socket.io/websocket', sockets.data_socket),
        WebSocketRoute('/pushstream', sockets.push_socket),
        *controls.routes,
        *search.routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(sockets.TransportTap)],
                    exception_handlers={404: not_found})
    app.state.market = market
    app.state.hashes = pages.make_hashes(market.rng)
    return app
