"""`GET /api/search?q=...`: the Ticker field's suggestions, for programs.

The same server-wide search as the pages (one cache, shared requests, the same pace towards TradingView),
and each client address has its own small allowance on top, so one program cannot spend everyone's.
"""
from __future__ import annotations

import time
from collections import OrderedDict

from fastapi import Request
from fastapi.responses import JSONResponse
from nicegui import app
from pydantic import BaseModel, Field

from cryptoui.programs.api import ApiError
from symbol_search.query import InvalidQuery, parse_query
from symbol_search.service import BUSY, OK, SymbolSearch

PER_CLIENT_RATE = 5.0  # queries a second, per client address
PER_CLIENT_BURST = 10
CLIENTS_KEPT = 10_000  # allowances remembered; the oldest go first


class Suggestion(BaseModel):
    symbol: str = Field(description='what to add or stream: EXCHANGE:TICKER', examples=['BINANCE:SOLUSD'])
    ticker: str = Field(examples=['SOLUSD'])
    prefix: str = Field(description='the exchange as symbols name it', examples=['BINANCE'])
    exchange: str = Field(description='the exchange as TradingView shows it', examples=['Binance'])
    name: str = Field(examples=['Solana / U.S. Dollar'])
    kind: str = Field(description="spot, perpetual, futures, stock… ('' when TradingView does not say)")
    crypto: bool
    currency: str = Field(examples=['USD'])
    ticker_parts: list[tuple[str, bool]] = Field(
        description='the ticker as [text, matched] parts: the part that matched the query is marked',
        examples=[[['SOL', True], ['USD', False]]])
    name_parts: list[tuple[str, bool]]


class SearchAnswer(BaseModel):
    query: str = Field(description='what was searched for, as sent to TradingView', examples=['SOL'])
    cached: bool = Field(description='answered from the cache, without asking TradingView')
    suggestions: list[Suggestion] = Field(description='at most 10, crypto first')


class Allowance:
    """Per client address: a leaky bucket of PER_CLIENT_BURST queries refilled at PER_CLIENT_RATE a second."""

    def __init__(self) -> None:
        self._levels: OrderedDict[str, tuple[float, float]] = OrderedDict()  # address -> (level, at)

    def take(self, address: str) -> bool:
        now = time.monotonic()
        level, at = self._levels.pop(address, (0.0, now))
        level = max(0.0, level - (now - at) * PER_CLIENT_RATE)
        allowed = level + 1 <= PER_CLIENT_BURST
        self._levels[address] = (level + 1 if allowed else level, now)
        while len(self._levels) > CLIENTS_KEPT:
            self._levels.popitem(last=False)
        return allowed


def register(search: SymbolSearch) -> None:
    allowance = Allowance()

    @app.get('/api/search', tags=['search'], summary="Suggestions from TradingView's symbol search",
             responses={200: {'model': SearchAnswer}, 400: {'model': ApiError, 'description': 'Not a query'},
                        429: {'model': ApiError, 'description': 'Too many queries; see Retry-After'},
                        503: {'model': ApiError, 'description': 'The symbol search is unavailable now'}},
             openapi_extra={'parameters': [{
                 'name': 'q', 'in': 'query', 'required': True, 'schema': {'type': 'string'}, 'example': 'sol',
                 'description': 'What a person would type: 2-20 letters, digits and `._-`, optionally after '
                                '`EXCHANGE:` (`coinbase:eth`).'}]})
    async def search_route(request: Request) -> JSONResponse:
        """What the Ticker field suggests for `q`: the ticker, the instrument's name, the exchange and the type
        of each market, crypto first. Add one with its `symbol` (the page's form, `/api/stream?symbols=`)."""
        if 'q' not in request.query_params:
            return JSONResponse({'error': 'Give the text to search for as ?q=, e.g. /api/search?q=sol'},
                                status_code=400)
        try:
            query = parse_query(request.query_params['q'])
        except InvalidQuery as problem:
            return JSONResponse({'error': str(problem)}, status_code=400)
        if not allowance.take(request.client.host if request.client else ''):
            return JSONResponse({'error': 'Too many searches from this address; wait a second.'}, status_code=429,
                                headers={'Retry-After': '1'})
        outcome = await search.suggest(query)
        if outcome.state == BUSY:
            return JSONResponse({'error': 'The server is asking TradingView as fast as it may; try again in a '
                                          'second.'}, status_code=429, headers={'Retry-After': '1'})
        if outcome.state != OK:
            return JSONResponse({'error': "TradingView's symbol search is unavailable now; try again later, or "
                                          'use a full symbol such as BINANCE:SOLUSD.'}, status_code=503,
                                headers={'Retry-After': '5'})
        return JSONResponse({'query': query.key, 'cached': outcome.cached,
                             'suggestions': [s.as_dict() for s in outcome.suggestions]})
