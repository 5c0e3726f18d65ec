"""The replica's open websockets, and the chart sessions a data socket opened: data and sending only (what
is said on them: sockets.py and chart.py; who watches what: state.py)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.websockets import WebSocket

from .series import PERIOD, Bar

SEND_TIMEOUT = 2.0  # a socket that cannot take a frame for this long is dropped, as a real server would
# ...or one whose unsent backlog passes this, checked before each send. It stays below the transport's
# 64 KiB high-water mark, so a send never waits on a slow reader (frames are a few KiB at most).
MAX_BUFFERED = 32 * 1024


@dataclass(eq=False)
class Socket:
    """A websocket the replica pushes to. `subs`: `EX:TICKER` -> (session, name as the client wrote it)."""
    ws: WebSocket
    transport: asyncio.Transport | None  # the TCP connection under it, when the server exposes it
    subs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    open: bool = True

    async def send(self, text: str) -> bool:
        if not self.open:
            return False
        try:
            if self.transport is None:
                async with asyncio.timeout(SEND_TIMEOUT):
                    await self.ws.send_text(text)
            elif self.transport.get_write_buffer_size() > MAX_BUFFERED:
                raise TimeoutError('slow reader')
            else:  # the common case, kept cheap: this runs once per socket per update
                await self.ws.send_text(text)
            return True
        except Exception:  # disconnected, or too slow: either way it is gone for us
            self.kill()
            return False

    def kill(self) -> None:
        """Abrupt close (no close frame): the browser sees code 1006, as when TradingView drops a session."""
        self.open = False
        if self.transport is not None:
            self.transport.abort()


@dataclass(eq=False)
class DataSocket(Socket):
    """The page's TradingView socket (/socket.io/websocket)."""
    main: str | None = None  # `EX:TICKER` of the page that opened it (from its `from=` query)
    fields: dict[str, frozenset[str] | None] = field(default_factory=dict)  # quote session -> fields asked
    beats: int = 0
    unanswered: int = 0  # heartbeats sent since the last echo
    charts: dict[str, ChartSession] = field(default_factory=dict)  # chart session id -> its series


@dataclass(eq=False)
class PushSocket(Socket):
    """The page's /pushstream socket: plain JSON, news noise, and prices of dom_only symbols."""


@dataclass(eq=False)
class ChartSeries:
    """One `create_series` answered: a series of `symbol` in a chart session of one socket."""
    sock: DataSocket
    session: str  # cs_…
    series_id: str  # sds_1 (the same id in every session: only session + series + symbol tell them apart)
    turnaround: str  # s1
    symbol: str  # EX:TICKER it was resolved to
    base: int  # opening time of the bar sent as i=0
    sent: int  # opening time of the last bar sent

    def index(self, bar: Bar) -> int:
        return (bar.t - self.base) // PERIOD


@dataclass(eq=False)
class ChartSession:
    """A `chart_create_session` of one socket: the symbols it resolved and the series it created."""
    session: str
    resolved: dict[str, str | None] = field(default_factory=dict)  # sds_sym_1 -> EX:T, None if unknown
    series: dict[str, ChartSeries] = field(default_factory=dict)  # sds_1 -> series
