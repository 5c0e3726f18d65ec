"""uvicorn's connections and its exit flag, which ASGI and NiceGUI do not expose.

- A connection from its `send`: the `send` an ASGI app is given is a bound method of uvicorn's (0.55.0) request
  cycle (httptools and h11 alike) or of its websocket protocol (WSProtocol for wsproto), each holding the
  connection's asyncio `transport`. ASGI itself offers no way to a connection's socket.
- The server told to exit: on SIGINT/SIGTERM uvicorn's `handle_exit` sets `should_exit` on its Server, whose main
  loop looks at it every 0.1 s; then it waits for every open connection to finish before the app's shutdown
  handlers run. NiceGUI (3.18.0) keeps the one Server it runs in `nicegui.server.Server.instance` (a class
  attribute set by ui.run). uvicorn offers no event for it.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from library_hooks import require

WRITTEN_FOR = {'uvicorn': '0.55.0', 'nicegui': '3.18.0'}
require(__name__, WRITTEN_FOR)  # before importing what it relies on, which another version may have moved

from nicegui.server import Server
from uvicorn.protocols.websockets.wsproto_impl import WSProtocol

Send = Callable[[Any], Awaitable[None]]  # an ASGI send (starlette.types.Send)
TRANSPORT_METHODS = ('abort', 'set_write_buffer_limits', 'get_extra_info')


def transport_of(send: Send) -> asyncio.Transport | None:
    """The transport of the connection whose `send` this is, or None when the server is not uvicorn.

    Duck-typed: uvloop's transports are not asyncio.Transport subclasses."""
    transport = getattr(getattr(send, '__self__', None), 'transport', None)
    return transport if all(callable(getattr(transport, name, None)) for name in TRANSPORT_METHODS) else None


def websocket_of(send: Send) -> WSProtocol:
    """uvicorn's wsproto connection, whose bound `send` the outermost ASGI layer receives for a websocket."""
    connection = getattr(send, '__self__', None)
    if not isinstance(connection, WSProtocol):
        raise RuntimeError(f'a websocket came through {connection!r}, not uvicorn\'s wsproto WSProtocol: '
                           f'library_hooks/uvicorn_server.py does not know this server')
    return connection


def server_exiting() -> bool:
    """True once the server NiceGUI runs has been told to exit (False before ui.run has made one).

    Polled: uvicorn's own loop looks at should_exit as often (every 0.1 s)."""
    return bool(getattr(getattr(Server, 'instance', None), 'should_exit', False))
