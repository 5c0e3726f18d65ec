"""The outermost ASGI layer for /api/stream: lets the server drop a stream whose client stopped reading.

A consumer that never reads blocks its response in uvicorn's flow control (the socket's buffers are full),
and NiceGUI's middlewares (Starlette BaseHTTPMiddleware) each relay the body through a task that is then
blocked too: nothing inside the stack can end that response. Outside the stack, this layer runs each stream
request in a cancel scope and puts the scope's `cancel` in the request's scope; cancelling ends the whole
request, after which uvicorn closes the connection.
"""
from __future__ import annotations

import contextvars
import logging
from typing import Callable

import anyio
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

CUT_OFF = 'cryptotracker.cut_off'  # key in the ASGI scope: a callable that drops this request's connection
# uvicorn's words when an app returns with its response unfinished; after a cut-off that is the intent
_UNFINISHED = 'ASGI callable returned without completing response.'
_cut_here: contextvars.ContextVar[bool] = contextvars.ContextVar('stream_cut_here', default=False)


class _StreamDoor:
    def __init__(self, app: ASGIApp, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http' or scope['path'] not in self.paths:
            await self.app(scope, receive, send)
            return
        with anyio.CancelScope() as cancel_scope:
            scope[CUT_OFF] = cancel_scope.cancel
            await self.app(scope, receive, send)
        if cancel_scope.cancelled_caught:
            # uvicorn's run_asgi logs the unfinished response in this same task, right after this returns.
            _cut_here.set(True)


class _ExpectedCutOff(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (_cut_here.get() and record.getMessage() == _UNFINISHED)


def install(app: FastAPI, paths: set[str]) -> None:
    """Put the door in front of the whole middleware stack (Starlette builds it at its first call, after
    ui.run has added NiceGUI's middlewares, so adding a middleware would put it inside them)."""
    build: Callable[[], ASGIApp] = app.build_middleware_stack
    app.build_middleware_stack = lambda: _StreamDoor(build(), frozenset(paths))  # type: ignore[method-assign]
    logging.getLogger('uvicorn.error').addFilter(_ExpectedCutOff())
