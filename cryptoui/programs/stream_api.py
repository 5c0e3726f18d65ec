"""Live prices for programs: `GET /api/stream` (Server-Sent Events) and `/api/ws` (WebSocket).

Both hold their symbols as a page does and get the same gathered bursts (cryptoui/programs/streams.py). An event's
data is a JSON list with one object per symbol that changed (all of them in the first event):
{symbol, exchange, ticker, price, price_text, change, change_percent, status, message, currency, updated_at}.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request, WebSocket
from fastapi.responses import JSONResponse, Response, StreamingResponse
from nicegui import app
from starlette.types import Receive, Scope, Send

from cryptoui.programs import stream_door
from cryptoui.programs.api import ApiError
from cryptoui.programs.stream_consumer import Consumer
from cryptoui.programs.streams import BadSymbols, StreamHub
from prices import TooManySymbols

log = logging.getLogger(__name__)

STREAM_PATH = '/api/stream'
SOCKET_PATH = '/api/ws'
EVENT = 'tickers'
EXAMPLE = 'BTCUSD,COINBASE:ETHUSD'
USAGE = 'Send {"subscribe": ["BTCUSD", ...]} or {"unsubscribe": [...]}.'
SYMBOLS_PARAMETER = {
    'name': 'symbols', 'in': 'query', 'required': True, 'schema': {'type': 'string'}, 'example': EXAMPLE,
    'description': 'Comma-separated symbols as the form takes them: `EXCHANGE:TICKER`, or a bare ticker on the '
                   "server's default exchange. At most as many as one browser may hold (--max-tickers-per-browser).",
}
SSE_EXAMPLE = ('id: 1\nevent: tickers\ndata: [{"symbol":"BINANCE:BTCUSD","exchange":"BINANCE","ticker":"BTCUSD",'
               '"price":97123.45,"price_text":"97,123.45","change":-120.5,"change_percent":-0.12,"status":"live",'
               '"message":"","currency":"USD","updated_at":1767225600.123}]\n\n: heartbeat\n\n')
WS_DESCRIPTION = """
**WebSocket `/api/ws`** (not describable in OpenAPI): the same events as `/api/stream`, as JSON text messages
`{"id": 1, "event": "tickers", "data": [...]}`. Connect with an optional `?symbols=`; send
`{"subscribe": ["BTCUSD"]}` or `{"unsubscribe": ["BTCUSD"]}` at any time. Each is answered
`{"event": "subscriptions", "symbols": [...all held...]}` (and a subscribe by a `tickers` event with the
current state of its symbols); a bad message is answered `{"event": "error", "error": "..."}` and changes
nothing. A bad `?symbols=` is refused with HTTP 400 and a JSON `{"error": ...}`, as `/api/stream` is.
"""
DOCS = {'title': 'Crypto Tracker API', 'version': '1.0',
        'description': 'Live prices from TradingView symbol pages, one source tab per symbol whoever asks: '
                       'browsers and programs share them.\n' + WS_DESCRIPTION}


def refusal(error: Exception) -> JSONResponse:
    return JSONResponse({'error': str(error)}, status_code=400)


def raw_symbols(values: list[str]) -> list[str]:
    return [part for value in values for part in value.split(',')]


class EventStream(StreamingResponse):
    """One SSE consumer, from subscribing to releasing: both happen in `__call__`, so every way the response
    ends (client gone, cut off, server stopping, an error) passes the one `finally` that releases."""
    media_type = 'text/event-stream'

    def __init__(self, hub: StreamHub, symbols: list[str], heartbeat: float) -> None:
        super().__init__(iter(()), headers={'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no'})
        self._hub = hub
        self._symbols = symbols
        self._heartbeat = heartbeat

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            consumer = self._hub.open('sse', self._symbols)
        except TooManySymbols as error:
            await refusal(error)(scope, receive, send)
            return
        consumer.stop_connection = scope.get(stream_door.CUT_OFF) or (lambda: None)
        self.body_iterator = self._events(consumer)
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._hub.close(consumer, 'closed')

    async def _events(self, consumer: Consumer) -> AsyncIterator[str]:
        while not consumer.ended:
            payloads = await consumer.take(self._heartbeat)
            if consumer.ended:
                return
            if not payloads:
                yield ': heartbeat\n\n'
                continue
            first = self._hub.written(consumer, len(payloads))
            # What several events waiting together would cost as several writes goes out as one.
            yield ''.join(f'id: {first + n}\nevent: {EVENT}\ndata: {payload}\n\n' for n, payload in enumerate(payloads))


class _Socket:
    """One WebSocket consumer: a writer task drains its events; this reads the client's messages."""

    def __init__(self, hub: StreamHub, websocket: WebSocket, consumer: Consumer) -> None:
        self.hub = hub
        self.websocket = websocket
        self.consumer = consumer

    async def serve(self) -> None:
        writer = asyncio.create_task(self._write(), name='ws stream writer')
        reader = asyncio.create_task(self._read(), name='ws stream reader')
        try:
            await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (writer, reader):
                task.cancel()
            await asyncio.gather(writer, reader, return_exceptions=True)
            self.hub.close(self.consumer, 'closed')

    async def _write(self) -> None:
        while not self.consumer.ended:
            payloads = await self.consumer.take(None)
            if not payloads:
                continue
            first = self.hub.written(self.consumer, len(payloads))
            for n, payload in enumerate(payloads):
                await self.websocket.send_text(f'{{"id":{first + n},"event":"{EVENT}","data":{payload}}}')

    async def _read(self) -> None:
        while True:
            message = await self.websocket.receive()
            if message['type'] == 'websocket.disconnect':
                return
            if (text := message.get('text')) is None:
                await self._send({'event': 'error', 'error': f'Send JSON as text frames. {USAGE}'})
            else:
                await self._answer(text)

    async def _answer(self, text: str) -> None:
        try:
            action, raws = read_command(text)
            if action == 'subscribe':
                self.hub.add(self.consumer, self.hub.parse(raws, self.consumer.symbols))
            else:
                symbols = self.hub.parse(raws)
                if missing := [s for s in symbols if s not in self.consumer.symbols]:
                    raise BadSymbols(f'Not subscribed: {", ".join(missing)}.')
                self.hub.remove(self.consumer, symbols)
        except (BadSymbols, TooManySymbols) as error:
            await self._send({'event': 'error', 'error': str(error)})
            return
        await self._send({'event': 'subscriptions', 'symbols': self.consumer.symbols})

    async def _send(self, message: dict[str, Any]) -> None:
        await self.websocket.send_text(json.dumps(message))


def read_command(text: str) -> tuple[str, list[str]]:
    """`{"subscribe": [...]}` or `{"unsubscribe": [...]}`, or BadSymbols saying what a good message looks like."""
    try:
        message = json.loads(text)
    except ValueError:
        raise BadSymbols(f'Not JSON. {USAGE}') from None
    except RecursionError:  # '[[[[…' 100 000 deep: valid JSON, but it ended the reader and the socket unanswered
        raise BadSymbols(f'Unknown message. {USAGE}') from None
    if not isinstance(message, dict) or len(message) != 1 or next(iter(message)) not in ('subscribe', 'unsubscribe'):
        raise BadSymbols(f'Unknown message. {USAGE}')
    action, symbols = next(iter(message.items()))
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        raise BadSymbols(f'"{action}" takes a list of symbols, e.g. ["BTCUSD", "COINBASE:ETHUSD"].')
    return action, symbols


def register(hub: StreamHub, heartbeat: float) -> None:
    stream_door.install(app, {STREAM_PATH, SOCKET_PATH})
    app.on_startup(hub.start)
    app.on_shutdown(hub.stop)

    @app.get(STREAM_PATH, tags=['prices'], summary='Follow symbols as Server-Sent Events',
             openapi_extra={'parameters': [SYMBOLS_PARAMETER]},
             responses={200: {'description': f'`text/event-stream`: first the current state of every symbol, '
                                             f'then one `{EVENT}` event per burst of changes (data: a JSON list), '
                                             f'with increasing ids; a `: heartbeat` comment when quiet.',
                              'content': {'text/event-stream': {'schema': {'type': 'string'},
                                                                'example': SSE_EXAMPLE}}},
                        400: {'model': ApiError, 'description': 'A bad symbol, or too many: nothing subscribed'}})
    async def stream(request: Request) -> Response:
        """Subscribes to each symbol as a page's card does (a symbol already watched is answered from its
        cached price, with no new page load); closing the connection releases them at once."""
        try:
            symbols = hub.parse(raw_symbols(request.query_params.getlist('symbols')))
        except BadSymbols as error:
            return refusal(error)
        return EventStream(hub, symbols, heartbeat)

    @app.websocket(SOCKET_PATH)
    async def socket(websocket: WebSocket) -> None:
        raw = raw_symbols(websocket.query_params.getlist('symbols'))
        try:
            symbols = hub.parse(raw) if any(part.strip() for part in raw) else []  # may subscribe later
        except BadSymbols as error:
            await websocket.send_denial_response(refusal(error))
            return
        try:
            consumer = hub.open('ws', symbols)
        except TooManySymbols as error:
            await websocket.send_denial_response(refusal(error))
            return
        consumer.stop_connection = websocket.scope.get(stream_door.CUT_OFF) or (lambda: None)
        try:
            await websocket.accept()
            await _Socket(hub, websocket, consumer).serve()
        finally:
            hub.close(consumer, 'closed')
