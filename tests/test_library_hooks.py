"""cryptoui/library_hooks against the real libraries: each test breaks when an upgrade changes what a hook relies on.

The socket path is served by a real uvicorn (wsproto), Starlette's session middleware and NiceGUI's own socket.io
app, in this process, and read by a real websocket client speaking Engine.IO / Socket.IO as the page does.
"""
from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import engineio
import httpx
import nicegui.nicegui as nicegui_module
import nicegui.outbox as outbox_module
import pytest
import uvicorn
from engineio import exceptions as eio_exceptions
from engineio.async_socket import AsyncSocket
from fastapi import FastAPI, Request
from nicegui import Client, core
from nicegui.page import page
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.protocols.websockets.wsproto_impl import WSProtocol
from websockets.asyncio.client import ClientConnection, connect

from cryptoui import library_hooks
from cryptoui.library_hooks import outbox as outbox_hook
from cryptoui.library_hooks import pings, socket_path
from launcher.app_process import free_port

# sha256 of AsyncSocket.poll's source in python-engineio 4.15.1, which socket_path._poll copies
ENGINEIO_POLL_SHA256 = '826f58a9f3606db208e5d1266f075ad655b6eeda47b0a5616748624899ca5954'


def test_the_versions_are_the_ones_the_hooks_were_written_for() -> None:
    library_hooks.check_versions()  # the pinned requirements


def test_another_version_is_refused_loudly_by_name() -> None:
    installed = {**library_hooks.WRITTEN_FOR, 'python-engineio': '4.16.0'}
    with pytest.raises(RuntimeError, match=r'python-engineio 4\.16\.0 \(written for 4\.15\.1\)'):
        library_hooks.check_versions(installed)


def test_direct_writes_refuse_per_message_deflate() -> None:
    with pytest.raises(RuntimeError, match='ws_per_message_deflate=False'):
        socket_path.install(FastAPI(), {'ws_per_message_deflate': True})


# --- engine.io's writer ---------------------------------------------------------------------------------------

def test_engineio_poll_is_still_the_code_the_hook_copies() -> None:
    source = inspect.getsource(socket_path.ORIGINAL_POLL)
    assert hashlib.sha256(source.encode()).hexdigest() == ENGINEIO_POLL_SHA256, (
        'engineio AsyncSocket.poll changed: compare it with cryptoui/library_hooks/socket_path.py _poll')


async def test_poll_returns_queued_packets_in_order_and_marks_the_writer_busy() -> None:
    server = engineio.AsyncServer(async_mode='asgi')
    server.ping_interval, server.ping_timeout = 0.2, 0.1
    sock = AsyncSocket(server, 'sid-1')
    packets = [socket_path.event_frame('prices', [n]).packet for n in range(3)]
    for pkt in packets:
        sock.queue.put_nowait(pkt)
    assert await socket_path._poll(sock) == packets
    assert getattr(sock, socket_path.WRITING) is True  # until the writer asks again
    started = time.monotonic()
    with pytest.raises(eio_exceptions.QueueEmpty):  # nothing within ping interval + timeout
        await socket_path._poll(sock)
    assert 0.25 <= time.monotonic() - started < 2
    sock.queue.put_nowait(None)  # what the reader queues when the connection ends
    assert await socket_path._poll(sock) == []


async def test_a_websocket_writer_waits_for_its_reader_not_for_a_deadline() -> None:
    """Prices bypass its queue, so an idle writer is normal; the socket's reader still ends it."""
    server = engineio.AsyncServer(async_mode='asgi')
    server.ping_interval, server.ping_timeout = 0.2, 0.1
    sock = AsyncSocket(server, 'sid-1')
    sock.upgraded = True
    polling = asyncio.create_task(socket_path._poll(sock))
    await asyncio.sleep(0.6)  # twice ping interval + timeout
    assert not polling.done()
    sock.queue.put_nowait(None)  # the reader's end
    assert await asyncio.wait_for(polling, 1) == []


# --- the socket path, served for real ----------------------------------------------------------------------------

@dataclass
class Served:
    url: str
    app: FastAPI


@pytest.fixture
async def served(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    """NiceGUI's socket.io app mounted as NiceGUI mounts it, behind a session middleware, behind the door."""
    monkeypatch.setattr(AsyncSocket, 'poll', socket_path._poll)
    app = FastAPI()
    app.add_middleware(SessionMiddleware, secret_key='test')

    @app.get('/session')
    def session(request: Request) -> dict:
        request.session['seen'] = True
        return {'session': 'session' in request.scope}

    app.mount('/_nicegui_ws/', nicegui_module.sio_app)
    socket_path.install_door(app, socket_path.socketio_mount(app))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host='127.0.0.1', port=port, ws='wsproto', lifespan='off',
                                           ws_per_message_deflate=False, log_level='warning'))
    serving = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and not serving.done(), 'uvicorn did not start'
        await asyncio.sleep(0.02)
    try:
        yield Served(f'127.0.0.1:{port}', app)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


async def open_socket(served: Served) -> tuple[ClientConnection, str]:
    """Engine.IO open and Socket.IO connect, as NiceGUI's page does (without its implicit handshake)."""
    ws = await connect(f'ws://{served.url}/_nicegui_ws/socket.io/?EIO=4&transport=websocket')
    opening = await asyncio.wait_for(ws.recv(), 5)
    assert opening.startswith('0'), opening
    await ws.send('40')
    connected = await asyncio.wait_for(ws.recv(), 5)
    assert connected.startswith('40'), connected
    return ws, json.loads(opening[1:])['sid']


async def wait_until_idle(eio_sid: str) -> None:
    """Until the socket's writer waits on an empty queue (it has written everything it took)."""
    deadline = time.monotonic() + 5
    while getattr(core.sio.eio.sockets[eio_sid], socket_path.WRITING, True) or \
            core.sio.eio.sockets[eio_sid].queue.qsize():
        assert time.monotonic() < deadline, 'the writer never went idle'
        await asyncio.sleep(0.01)


async def test_the_socket_path_skips_the_middlewares_and_keeps_the_connection(served: Served) -> None:
    ws, eio_sid = await open_socket(served)
    try:
        scope = core.sio.environ[eio_sid]['asgi.scope']
        assert 'session' not in scope, 'the socket went through the session middleware'
        assert isinstance(scope[socket_path.CONNECTION], WSProtocol)
        async with httpx.AsyncClient(base_url=f'http://{served.url}') as http:  # everything else still does
            response = await http.get('/session')
        assert response.json() == {'session': True} and 'session=' in response.headers['set-cookie']
    finally:
        await ws.close()


@pytest.mark.parametrize('size', [10, 500, 70_000])  # the three length encodings of a websocket frame
async def test_a_frame_written_at_once_arrives_as_emit_sends_it(served: Served, size: int) -> None:
    ws, eio_sid = await open_socket(served)
    try:
        data = [{'s': 'BINANCE:BTCUSD', 'p': 'é' + 'x' * size}]
        await wait_until_idle(eio_sid)
        assert socket_path.write_now(eio_sid, socket_path.event_frame('prices', data))
        direct = await asyncio.wait_for(ws.recv(), 5)
        sid = core.sio.manager.sid_from_eio_sid(eio_sid, '/')
        await core.sio.emit('prices', data, to=sid)
        emitted = await asyncio.wait_for(ws.recv(), 5)
        assert direct == emitted == '42' + json.dumps(['prices', data], separators=(',', ':'), ensure_ascii=False)
    finally:
        await ws.close()


async def test_a_frame_never_overtakes_one_the_writer_holds(served: Served) -> None:
    ws, eio_sid = await open_socket(served)
    try:
        await wait_until_idle(eio_sid)
        connection: WSProtocol = core.sio.environ[eio_sid]['asgi.scope'][socket_path.CONNECTION]
        first, second = (socket_path.event_frame('prices', [n]) for n in (1, 2))
        connection.pause_writing()  # the client reads slowly: uvicorn's flow control holds the writer
        await socket_path.queue_frame(eio_sid, first)
        assert not socket_path.write_now(eio_sid, second), 'written past a queued frame'
        deadline = time.monotonic() + 5
        while core.sio.eio.sockets[eio_sid].queue.qsize():  # the writer takes it and waits to write it
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        connection.resume_writing()  # in this same step the writer still holds `first`
        assert not socket_path.write_now(eio_sid, second), 'written past the frame the writer holds'
        await socket_path.queue_frame(eio_sid, second)
        assert [await asyncio.wait_for(ws.recv(), 5) for _ in range(2)] == ['42["prices",[1]]', '42["prices",[2]]']
        await wait_until_idle(eio_sid)
        assert socket_path.write_now(eio_sid, socket_path.event_frame('prices', [3]))
        assert await asyncio.wait_for(ws.recv(), 5) == '42["prices",[3]]'
    finally:
        await ws.close()


async def test_a_price_does_not_close_a_socket_whose_pong_is_overdue(served: Served) -> None:
    """After a loop stall the pong may be waiting unread: engine.io's own send would close the socket."""
    ws, eio_sid = await open_socket(served)
    try:
        await wait_until_idle(eio_sid)
        core.sio.eio.sockets[eio_sid].last_ping = time.time() - 10  # pinged 10 s ago, no pong read yet
        assert socket_path.write_now(eio_sid, socket_path.event_frame('prices', [1]))
        assert await asyncio.wait_for(ws.recv(), 5) == '42["prices",[1]]'
        assert not core.sio.eio.sockets[eio_sid].closing
    finally:
        await ws.close()


async def test_a_closed_socket_is_not_written_to(served: Served) -> None:
    ws, eio_sid = await open_socket(served)
    await wait_until_idle(eio_sid)
    await ws.close()
    deadline = time.monotonic() + 5
    while eio_sid in core.sio.eio.sockets:
        assert time.monotonic() < deadline, 'the server never noticed the close'
        await asyncio.sleep(0.01)
    assert not socket_path.write_now(eio_sid, socket_path.event_frame('prices', [1]))


# --- NiceGUI's outbox ---------------------------------------------------------------------------------------------

def test_the_outbox_waits_for_its_event_as_the_hook_expects() -> None:
    """The hook replaces wait_for in nicegui/outbox.py: it must be the event wait alone, and stop() must wake it."""
    source = inspect.getsource(outbox_module)
    assert source.count('wait_for(') == 1
    assert 'await asyncio.wait_for(self._enqueue_event.wait(), timeout=1.0)' in inspect.getsource(
        outbox_module.Outbox.loop)
    assert 'self._set_enqueue_event()' in inspect.getsource(outbox_module.Outbox.stop)


async def test_an_outbox_without_its_timer_still_sends_and_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_module, 'asyncio', outbox_module.asyncio)  # undone after the test
    outbox_hook.install()
    monkeypatch.setattr(core, 'loop', asyncio.get_running_loop())
    monkeypatch.setattr(core.app.config, 'message_history_length', 1000, raising=False)  # as ui.run sets it
    client = Client(page('', reconnect_timeout=3.0), request=None)
    client.tab_id = 'tab'  # what the socket's handshake sets: the outbox sends only to a connected client
    loop_task = next(t for t in asyncio.all_tasks() if t.get_name() == f'outbox loop {client.id}')
    try:
        await asyncio.sleep(1.3)  # idle past the old 1 s timeout
        assert not loop_task.done()
        client.outbox.enqueue_message('run_javascript', {'code': ''}, client.id)
        deadline = time.monotonic() + 2
        while client.outbox.next_message_id == 0:
            assert time.monotonic() < deadline, 'an enqueued message did not wake the outbox'
            await asyncio.sleep(0.01)
        client.outbox.stop()
        await asyncio.wait_for(loop_task, 0.5)
    finally:
        client.outbox.stop()
        Client.instances.pop(client.id, None)


# --- engine.io's pings ---------------------------------------------------------------------------------------------

def test_nicegui_sets_its_ping_values_before_the_startup_handlers_run() -> None:
    """pings.install replaces them in a start-up handler: NiceGUI must not set them again afterwards."""
    source = inspect.getsource(nicegui_module._startup)
    for name in ('ping_interval', 'ping_timeout'):
        assert source.count(f'sio.eio.{name} =') == 1
        assert source.index(f'sio.eio.{name} =') < source.index('app.start()')
    assert 'self.safe_invoke(t)' in inspect.getsource(nicegui_module.app.start)  # handlers run in app.start


async def test_the_page_is_told_the_ping_interval_and_timeout(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.sio.eio, 'ping_interval', 4)  # NiceGUI's, restored after the test
    monkeypatch.setattr(core.sio.eio, 'ping_timeout', 2)
    pings.space_out_pings()
    ws = await connect(f'ws://{served.url}/_nicegui_ws/socket.io/?EIO=4&transport=websocket')
    try:
        opening = json.loads((await asyncio.wait_for(ws.recv(), 5))[1:])
        # what the page's socket.io client goes by
        assert opening['pingInterval'] == pings.PING_INTERVAL_S * 1000
        assert opening['pingTimeout'] == pings.PONG_TIMEOUT_S * 1000
    finally:
        await ws.close()
