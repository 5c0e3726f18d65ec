"""The page's two websockets and everything pushed on them.

/socket.io/websocket speaks TradingView's framing (quote sessions, qsd, heartbeats, and the chart sessions
of chart.py); /pushstream is plain JSON (news noise, and the prices of symbols switched to dom_only). Each update
body is encoded once per
symbol and name form, then spliced into every socket's frame: 50 symbols x 10+ tabs stay cheap.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from . import chart, framing
from .connections import DataSocket, PushSocket, Socket
from .state import PRICE_FIELDS, Market
from .universe import page_symbol, resolve

RELEASE = 'registry.xtools.tv/tvbs_release/webchart:release_207-21'
_SESSION = re.compile(r'[A-Za-z0-9_]{1,64}')
_TRANSPORT_KEY = 'replica.transport'
PUSH_SESSION = 'pushstream'


class TransportTap:
    """ASGI middleware that keeps each websocket's TCP transport (uvicorn's protocol is `send.__self__`),
    so a drop can cut it with no close frame and a slow reader is seen without waiting on it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] == 'websocket':
            transport = getattr(getattr(send, '__self__', None), 'transport', None)
            if transport is not None and hasattr(transport, 'abort') and hasattr(transport, 'get_write_buffer_size'):
                scope[_TRANSPORT_KEY] = transport
        await self.app(scope, receive, send)


def _origin_ok(ws: WebSocket) -> bool:
    """The real data server only talks to pages of its own site."""
    scheme = 'https' if ws.url.scheme == 'wss' else 'http'
    return ws.headers.get('origin') == f'{scheme}://{ws.headers.get("host", "")}'


def _main_symbol(ws: WebSocket) -> str | None:
    """`from=symbols/BTCUSD/?exchange=COINBASE` or `from=symbols/COINBASE-BTCUSD/` -> `COINBASE:BTCUSD`."""
    page = urlsplit(ws.query_params.get('from', ''))
    parts = page.path.strip('/').split('/')
    if len(parts) != 2 or parts[0] != 'symbols':
        return None
    return page_symbol(parts[1], parse_qs(page.query).get('exchange', [''])[0])


def _qsd(session: str, body: str) -> str:
    return f'{{"m":"qsd","p":[{framing.dumps(session)},{body}]}}'


# --- the data socket -------------------------------------------------------------------------------

async def data_socket(ws: WebSocket) -> None:
    market: Market = ws.app.state.market
    if not _origin_ok(ws):
        await ws.close(code=1008)  # before accept: the browser sees HTTP 403
        return
    await ws.accept()
    sock = DataSocket(ws, ws.scope.get(_TRANSPORT_KEY), main=_main_symbol(ws))
    market.open_data(sock)
    try:
        now = time.time()
        await sock.send(framing.packet(framing.dumps({
            'session_id': f'<0.{secrets.randbelow(9999)}.{secrets.randbelow(99999)}>_fra-charts-free-5-webchart-9@'
                          'fra-compute-5', 'timestamp': int(now), 'timestampMs': int(now * 1000),
            'release': RELEASE, 'studies_metadata_hash': secrets.token_hex(20), 'auth_scheme_vsn': 2,
            'protocol': 'json', 'via': '127.0.0.1:443', 'javastudies': ['3.66']})))
        while sock.open:
            message = await ws.receive()
            if message['type'] == 'websocket.disconnect':
                break
            text = message.get('text') or (message.get('bytes') or b'').decode('utf-8', 'replace')
            for payload in framing.split(text):
                await _handle(market, sock, payload)
    finally:
        market.close_socket(sock)


async def _handle(market: Market, sock: DataSocket, payload: str) -> None:
    if payload.startswith('~h~'):
        sock.unanswered = 0
        return
    try:
        msg = json.loads(payload)
    except ValueError:
        return  # the real server ignores what it cannot parse too
    if not isinstance(msg, dict) or not isinstance(msg.get('p'), list) or not msg['p']:
        return
    method, params = msg.get('m'), msg['p']
    session = params[0]
    if not isinstance(session, str) or not _SESSION.fullmatch(session):
        return
    if method in chart.METHODS:
        await chart.handle(market, sock, method, params)
    elif method == 'quote_create_session':
        sock.fields[session] = None
    elif session not in sock.fields:
        return  # no such quote session: nothing to answer
    elif method == 'quote_set_fields':
        sock.fields[session] = frozenset(f for f in params[1:] if isinstance(f, str))
    elif method == 'quote_add_symbols':
        await _add_symbols(market, sock, session, params[1:])
    elif method == 'quote_remove_symbols':
        for name in params[1:]:
            if (symbol := resolve(name)) in market.symbols:
                market.unsubscribe(sock, symbol, session)
    elif method == 'quote_delete_session':
        for symbol in list(sock.subs):
            market.unsubscribe(sock, symbol, session)
        del sock.fields[session]


async def _add_symbols(market: Market, sock: DataSocket, session: str, names: list[Any]) -> None:
    """One full qsd per symbol, two packets per frame, then quote_completed for each in the last frame."""
    fields = sock.fields[session]
    packets: list[str] = []
    done: list[str] = []
    for name in names:
        if not isinstance(name, str):
            continue
        state = market.symbols.get(resolve(name) or '')
        if state is None:
            packets.append(_qsd(session, framing.dumps(
                {'n': name, 's': 'error', 'errmsg': 'invalid symbol', 'v': {}})))
        else:
            market.subscribe(sock, state.listing.symbol, session, name)
            values = state.snapshot()
            if state.dom_only:
                values = {k: v for k, v in values.items() if k not in PRICE_FIELDS}
            if fields is not None:
                values = {k: v for k, v in values.items() if k in fields}
            packets.append(_qsd(session, framing.dumps({'n': name, 's': 'ok', 'v': values})))
        done.append(framing.message('quote_completed', session, name))
    frames = [packets[i:i + 2] for i in range(0, len(packets), 2)] or [[]]
    frames[-1] = frames[-1] + done
    for payloads in frames:
        await sock.send(framing.frame(payloads))


async def publish(market: Market, updates: dict[str, dict[str, Any]], bars: Iterable[str] | None = None) -> int:
    """Push changed fields now: one frame per socket holding every symbol it watches, and a `du` for each chart
    series of the symbols whose price moved (or of `bars`, given alone). Returns sockets reached."""
    frames: dict[Socket, list[str]] = {}
    bodies: dict[tuple[str, str, frozenset[str] | None], str] = {}
    for symbol, values in updates.items():
        state = market.symbols[symbol]
        if state.frozen:
            continue
        data_values = {k: v for k, v in values.items() if k not in PRICE_FIELDS} if state.dom_only else values
        for sock in state.watchers if data_values else ():
            for session, name in sock.subs.get(symbol, ()):
                fields = sock.fields.get(session)
                key = (symbol, name, fields)
                if key not in bodies:
                    v = {k: x for k, x in data_values.items() if fields is None or k in fields}
                    bodies[key] = framing.dumps({'n': name, 's': 'ok', 'v': v}) if v else ''
                if bodies[key]:
                    frames.setdefault(sock, []).append(_qsd(session, bodies[key]))
        if state.dom_only and 'lp' in values:
            for push in state.push_watchers:
                for _, name in push.subs.get(symbol, ()):
                    frames.setdefault(push, []).append(_push_quote(name, values))
    charts = chart.updates(market, [s for s, v in updates.items() if 'lp' in v] if bars is None else bars)
    sent = 0
    for target in [*frames, *(s for s in charts if s not in frames)]:
        ok = True
        if isinstance(target, PushSocket):
            ok = all([await target.send(p) for p in frames[target]])  # plain JSON: one message per frame
        elif isinstance(target, DataSocket):
            for text in _layout(market, frames.get(target, []), charts.get(target, [])):
                ok = ok and await target.send(text)
        if ok:
            sent += 1
        else:
            market.close_socket(target)
    return sent


def _layout(market: Market, quotes: list[str], bars: list[str]) -> list[str]:
    """The frames of one publish on one socket. The chart's `du` shares the quotes' frame, or has its own
    just before or after it, at random: the real server batches them as they come."""
    if not quotes or not bars:
        return [framing.frame(quotes or bars)]
    layout = market.rng.randrange(3)
    if layout == 0:
        return [framing.frame(quotes + bars)]
    frames = [framing.frame(quotes), framing.frame(bars)]
    return frames if layout == 1 else frames[::-1]


# --- the pushstream socket --------------------------------------------------------------------------

def _push_quote(name: str, values: dict[str, Any]) -> str:
    content = {'symbol': name, **{k: v for k, v in values.items() if k in PRICE_FIELDS}}
    return framing.dumps({'text': {'channel': 'quotes', 'content': content}})


async def push_socket(ws: WebSocket) -> None:
    market: Market = ws.app.state.market
    if not _origin_ok(ws):
        await ws.close(code=1008)
        return
    await ws.accept()
    sock = PushSocket(ws, ws.scope.get(_TRANSPORT_KEY))
    market.push_sockets.add(sock)
    try:
        await sock.send(framing.dumps({'text': {'channel': 'system', 'content': {'status': 'connected'}}}))
        while sock.open:
            message = await ws.receive()
            if message['type'] == 'websocket.disconnect':
                break
            try:
                msg = json.loads(message.get('text') or '')
            except ValueError:
                continue
            names = msg.get('subscribe') if isinstance(msg, dict) else None
            for name in names if isinstance(names, list) else ():
                state = market.symbols.get(resolve(name) or '')
                if state is None:
                    continue
                market.subscribe(sock, state.listing.symbol, PUSH_SESSION, name)
                if state.dom_only and not state.frozen:
                    await sock.send(_push_quote(name, state.price_fields()))
    finally:
        market.close_socket(sock)
