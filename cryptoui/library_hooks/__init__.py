"""Every place the app reaches into the internals of NiceGUI, python-socketio / engine.io, uvicorn, Starlette or
wsproto, and the versions each was written for.

Each hook is justified by a measurement (README, Performance) and relies on code that an upgrade may change
without notice, so `install()` refuses to start on any other version than WRITTEN_FOR, and
tests/test_library_hooks.py has a test per hook that breaks when the behaviour it relies on changes. On a new
version: read what the hook relies on (its docstring), run those tests, then update WRITTEN_FOR.

- socket_path: NiceGUI's socket.io websockets skip the middleware stack; a frame built once is written to
  many sockets; engine.io's per-socket writer waits without a task per frame.
- outbox: NiceGUI's per-client outbox stops waking every second for nothing.
- pings: engine.io pings less often, and waits for a pong longer than the server's longest pause.
"""
from __future__ import annotations

import logging
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI

from . import outbox, pings, socket_path
from .socket_path import Frame, event_frame, queue_frame, write_now

__all__ = ['Frame', 'WRITTEN_FOR', 'check_versions', 'event_frame', 'install', 'queue_frame', 'write_now']

log = logging.getLogger(__name__)

WRITTEN_FOR = {'nicegui': '3.18.0', 'python-socketio': '5.18.1', 'python-engineio': '4.15.1',
               'uvicorn': '0.55.0', 'starlette': '1.10.0', 'wsproto': '1.3.2'}


def check_versions(installed: dict[str, str] | None = None) -> None:
    """Fail loudly (RuntimeError naming each package) unless every package is the version the hooks know."""
    installed = installed or {name: version(name) for name in WRITTEN_FOR}
    wrong = {name: found for name, found in installed.items() if WRITTEN_FOR.get(name) != found}
    if wrong:
        listed = ', '.join(f'{name} {found} (written for {WRITTEN_FOR.get(name)})' for name, found in wrong.items())
        raise RuntimeError(f'cryptoui/library_hooks reaches into library internals and was not written for: '
                           f'{listed}. Check each hook against the new version (tests/test_library_hooks.py), '
                           f'then update WRITTEN_FOR.')


def install(app: FastAPI, run_options: dict[str, Any]) -> None:
    """Before ui.run(**run_options): check the versions, then put every hook in place."""
    check_versions()
    socket_path.install(app, run_options)
    outbox.install()
    pings.install(app)
    app.on_shutdown(_log_counts)


def _log_counts() -> None:
    counts = socket_path.counts
    log.info('price frames: %d written at once, %d queued behind other frames', counts.direct, counts.queued)
