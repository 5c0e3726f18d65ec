"""TradingView's symbol search (`/symbol_search/v3/`), answered from the replica's own listings, so every
suggestion it makes opens a real replica page. The shape and the rules are the facts' (`Symbol search`):

- `text` (clients upper-case it), `exchange`, `search_type`, `start` (pages of 50), `hl=1` (`<em>` around the
  matched part of `symbol` and `description`); `{"symbols_remaining": N, "symbols": [...]}`.
- A `type` parameter is refused, as v3 refuses it (400 `forbidden_set_type_with_search_type_api`).
- 403 unless the request's Origin (or, without one, its Referer) is TradingView's own: the real site's, or
  the replica's, which stands in for it (a page it serves may fetch from it).
- Test controls: `POST /_replica/search` `{"status", "seconds"}` fails requests, `{"delay"}` holds each answer,
  `{"html": true}` answers with a challenge page instead of JSON; `GET /_replica/search` counts requests and
  keeps the last texts asked. `POST /_replica/reset` clears both (the desk lives on the Market).
"""
from __future__ import annotations

import asyncio
import html
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .universe import EXCHANGES, Listing

SEARCH_PATH = '/symbol_search/v3/'  # as TradingView's: --demo points --symbol-search-url here
PAGE = 50
TRADINGVIEW_ORIGIN = 'https://www.tradingview.com'
# What each search_type keeps: the replica lists crypto spot markets only.
SEARCH_TYPES = {'undefined': True, '': True, 'crypto': True, 'crypto_spot': True, 'crypto_swap': False,
                'crypto_futures': False, 'crypto_index': False, 'stocks': False, 'funds': False, 'forex': False,
                'index': False, 'futures': False, 'bond': False, 'economic': False, 'options': False}
_EXCHANGE_ORDER = {name: index for index, name in enumerate(EXCHANGES)}
_DISPLAY = {'BINANCE': 'Binance', 'COINBASE': 'Coinbase', 'KRAKEN': 'Kraken'}
TEXTS_KEPT = 200


@dataclass
class SearchDesk:
    """The search's counters and the troubles the controls set; one per Market, replaced on reset."""
    requests: int = 0
    refused: int = 0  # 403s for a foreign or missing Origin/Referer
    texts: deque[str] = field(default_factory=lambda: deque(maxlen=TEXTS_KEPT))  # as received, newest last
    fail_until: float = 0.0
    fail_status: int = 503
    delay: float = 0.0
    html_until: float = 0.0

    def stats(self) -> dict[str, Any]:
        return {'requests': self.requests, 'refused': self.refused, 'texts': list(self.texts),
                'delay': self.delay}


def _origin_ok(request: Request) -> bool:
    own = f'{request.url.scheme}://{request.headers.get("host", "")}'
    allowed = {TRADINGVIEW_ORIGIN, own}
    origin = request.headers.get('origin')
    if origin is not None:
        return origin in allowed
    referer = request.headers.get('referer', '')
    return any(referer == o or referer.startswith(o + '/') for o in allowed)


def _rank(listing: Listing, text: str) -> tuple[int, int, int, int, str] | None:
    """Where a listing stands for `text` (upper-case), or None if it does not match: tickers that start with
    it, then tickers that hold it, then names with a word that starts with it."""
    ticker, words = listing.ticker, listing.description.upper().replace('/', ' ').split()
    if ticker.startswith(text):
        group = 0
    elif text in ticker:
        group = 1
    elif any(word.startswith(text) for word in words):
        group = 2
    else:
        return None
    # A shorter ticker, or name, is the closer match: BTCUSD before BTCUSDT, Bitcoin before Bitcoin Cash.
    closeness = len(ticker) if group < 2 else len(listing.coin.name)
    return group, closeness, len(ticker), _EXCHANGE_ORDER.get(listing.exchange, 99), ticker


def _highlight(value: str, text: str, words_only: bool) -> str:
    """`value` HTML-escaped, with its first match of `text` wrapped in <em> (hl=1)."""
    pattern = (r'(?<![A-Za-z0-9])' if words_only else '') + re.escape(text)
    found = re.search(pattern, value, re.IGNORECASE) if text else None
    if found is None:
        return html.escape(value)
    start, end = found.span()
    return f'{html.escape(value[:start])}<em>{html.escape(value[start:end])}</em>{html.escape(value[end:])}'


def item(listing: Listing, text: str, hl: bool) -> dict[str, Any]:
    name = _DISPLAY.get(listing.exchange, listing.exchange.title())
    quote_logo = 'country/US' if listing.currency == 'USD' else f'crypto/XTVC{listing.currency}'
    return {
        'symbol': _highlight(listing.ticker, text, False) if hl else listing.ticker,
        'description': _highlight(listing.description, text, True) if hl else listing.description,
        'type': 'spot', 'exchange': name, 'found_by_isin': False, 'found_by_cusip': False,
        'currency_code': listing.currency, 'currency-logoid': quote_logo,
        'base-currency-logoid': f'crypto/XTVC{listing.coin.base}', 'provider_id': listing.exchange.lower(),
        'source_logoid': f'provider/{listing.exchange.lower()}',
        'source2': {'id': listing.exchange, 'name': name, 'description': name},
        'source_id': listing.exchange, 'typespecs': ['crypto'], 'prefix': listing.exchange,
    }


def search(listings: list[Listing], params: dict[str, str]) -> dict[str, Any]:
    """The v3 answer for these query parameters (already checked)."""
    text = params.get('text', '').strip().upper()
    exchange = params.get('exchange', '').strip().upper()
    if not SEARCH_TYPES.get(params.get('search_type', 'undefined'), False):
        return {'symbols_remaining': 0, 'symbols': []}
    ranked = sorted((rank, listing) for listing in listings
                    if (not exchange or listing.exchange == exchange) and (rank := _rank(listing, text)) is not None)
    start = int(params.get('start', '0') or 0)
    page = ranked[start:start + PAGE]
    hl = params.get('hl') == '1'
    return {'symbols_remaining': max(0, len(ranked) - start - len(page)),
            'symbols': [item(listing, text, hl) for _, listing in page]}


def _challenge() -> str:
    return ('<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>'
            '<h1>Checking your browser before accessing tradingview.com</h1></body></html>')


async def symbol_search(request: Request) -> Response:
    market = request.app.state.market
    desk: SearchDesk = market.search
    desk.requests += 1
    desk.texts.append(request.query_params.get('text', ''))
    if not _origin_ok(request):
        desk.refused += 1
        return JSONResponse({'error': 'forbidden'}, status_code=403)
    if desk.delay > 0:
        await asyncio.sleep(desk.delay)
    now = time.monotonic()
    if desk.fail_until > now:
        return HTMLResponse(f'<h1>{desk.fail_status}</h1>', status_code=desk.fail_status)
    if desk.html_until > now:
        return HTMLResponse(_challenge())
    params = dict(request.query_params)
    if 'type' in params:
        return JSONResponse({'error': 'forbidden_set_type_with_search_type_api'}, status_code=400)
    if not params.get('start', '0').isdigit() or len(params.get('text', '')) > 100:
        return JSONResponse({'error': 'bad request'}, status_code=400)
    body = search([state.listing for state in market.symbols.values()], params)
    return JSONResponse(body, headers={'Cache-Control': 'no-store'})


async def control(request: Request) -> JSONResponse:
    """`{"status": 503, "seconds": 10}`, `{"delay": 0.5}`, `{"html": true, "seconds": 10}`; 400 on bad input."""
    desk: SearchDesk = request.app.state.market.search
    try:
        body = await request.json()
        assert isinstance(body, dict)
    except (ValueError, AssertionError):
        return JSONResponse({'ok': False, 'error': 'the body must be a JSON object'}, status_code=400)
    seconds = body.get('seconds', 0)
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 <= seconds <= 86400:
        return JSONResponse({'ok': False, 'error': '"seconds" must be 0 to 86400'}, status_code=400)
    if 'delay' in body:
        delay = body['delay']
        if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= 60:
            return JSONResponse({'ok': False, 'error': '"delay" must be 0 to 60 seconds'}, status_code=400)
        desk.delay = float(delay)
    if 'status' in body:
        status = body['status']
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            return JSONResponse({'ok': False, 'error': '"status" must be an HTTP error status'}, status_code=400)
        desk.fail_status, desk.fail_until = status, time.monotonic() + seconds
    if body.get('html') is True:
        desk.html_until = time.monotonic() + seconds
    return JSONResponse({'ok': True, **desk.stats()})


async def stats(request: Request) -> JSONResponse:
    return JSONResponse(request.app.state.market.search.stats())


routes = [
    Route(SEARCH_PATH, symbol_search, methods=['GET']),
    Route('/_replica/search', control, methods=['POST']),
    Route('/_replica/search', stats, methods=['GET']),
]
