"""engine.io's pings: fewer of them, and a pong timeout longer than the server's worst pause.

NiceGUI sets engine.io's ping interval and timeout at start-up from ui.run's reconnect_timeout (3 s): interval
max(0.8 x 3, 4) = 4 s, timeout max(0.4 x 3, 2) = 2 s (nicegui/nicegui.py, `_startup`). Two costs follow:

- Pause: the server closes a socket whose pong it has not read within the timeout, or that said nothing for
  interval + timeout; the page's socket.io client closes one that brought no ping for interval + timeout. A
  full garbage collection holds the event loop for seconds once a process holds thousands of viewers (4.0 and
  5.1 s at 5000 viewers; cryptoui.app logs each collection over 0.5 s), and every socket whose ping or pong
  fell into that pause was closed: 3559 of 5000 simulated viewers at once in one run, which real pages answer
  by all reconnecting at the same moment.
- Traffic: a ping out and a pong in per viewer every 4 s, each through the socket's queue, its writer and
  reader tasks and wsproto: 15 % of the server's busy time at 5000 viewers (py-spy, bench fanout).

`install` lets NiceGUI set both, then replaces them in a start-up handler (NiceGUI runs those after setting
them): a ping every PING_INTERVAL_S, a pong awaited PONG_TIMEOUT_S. A closed tab still ends its socket at once
(its connection closes); only a client that vanishes without closing is noticed later, after interval + timeout
(20 s instead of 6 s), and likewise a page notices a server that vanished without closing.
"""
from __future__ import annotations

from library_hooks import require

WRITTEN_FOR = {'nicegui': '3.18.0', 'python-engineio': '4.15.1'}
require(__name__, WRITTEN_FOR)  # before importing what it relies on, which another version may have moved

from nicegui import core
from nicegui.app import App

PING_INTERVAL_S = 10.0
PONG_TIMEOUT_S = 10.0


def space_out_pings() -> None:
    core.sio.eio.ping_interval = PING_INTERVAL_S
    core.sio.eio.ping_timeout = PONG_TIMEOUT_S


def install(app: App) -> None:
    app.on_startup(space_out_pings)
