"""Suggestions from TradingView's symbol search, asked by the server for every page and program at once.

One `SymbolSearch` per process. Whatever the number of users:
- an answer is cached (the same text from anyone costs nothing for `ttl` seconds);
- a query still in flight is shared by everyone who asks it meanwhile;
- new queries leave at most `rate` a second (bursts of `burst`); one that would wait longer than `max_wait` for
  its turn is answered "busy" instead of queueing behind the others;
- after a failure (an error status, a timeout, an answer that is not JSON) the search rests for a while and
  says it is unavailable, without asking: a 429's Retry-After is honoured.

Asked from Python with the headers TradingView's own page sends (its Origin and Referer, a browser's user
agent): bench/search.py measured this against a fetch inside a page of the shared Chromium (README, Search).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from .answer import Suggestion, parse_answer
from .query import SearchQuery

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20  # a page of 50 suggestions is ~30 KB; anything near this is not an answer
DEFAULT_AGENT = ('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 '
                 'Safari/537.36')

OK, BUSY, UNAVAILABLE = 'ok', 'busy', 'unavailable'


@dataclass(frozen=True)
class SearchOutcome:
    query: SearchQuery
    state: str  # OK, BUSY or UNAVAILABLE
    suggestions: tuple[Suggestion, ...] = ()
    cached: bool = False


@dataclass
class SearchStats:
    asked: int = 0  # suggest() calls with a valid query
    upstream: int = 0  # requests actually sent
    cache_hits: int = 0
    shared: int = 0  # callers that joined a request already in flight
    busy: int = 0
    failures: int = 0


@dataclass
class _Pacer:
    """Spaces requests `1/rate` apart, allowing `burst` at once (a leaky bucket kept as one time)."""
    rate: float
    burst: int
    _free_at: float = field(default=0.0)

    def wait_for_turn(self, now: float) -> float:
        """Book the next turn and say how long until it; the caller waits that long, or gives it back."""
        interval = 1.0 / self.rate
        self._free_at = max(self._free_at, now - (self.burst - 1) * interval)
        wait = max(0.0, self._free_at - now)
        self._free_at += interval
        return wait

    def give_back(self) -> None:
        self._free_at -= 1.0 / self.rate


class SymbolSearch:
    def __init__(self, url: str, site: str, user_agent: Callable[[], str] = lambda: DEFAULT_AGENT, *,
                 rate: float = 3.0, burst: int = 3, max_wait: float = 1.0, ttl: float = 600.0,
                 cache_size: int = 5000, timeout: float = 4.0, rest: float = 5.0) -> None:
        parts = urlsplit(site)
        self._origin = f'{parts.scheme}://{parts.netloc}'  # the site whose search it is: its page asks
        self._url = url
        self._user_agent = user_agent
        self._pacer = _Pacer(rate, burst)
        self._max_wait = max_wait
        self._ttl = ttl
        self._cache_size = cache_size
        self._cache: OrderedDict[SearchQuery, tuple[float, SearchOutcome]] = OrderedDict()
        self._flying: dict[SearchQuery, asyncio.Task[SearchOutcome]] = {}
        self._rest = rest
        self._resting_until = 0.0
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self.stats = SearchStats()

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._resting_until

    async def suggest(self, query: SearchQuery) -> SearchOutcome:
        """Suggestions for a query that passed parse_query. Never raises for what the search answers."""
        self.stats.asked += 1
        now = time.monotonic()
        if (hit := self._cache.get(query)) is not None and hit[0] > now:
            self._cache.move_to_end(query)
            self.stats.cache_hits += 1
            return hit[1]
        if (task := self._flying.get(query)) is not None:
            self.stats.shared += 1
            return await asyncio.shield(task)  # a caller that leaves must not end it for the others
        if not self.available:
            return SearchOutcome(query, UNAVAILABLE)
        wait = self._pacer.wait_for_turn(now)
        if wait > self._max_wait:
            self._pacer.give_back()
            self.stats.busy += 1
            return SearchOutcome(query, BUSY)
        task = asyncio.create_task(self._ask(query, wait), name=f'symbol search {query.key}')
        self._flying[query] = task
        task.add_done_callback(lambda done: self._flying.pop(query) if self._flying.get(query) is done else None)
        return await asyncio.shield(task)

    async def close(self) -> None:
        tasks = list(self._flying.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- one request ------------------------------------------------------------------------------------

    async def _ask(self, query: SearchQuery, wait: float) -> SearchOutcome:
        if wait > 0:
            await asyncio.sleep(wait)
        self.stats.upstream += 1
        started = time.monotonic()
        try:
            reply = await self._fetch(query)
        except httpx.HTTPError as error:
            return self._failed(query, type(error).__name__, self._rest)
        except _TooBig:
            return self._failed(query, f'an answer over {MAX_BODY} bytes', self._rest)
        except Exception as error:
            log.exception('symbol search for %s failed unexpectedly', query.key)
            return self._failed(query, type(error).__name__, self._rest)
        if reply.status == 429:
            return self._failed(query, 'HTTP 429', reply.retry_after or 30.0)
        if reply.status != 200:  # a 403 means our headers are turned away: no point asking again soon
            return self._failed(query, f'HTTP {reply.status}', self._rest * (6 if reply.status == 403 else 1))
        try:
            body = json.loads(reply.content)
        except ValueError:  # e.g. an HTML challenge page in place of JSON
            return self._failed(query, f'an answer that is not JSON ({reply.content_type or "no type"})', self._rest)
        suggestions = tuple(parse_answer(body))
        outcome = SearchOutcome(query, OK, suggestions)
        if well_formed(body):  # a malformed answer gives no suggestions, and is not kept
            self._remember(query, SearchOutcome(query, OK, suggestions, cached=True))
        if self._resting_until:
            log.info('symbol search answers again')
            self._resting_until = 0.0
        log.debug('symbol search %s: %d suggestions in %.0f ms', query.key, len(suggestions),
                  (time.monotonic() - started) * 1000)
        return outcome

    async def _fetch(self, query: SearchQuery) -> _Reply:
        """The answer, its body read no further than MAX_BODY."""
        async with self._http().stream('GET', self._url, params=query.params(), headers=self._headers()) as response:
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY:
                    raise _TooBig()
                chunks.append(chunk)
            return _Reply(response.status_code, response.headers.get('content-type', ''), b''.join(chunks),
                          _retry_after(response.headers.get('retry-after')))

    def _failed(self, query: SearchQuery, problem: str, rest: float) -> SearchOutcome:
        self.stats.failures += 1
        self._resting_until = time.monotonic() + rest
        log.warning('symbol search for %s failed (%s): suggestions paused for %.0f s', query.key, problem, rest)
        return SearchOutcome(query, UNAVAILABLE)

    def _remember(self, query: SearchQuery, outcome: SearchOutcome) -> None:
        self._cache[query] = (time.monotonic() + self._ttl, outcome)
        self._cache.move_to_end(query)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _headers(self) -> dict[str, str]:
        # What the site's own page sends with its search: without its Origin and Referer the answer is a 403.
        return {'Origin': self._origin, 'Referer': f'{self._origin}/', 'User-Agent': self._user_agent(),
                'Accept': 'application/json, text/plain, */*', 'Accept-Language': 'en-US,en;q=0.9'}

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False,
                                             limits=httpx.Limits(max_connections=8, keepalive_expiry=30))
        return self._client


def browser_agent(version: str) -> str:
    """The user agent of the shared Chromium with a window ('156.0.8078.114' -> '... Chrome/156.0.0.0 ...'),
    as it presents itself to TradingView's pages; a default before it has started."""
    major = version.split('.')[0]
    return DEFAULT_AGENT.replace('Chrome/131.', f'Chrome/{major}.') if major.isdigit() else DEFAULT_AGENT


class _TooBig(Exception):
    pass


@dataclass(frozen=True)
class _Reply:
    status: int
    content_type: str
    content: bytes
    retry_after: float | None


def well_formed(body: object) -> bool:
    """v3's `{"symbols": [...], ...}`, or the older endpoint's bare list."""
    return isinstance(body, list) or (isinstance(body, dict) and isinstance(body.get('symbols'), list))


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (its date form is not used by search endpoints), kept within 1-600 s."""
    try:
        return min(600.0, max(1.0, float(value))) if value else None
    except ValueError:
        return None
