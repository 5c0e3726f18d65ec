"""Webhook deliveries: one queue and one worker per destination, off the price path.

Firing an alert only appends to its destination's queue. Each destination (one webhook URL) has its own worker
task, which sends in order and waits out its own retries and rate limits: a destination that hangs, fails or
asks for a pause delays only its own messages, never another destination's, never a price. A worker ends when
its queue is empty; a queue holds at most MAX_QUEUED messages (the oldest is dropped, and logged, beyond).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from . import guarded_post, retry, webhooks
from .address_guard import Refused, mask
from .model import LogEntry, Webhook

log = logging.getLogger(__name__)
MAX_QUEUED = 100


@dataclass(frozen=True)
class Job:
    alert_id: str
    owner: str
    webhook: Webhook
    message: webhooks.Message


Record = Callable[[Job, LogEntry, bool], Awaitable[None]]  # (job, log line, the destination is broken)


def destination(webhook: Webhook) -> str:
    """A short name for logs and queues that does not give the URL away."""
    return hashlib.sha256(webhook.url.encode()).hexdigest()[:12]


@dataclass
class _Destination:
    jobs: deque[Job] = field(default_factory=deque)
    worker: asyncio.Task | None = None


class Deliveries:
    def __init__(self, allow_private: bool, record: Record) -> None:
        self.allow_private = allow_private
        self._record = record
        self._destinations: dict[str, _Destination] = {}
        self._http: httpx.AsyncClient | None = None
        self._chores: set[asyncio.Task] = set()  # log lines of dropped messages, being written
        self.outcomes: Counter[str] = Counter()  # for /metrics: sent, retrying, failed, refused, dropped

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = guarded_post.client()
        return self._http

    def waiting(self) -> int:
        return sum(len(d.jobs) for d in self._destinations.values())

    def send(self, job: Job) -> None:
        key = destination(job.webhook)
        place = self._destinations.setdefault(key, _Destination())
        if len(place.jobs) >= MAX_QUEUED:
            dropped = place.jobs.popleft()
            self._later(dropped, LogEntry(time.time(), 'dropped', None, 'too many messages waiting for this '
                                                                           'destination'), False)
        place.jobs.append(job)
        if place.worker is None:
            place.worker = asyncio.create_task(self._work(key, place), name=f'webhook {key}')

    async def stop(self) -> None:
        workers = [d.worker for d in self._destinations.values() if d.worker is not None] + list(self._chores)
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._destinations.clear()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _work(self, key: str, place: _Destination) -> None:
        try:
            while place.jobs:
                await self._deliver(key, place.jobs.popleft())
        finally:
            place.worker = None
            if not place.jobs and self._destinations.get(key) is place:
                del self._destinations[key]

    async def _deliver(self, key: str, job: Job) -> None:
        url = webhooks.request_url(job.webhook)
        body = webhooks.body(job.webhook, job.message)
        for attempt in range(1, retry.MAX_ATTEMPTS + 1):
            try:
                answer = await guarded_post.post(self.http, url, body, self.allow_private)
                decision = retry.after_response(answer.status, attempt, answer.headers, answer.body, time.time())
                status = answer.status
            except Refused as refused:
                await self._log(key, job, LogEntry(time.time(), 'refused', None, str(refused)), broken=True)
                return
            except (httpx.HTTPError, OSError, TimeoutError) as error:
                decision, status = retry.after_error(attempt, guarded_post.error_text(error)), None
            if decision.outcome == retry.RETRY:
                detail = f'{decision.reason}; retry {attempt} in {decision.delay:g} s'
                await self._log(key, job, LogEntry(time.time(), 'retrying', status, detail), broken=False)
                await asyncio.sleep(decision.delay)
                continue
            outcome = 'sent' if decision.outcome == retry.SENT else 'failed'
            await self._log(key, job, LogEntry(time.time(), outcome, status, decision.reason), decision.broken)
            return

    async def _log(self, key: str, job: Job, entry: LogEntry, broken: bool) -> None:
        self.outcomes[entry.outcome] += 1
        level = logging.INFO if entry.outcome == 'sent' else logging.WARNING
        log.log(level, 'alert %s on %s: webhook %s (%s, %s) %s: %s', job.alert_id, job.message.symbol, key,
                job.webhook.format, mask(job.webhook.url), entry.outcome, entry.detail)
        try:
            await self._record(job, entry, broken)
        except Exception:  # a log line that cannot be kept must not stop the deliveries behind it
            log.exception('alert %s: delivery log not kept', job.alert_id)

    def _later(self, job: Job, entry: LogEntry, broken: bool) -> None:
        task = asyncio.create_task(self._log(destination(job.webhook), job, entry, broken), name='webhook log')
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def test(self, webhook: Webhook, message: webhooks.Message) -> LogEntry:
        """One attempt now, no queue and no retries: what the person's "Send a test" shows."""
        try:
            answer = await guarded_post.post(self.http, webhooks.request_url(webhook), webhooks.body(webhook, message),
                                             self.allow_private)
        except Refused as refused:
            return LogEntry(time.time(), 'refused', None, str(refused))
        except (httpx.HTTPError, OSError, TimeoutError) as error:
            return LogEntry(time.time(), 'failed', None, guarded_post.error_text(error))
        decision = retry.after_response(answer.status, retry.MAX_ATTEMPTS, answer.headers, answer.body, time.time())
        return LogEntry(time.time(), 'sent' if decision.outcome == retry.SENT else 'failed', answer.status,
                        decision.reason)
