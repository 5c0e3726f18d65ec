"""Simulated viewers (bench.viewers) through HAProxy, each on the node HAProxy gives it, as browsers are.

A browser's first request carries no `SRV` cookie: HAProxy sends it round-robin to a node and its answer
sets `SRV=<node>`; the browser sends that cookie with everything after, its websocket included, so the
socket reaches the node that built its page. bench.viewers.ViewerPool sends one fixed cookie (the user's
session) with both the page request and the websocket. StickyViewerPool is that pool with one difference:
each viewer keeps the cookies its own page response set (HAProxy's `SRV`, a refreshed session) and sends
them with its websocket; and it notes which node served each viewer (HAProxy's `X-Served-By` header), so
arrivals are kept per node.

(In bench/viewers.py itself this would be four lines in `ViewerPool._handshake`: after the GET,
`headers['Cookie'] = with_cookies(headers['Cookie'], response.cookies)`; and ViewerWorkers would take the
pool class. Here it is done without touching either: the pool's aiohttp session is wrapped, and a context
variable carries each viewer's page cookies from its GET to its websocket: every viewer connects in a task
of its own, and its reading task is created from that task, so each sees only its own.)
"""
from __future__ import annotations

import asyncio
import multiprocessing
from collections import Counter, defaultdict
from contextvars import ContextVar
from multiprocessing.connection import Connection
from typing import Any

from bench.viewer_workers import ViewerWorkers, _serve
from bench.viewers import PRICES, Viewer, ViewerPool

BALANCER_COOKIE = 'SRV'  # launcher.servers.haproxy_config: `cookie SRV insert indirect nocache`
SERVED_BY = 'X-Served-By'  # set by the same config on every response
# this viewer's page response: {'cookies': {name: value}, 'node': served by}
_PAGE: ContextVar[dict[str, Any]] = ContextVar('bench_sticky_page')


def cookie_header(pairs: dict[str, str]) -> str:
    return '; '.join(f'{name}={value}' for name, value in pairs.items())


def parse_cookie_header(header: str) -> dict[str, str]:
    pairs = (part.strip().partition('=') for part in header.split(';') if part.strip())
    return {name: value for name, _, value in pairs}


def without_balancer_cookie(header: str) -> str:
    """A user's cookies minus the node HAProxy pinned its browser to: its viewers are spread anew."""
    return cookie_header({k: v for k, v in parse_cookie_header(header).items() if k != BALANCER_COOKIE})


def pinned(header: str, node: str) -> str:
    """A user's cookies pinned to `node`: HAProxy sends every request with them there while it is up."""
    return cookie_header({**parse_cookie_header(header), BALANCER_COOKIE: node})


class _RememberedResponse:
    """`async with session.get(...)`, noting what the response set for this viewer's later websocket."""

    def __init__(self, request: Any) -> None:
        self._request = request

    async def __aenter__(self) -> Any:
        response = await self._request.__aenter__()
        _PAGE.set({'cookies': {name: morsel.value for name, morsel in response.cookies.items()},
                   'node': response.headers.get(SERVED_BY, '?')})
        return response

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._request.__aexit__(*exc)


class _CookieKeepingSession:
    """The pool's aiohttp session, as far as ViewerPool uses it: get, ws_connect, close."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def get(self, url: str, **kwargs: Any) -> _RememberedResponse:
        return _RememberedResponse(self._session.get(url, **kwargs))

    async def ws_connect(self, url: str, *, headers: dict[str, str], **kwargs: Any) -> Any:
        page = _PAGE.get({})
        cookies = {**parse_cookie_header(headers.get('Cookie', '')), **page.get('cookies', {})}
        return await self._session.ws_connect(url, headers={**headers, 'Cookie': cookie_header(cookies)}, **kwargs)

    async def close(self) -> None:
        await self._session.close()


class StickyViewerPool(ViewerPool):
    """ViewerPool whose viewers each keep their page's cookies; arrivals by text are kept per serving node."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.node_of: dict[Viewer, str] = {}
        self.arrivals_by_node: defaultdict[str, defaultdict[str, list[float]]] = defaultdict(lambda: defaultdict(list))

    async def start(self) -> None:
        await super().start()
        # A stand-in for the aiohttp session with the three methods the pool calls (get, ws_connect, close): it is
        # not a ClientSession, whose typed signatures a Protocol could not match, hence the ignore.
        self._session = _CookieKeepingSession(self._session)  # type: ignore[assignment]

    async def _handshake(self, viewer: Viewer, stage: list[str]) -> None:
        _PAGE.set({})
        await super()._handshake(viewer, stage)
        self.node_of[viewer] = _PAGE.get({}).get('node', '?')

    def _node(self, viewer: Viewer) -> str:
        return self.node_of.get(viewer) or _PAGE.get({}).get('node', '?')  # during its handshake: not noted yet

    async def _on_frame(self, viewer: Viewer, frame: str, now: float) -> None:
        if not frame.startswith(PRICES):
            await super()._on_frame(viewer, frame, now)
            return
        # ViewerPool notes a prices frame's arrivals in self.arrivals without awaiting anything, so nothing else
        # runs while it points at this viewer's node's record.
        every, self.arrivals = self.arrivals, self.arrivals_by_node[self._node(viewer)]
        try:
            await super()._on_frame(viewer, frame, now)
        finally:
            self.arrivals = every

    def reset(self) -> None:
        super().reset()
        self.arrivals_by_node.clear()

    def stats(self) -> dict[str, Any]:
        open_by_node = Counter(node for viewer, node in self.node_of.items()
                               if viewer.ws is not None and not viewer.ended)
        return {**super().stats(), 'open_by_node': dict(open_by_node),
                'arrivals_by_node': {node: dict(texts) for node, texts in self.arrivals_by_node.items()}}


def _sticky_worker_main(pipe: Connection, base_url: str, cookie: str, deflate: bool, concurrency: int) -> None:
    try:
        import uvloop  # as bench.viewer_workers: the viewers' loop is measured against
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(pipe, StickyViewerPool(base_url, cookie, deflate=deflate, concurrency=concurrency)))


class StickyViewerWorkers(ViewerWorkers):
    """ViewerWorkers running StickyViewerPool; `cookie` loses any SRV, so HAProxy places every viewer."""

    def __init__(self, base_url: str, cookie: str, *, workers: int = 1, deflate: bool = True,
                 concurrency: int = 50) -> None:
        super().__init__(base_url, cookie, workers=0, deflate=deflate, concurrency=concurrency)
        context = multiprocessing.get_context('spawn')
        for i in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(target=_sticky_worker_main, name=f'sticky-viewers-{i}', daemon=True,
                                      args=(theirs, base_url, without_balancer_cookie(cookie), deflate,
                                            max(1, concurrency // workers)))
            process.start()
            self._pipes.append(ours)
            self._processes.append(process)

    async def open_by_node(self) -> dict[str, int]:
        return _sum_counts(r['open_by_node'] for r in await self._all('stats'))

    async def collect_by_node(self) -> dict[str, Any]:
        """ViewerWorkers.collect(), with `arrivals_by_node` (node -> text -> times) and `open_by_node`; its
        `arrivals` is every node's together."""
        collected = await self.collect()
        results = await self._all('stats', timeout=120)
        by_node: defaultdict[str, defaultdict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for result in results:
            for node, texts in result['arrivals_by_node'].items():
                for text, times in texts.items():
                    by_node[node][text].extend(times)
        every: defaultdict[str, list[float]] = defaultdict(list)
        for texts in by_node.values():
            for text, times in texts.items():
                every[text].extend(times)
        return {**collected, 'arrivals': dict(every),
                'arrivals_by_node': {node: dict(texts) for node, texts in by_node.items()},
                'open_by_node': _sum_counts(r['open_by_node'] for r in results)}


def _sum_counts(counts: Any) -> dict[str, int]:
    total: Counter[str] = Counter()
    for count in counts:
        total.update(count)
    return dict(sorted(total.items()))
