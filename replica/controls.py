"""Test controls under /_replica/. Each POST has taken effect (frames sent, sockets cut) when it answers.

A `symbol` is `EXCHANGE:TICKER` or a bare ticker, which means BINANCE's (so `BTCUSD` is `BINANCE:BTCUSD`).
Bad input is a 400 with {"ok": false, "error": ...}; nothing here answers 500.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import chart
from .series import SERIES_MODES
from .sockets import _push_quote, publish
from .state import Market
from .universe import qualify

MAX_SECONDS = 86400.0


class BadInput(ValueError):
    pass


def _market(request: Request) -> Market:
    return request.app.state.market


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadInput('the body must be JSON') from None
    if not isinstance(data, dict):
        raise BadInput('the body must be a JSON object')
    return data


def _symbol(market: Market, body: dict[str, Any]) -> str:
    """The listed `EX:TICKER` the body names."""
    value = body.get('symbol')
    if not isinstance(value, str):
        raise BadInput('"symbol" must be a ticker or EXCHANGE:TICKER')
    if qualify(value) not in market.symbols:
        raise BadInput(f'unknown symbol: {value!r}')
    return qualify(value)


def _symbol_or_all(market: Market, body: dict[str, Any]) -> str | None:
    """As `_symbol`; no symbol at all means every one (None)."""
    return None if body.get('symbol') is None else _symbol(market, body)


def _number(body: dict[str, Any], key: str, low: float, high: float, default: float | None = None) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise BadInput(f'"{key}" must be a number from {low:g} to {high:g}')
    return float(value)


def _flag(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise BadInput(f'"{key}" must be true or false')
    return value


Handler = Callable[[Market, dict[str, Any]], Awaitable[dict[str, Any]]]


def _post(handler: Handler) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def endpoint(request: Request) -> JSONResponse:
        try:
            result = await handler(_market(request), await _body(request))
        except BadInput as problem:
            return JSONResponse({'ok': False, 'error': str(problem)}, status_code=400)
        return JSONResponse({'ok': True, **result})
    return endpoint


async def set_price(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    symbol = _symbol(market, body)
    price = _number(body, 'price', 0, 1e12)
    if price <= 0:
        raise BadInput('"price" must be above 0')
    state = market.symbols[symbol]
    fields = state.set_price(price, market.clock())
    sent_at = time.time()
    sockets = await publish(market, {symbol: fields})
    return {'sent_at': sent_at, 'sockets': sockets, 'price': state.price, 'text': state.text,
            'frozen': state.frozen}


async def freeze(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    state = market.symbols[_symbol(market, body)]
    state.frozen = _flag(body, 'frozen', True)
    return {'frozen': state.frozen}


async def drop(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    state = market.symbols[_symbol(market, body)]
    dropped = list(state.mains)
    for sock in dropped:
        sock.kill()
        market.close_socket(sock)
    return {'dropped': len(dropped)}


async def fail(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    symbol = _symbol_or_all(market, body)
    status = _number(body, 'status', 400, 599, default=503)
    if status != int(status) or status == 404:
        raise BadInput('"status" must be an HTTP error status (429, 5xx)')
    seconds = _number(body, 'seconds', 0, MAX_SECONDS)
    market.troubles.fail[symbol] = (time.monotonic() + seconds, int(status))
    return {'until_in': seconds}


async def hang(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    symbol = _symbol_or_all(market, body)
    seconds = _number(body, 'seconds', 0, MAX_SECONDS)
    market.troubles.hang[symbol] = time.monotonic() + seconds
    return {'until_in': seconds}


async def dom_only(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    symbol = _symbol(market, body)
    state = market.symbols[symbol]
    on = _flag(body, 'on', True)
    changed, state.dom_only = state.dom_only != on, on
    if changed and not state.frozen:
        if on:  # the pushstream takes over at once, with the current price
            for push in list(state.push_watchers):
                for _, name in push.subs.get(symbol, ()):
                    if not await push.send(_push_quote(name, state.price_fields())):
                        market.close_socket(push)
        else:  # the data socket resumes, with the current price
            await publish(market, {symbol: state.price_fields()})
    return {'on': on}


async def series(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    state = market.symbols[_symbol(market, body)]
    mode = body.get('mode')
    if mode not in SERIES_MODES:
        raise BadInput('"mode" must be one of ' + ', '.join(SERIES_MODES))
    state.series = mode
    return {'mode': mode}


async def bar(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    symbol = _symbol(market, body)
    close = _number(body, 'close', 0, 1e12)
    if close <= 0:
        raise BadInput('"close" must be above 0')
    state = market.symbols[symbol]
    current = chart.set_bar(market, symbol, close)
    sent_at = time.time()
    sockets = await publish(market, {}, bars=[symbol])
    return {'sent_at': sent_at, 'sockets': sockets, 'bar': current.as_dict(), 'price': state.price,
            'frozen': state.frozen, 'series': state.series}


async def series_error(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    symbol = _symbol(market, body)
    problem = body.get('message', 'unknown error')
    if not isinstance(problem, str) or not 0 < len(problem) <= 200:
        raise BadInput('"message" must be a text of 1 to 200 characters')
    return {'sessions': await chart.fail_series(market, symbol, problem)}


async def tick(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    market.set_tick(max(0.0, _number(body, 'interval', -MAX_SECONDS, 3600)))
    return {'interval': market.tick_interval}


async def reset(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    market.reset()
    return {}


async def stats(request: Request) -> JSONResponse:
    return JSONResponse(_market(request).stats())


async def price(request: Request) -> JSONResponse:
    state = _market(request).symbols.get(qualify(request.path_params['symbol']))
    if state is None:
        return JSONResponse({'ok': False, 'error': 'unknown symbol'}, status_code=400)
    return JSONResponse({'price': state.price, 'text': state.text})


routes = [
    Route('/_replica/price', _post(set_price), methods=['POST']),
    Route('/_replica/freeze', _post(freeze), methods=['POST']),
    Route('/_replica/drop', _post(drop), methods=['POST']),
    Route('/_replica/fail', _post(fail), methods=['POST']),
    Route('/_replica/hang', _post(hang), methods=['POST']),
    Route('/_replica/dom_only', _post(dom_only), methods=['POST']),
    Route('/_replica/series', _post(series), methods=['POST']),
    Route('/_replica/bar', _post(bar), methods=['POST']),
    Route('/_replica/series_error', _post(series_error), methods=['POST']),
    Route('/_replica/tick', _post(tick), methods=['POST']),
    Route('/_replica/reset', _post(reset), methods=['POST']),
    Route('/_replica/stats', stats, methods=['GET']),
    Route('/_replica/price/{symbol}', price, methods=['GET']),
]
