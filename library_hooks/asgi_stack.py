"""Starlette's middleware stack: a door in front of all of it, and the same stack without the added middlewares.

Starlette (1.10.0) builds an app's middleware stack at its first call, in `build_middleware_stack`, which FastAPI
(0.165.0) overrides: ServerErrorMiddleware, FastAPI's own two, then `app.user_middleware` (what add_middleware
added: NiceGUI's session, storage and redirect middlewares, added by ui.run), then ExceptionMiddleware and the
router. Neither offers a way to put an ASGI layer outside that stack: a middleware added after ui.run would end
up inside NiceGUI's, and add_middleware is refused once the app has started. So `put_in_front` wraps the build
method itself: the door is built at that first call, around the stack as it is then.

The door may also ask for `bare()`: the stack built again with `user_middleware` emptied for the time of the
build (FastAPI's own layers and exception handlers stay, the router is the same), for requests that need none
of NiceGUI's middlewares.
"""
from __future__ import annotations

from collections.abc import Callable

from library_hooks import require

WRITTEN_FOR = {'starlette': '1.10.0', 'fastapi': '0.165.0'}
require(__name__, WRITTEN_FOR)  # before importing what it relies on, which another version may have moved

from starlette.applications import Starlette
from starlette.types import ASGIApp

# door(stack, bare): the ASGI app to call instead of the stack; bare() builds the stack without user middlewares
Door = Callable[[ASGIApp, Callable[[], ASGIApp]], ASGIApp]


def put_in_front(app: Starlette, door: Door) -> None:
    """Call `door` at the app's first call, with the whole stack then built, and serve through what it returns.
    Doors put in front later wrap the ones before them."""
    build: Callable[[], ASGIApp] = app.build_middleware_stack

    def bare() -> ASGIApp:
        kept = app.user_middleware
        app.user_middleware = []
        try:
            return build()
        finally:
            app.user_middleware = kept

    app.build_middleware_stack = lambda: door(build(), bare)  # type: ignore[method-assign]
