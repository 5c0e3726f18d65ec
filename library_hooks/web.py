"""The web process's hooks into NiceGUI and its server, put in place once, before ui.run.

Importing this module imports every hook it installs, and each checks the versions it was written for (see
library_hooks/__init__.py): a web process on other library versions stops here, before it serves anything.
"""
from __future__ import annotations

import logging
from typing import Any

from nicegui.app import App

from library_hooks import outbox, pings, socket_path

log = logging.getLogger(__name__)


def install(app: App, run_options: dict[str, Any]) -> None:
    """Before ui.run(**run_options): put the socket path, the outbox and the pings hooks in place."""
    socket_path.install(app, run_options)
    outbox.install()
    pings.install(app)
    app.on_shutdown(_log_counts)


def _log_counts() -> None:
    counts = socket_path.counts
    log.info('price frames: %d written at once, %d queued behind other frames', counts.direct, counts.queued)
