"""NiceGUI's socket.io websockets, from uvicorn's connection to engine.io's socket: a price frame that is the
same for many viewers is built once and costs each viewer one write.

Before these hooks each viewer's frame was queued on its engine.io socket, woke that socket's writer task
(which waits with asyncio.wait_for: on Python 3.11 a task and a timer per frame), went through Starlette's
middlewares (session, exceptions) and was framed by wsproto, one viewer at a time.

1. The door (`_SocketDoor`): the outermost ASGI layer sends a websocket that NiceGUI's socket.io mount would
   take straight to that mount, past the middlewares (the page's HTTP request holds the session that storage
   reads, not the socket), and notes uvicorn's connection object in the scope, which engine.io keeps as the
   socket's environ.
2. engine.io's writer (`_poll`): AsyncSocket.poll as written in python-engineio 4.15.1, waiting with
   asyncio.timeout instead of wait_for (a websocket's writer without a deadline, see `_poll`), and marking
   while the writer holds packets it took but has not written yet.
3. Direct writes (`write_now`): a server's websocket frame is unmasked and, without extensions (we run with
   per-message deflate off), the same bytes for every connection. `event_frame` builds it once; `write_now`
   writes it to a socket's transport only when nothing can be ahead of it: engine.io's queue empty and its
   writer idle, the socket upgraded and open, uvicorn's connection open and not paused by flow control.
   Otherwise it returns False and the caller sends the frame the normal way (`queue_frame`), behind
   whatever is queued, so a viewer never sees an older price after a newer one.
   Unlike engine.io's own send, a direct write does not close a socket whose pong is overdue: after the loop
   stalled for longer than the ping timeout (2 s), a pong that is waiting unread in the socket would otherwise
   cost its viewer the connection at the first price sent. A client that is really gone is still closed by
   engine.io within ping interval + timeout (its reader and its writer both time out), or when a write fails.
4. The server and its rooms: NiceGUI keeps its socket.io server in `nicegui.core.sio` (core is not part of its
   public API); `server()` hands it out, to be used through python-socketio's public API (emit, enter_room,
   leave_room). python-socketio has no public way to list who is in a room: `members` uses its manager's
   `get_participants`, which gives each member's socket.io sid and the engine.io sid `write_now` needs.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from library_hooks import require

WRITTEN_FOR = {'nicegui': '3.18.0', 'python-socketio': '5.18.1', 'python-engineio': '4.15.1', 'uvicorn': '0.55.0',
               'starlette': '1.10.0', 'wsproto': '1.3.2'}
require(__name__, WRITTEN_FOR)  # before importing what it relies on, which another version may have moved

import nicegui.nicegui as nicegui_module  # the module that mounts socket.io: its `sio_app`
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket
from nicegui import core
from socketio import AsyncServer
from socketio import packet as sio_packet
from starlette.applications import Starlette
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.websockets.wsproto_impl import WSProtocol
from wsproto.connection import ConnectionState
from wsproto.frame_protocol import FrameProtocol

from library_hooks import asgi_stack
from library_hooks.uvicorn_server import websocket_of

NAMESPACE = '/'
CONNECTION = 'cryptotracker.websocket'  # scope key: uvicorn's WSProtocol that carries this socket
WRITING = '_cryptotracker_writing'  # AsyncSocket attribute: its writer took packets it has not written yet
ORIGINAL_POLL = AsyncSocket.poll


@dataclass
class WriteCounts:
    """Frames handed to `write_now` that it wrote, and frames queued the normal way by `queue_frame`."""
    direct: int = 0
    queued: int = 0


counts = WriteCounts()


@dataclass(frozen=True)
class Frame:
    """One socket.io event, ready for any number of sockets: as engine.io queues it, and as the wire carries it."""
    packet: eio_packet.Packet
    data: bytes


def event_frame(event: str, data: Any) -> Frame:
    """A socket.io event as python-socketio's own emit encodes it, and the websocket text frame carrying it."""
    encoded = core.sio.packet_class(sio_packet.EVENT, namespace=NAMESPACE, data=[event, data]).encode()
    packet = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    return Frame(packet, bytes(FrameProtocol(client=False, extensions=[]).send_data(packet.encode())))


async def queue_frame(eio_sid: str, frame: Frame) -> None:
    """The normal way: behind whatever the socket has queued (returns once queued, not sent)."""
    counts.queued += 1
    await core.sio.eio.send_packet(eio_sid, frame.packet)


def server() -> AsyncServer:
    """NiceGUI's socket.io server, the one its pages' sockets connect to."""
    return core.sio


def members(room: str) -> Iterator[tuple[str, str]]:
    """(socket.io sid, engine.io sid) of each socket in this room of NiceGUI's namespace, on this server."""
    return core.sio.manager.get_participants(NAMESPACE, room)


def write_now(eio_sid: str, frame: Frame) -> bool:
    """Write the frame to this socket's connection now if nothing can be ahead of it; False: queue it instead."""
    socket = core.sio.eio.sockets.get(eio_sid)
    if socket is None or not socket.upgraded or socket.closing or socket.closed or socket.queue.qsize() \
            or getattr(socket, WRITING, True):
        return False
    environ = core.sio.environ.get(eio_sid)
    # A socket that began as long-polling has its first request's environ, with no connection noted: normal path.
    connection: WSProtocol | None = environ['asgi.scope'].get(CONNECTION) if environ else None
    if connection is None or not connection.handshake_complete or connection.close_sent \
            or connection.disconnected or not connection.writable.is_set() or connection.transport.is_closing() \
            or connection.conn.state is not ConnectionState.OPEN:
        return False
    connection.transport.write(frame.data)
    counts.direct += 1
    return True


async def _poll(self: AsyncSocket) -> list[eio_packet.Packet]:
    """AsyncSocket.poll (python-engineio 4.15.1), waiting without a task per frame, and marking WRITING.

    A websocket's writer waits without a deadline. Engine.io's deadline (ping interval + timeout) ended a writer
    that had nothing to send for that long, which never happened while every price went through its queue; with
    prices written directly only pings go through it, and a ping cycle late by more than the ping timeout would
    close the socket. The socket's reader has the same deadline and ends the writer (it queues None) when the
    client goes quiet, as before. A long-polling request (not upgraded) keeps its deadline.
    """
    setattr(self, WRITING, False)  # the writer asks again: everything it took before is written
    deadline = None if self.upgraded else self.server.ping_interval + self.server.ping_timeout
    try:
        async with asyncio.timeout(deadline):
            packets = [await self.queue.get()]
        self.queue.task_done()
    except (TimeoutError, asyncio.CancelledError):
        raise eio_exceptions.QueueEmpty() from None
    # Set in the same step as the packet left the queue: no moment shows an empty queue and an idle writer
    # while a packet is on its way.
    setattr(self, WRITING, True)
    if packets == [None]:
        return []
    while True:
        try:
            pkt = self.queue.get_nowait()
            self.queue.task_done()
            if pkt is None:
                self.queue.put_nowait(None)
                break
            packets.append(pkt)
        except asyncio.QueueEmpty:
            break
    return packets


class _SocketDoor:
    def __init__(self, app: ASGIApp, mount: Mount) -> None:
        self.app = app
        self.mount = mount

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] == 'websocket':
            match, child = self.mount.matches(scope)
            if match is Match.FULL:  # as Starlette's router would, without the middlewares around it
                scope.update(child)
                scope[CONNECTION] = websocket_of(send)
                await self.mount.handle(scope, receive, send)
                return
        await self.app(scope, receive, send)


def socketio_mount(app: Starlette) -> Mount:
    mounts = [r for r in app.routes if isinstance(r, Mount) and r.app is nicegui_module.sio_app]
    if len(mounts) != 1:
        raise RuntimeError(f'expected one mount of NiceGUI\'s socket.io app, found {len(mounts)}')
    return mounts[0]


def install_door(app: Starlette, mount: Mount) -> None:
    """In front of the whole middleware stack (after ui.run added NiceGUI's), see library_hooks/asgi_stack.py."""
    asgi_stack.put_in_front(app, lambda stack, _: _SocketDoor(stack, mount))


def install(app: Starlette, run_options: dict[str, Any]) -> None:
    if run_options.get('ws_per_message_deflate', True):
        raise RuntimeError('direct frame writes need ui.run(ws_per_message_deflate=False): with the extension '
                           'each connection compresses with its own state, so one frame cannot serve all')
    if AsyncSocket.poll is not ORIGINAL_POLL:
        raise RuntimeError('engineio AsyncSocket.poll was already replaced: install the hooks once')
    AsyncSocket.poll = _poll
    install_door(app, socketio_mount(app))
