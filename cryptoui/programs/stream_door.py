"""The outermost ASGI layer for the programs' streams: small socket buffers, and a way to drop a connection.

A consumer that stops reading is noticed only once its connection stops taking bytes. With the defaults that
is after the kernel's send buffer (autotuned up to 4 MiB per socket, kernel memory that is the server's too)
and asyncio's transport buffer (64 KiB) are full. A stream sends a few KiB a second, so this layer gives each
stream connection small buffers: the consumer's own bounded buffer (cryptoui/programs/streams.py) then starts filling
within seconds of the client stopping, and a slow consumer costs the machine a bounded amount.

Dropping such a connection needs the connection itself: its response is blocked in uvicorn's flow control,
and closing politely would wait for the unread bytes to flush. Aborting the transport ends it at once; uvicorn
then sees a lost connection and everything unwinds as for a client that went away.
"""
from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Callable

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from library_hooks import asgi_stack
from library_hooks.uvicorn_server import transport_of

log = logging.getLogger(__name__)

CUT_OFF = 'cryptotracker.cut_off'  # key in the ASGI scope: a callable that drops this connection at once
# Linux doubles SO_SNDBUF for its bookkeeping: 32 KiB asked is 64 KiB held. At a few KiB a second of events
# that is still seconds of slack for a reader that pauses, and enough for any client that reads.
KERNEL_SEND_BUFFER = 32 * 1024
TRANSPORT_HIGH_WATER = 16 * 1024  # asyncio's default is 64 KiB; writing pauses above this


class _StreamDoor:
    def __init__(self, app: ASGIApp, bare: ASGIApp, paths: frozenset[str]) -> None:
        self.app = app
        self.bare = bare
        self.paths = paths
        self._warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] in ('http', 'websocket') and scope['path'] in self.paths:
            scope[CUT_OFF] = self._prepare(send)
            await self.bare(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _prepare(self, send: Send) -> Callable[[], None]:
        transport = transport_of(send)  # ASGI itself offers no way to a connection's socket
        if transport is None:
            if not self._warned:
                self._warned = True
                log.warning('the server gives no access to connections: a stream consumer that stops reading is '
                            'released, but its connection stays open until the client closes it')
            return lambda: None
        transport.set_write_buffer_limits(high=TRANSPORT_HIGH_WATER)
        sock = transport.get_extra_info('socket')
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_SEND_BUFFER)

        def cut_off() -> None:
            if sock is not None and not transport.is_closing():
                # A reset, not a FIN queued behind the unread bytes: the kernel frees the socket now instead of
                # holding it (and them) until the client reads or TCP gives up.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            transport.abort()
        return cut_off


def install(app: FastAPI, paths: set[str]) -> None:
    """Put the door in front of the whole middleware stack (library_hooks/asgi_stack.py): Starlette builds that
    stack at its first call, after ui.run has added NiceGUI's middlewares, so a middleware added here would end up
    inside them.

    The streams' own requests skip NiceGUI's middlewares (FastAPI's own layers and exception handlers stay):
    a program needs no session cookie, user storage or page redirects, and each BaseHTTPMiddleware would
    relay every event of every stream through one more task."""
    asgi_stack.put_in_front(app, lambda stack, bare: _StreamDoor(stack, bare(), frozenset(paths)))
