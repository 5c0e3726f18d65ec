"""The processes under test: the TradingView replica and the app (`python main.py --headless`), each its own
subprocess, started together and gone together; and the HTTP helpers the async scenarios poll them with."""
from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.common import app_symbol
from launcher.app_process import AppProcess
from launcher.servers import ReplicaProcess


def raise_file_limit(wanted: int = 16384) -> None:
    """Each simulated viewer is a socket in the app and in a worker: 2000 do not fit a 1024 default. Set
    before the app and the workers start, so they inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Stack:
    """A replica and the app watching it, with a temporary directory for their logs and the app's storage.

    `with Stack(...) as stack:`, or start() and stop(). `stale_after`: the app's --stale-after; it reloads a
    tab that stays silent for twice that, so scenarios that leave prices still for long raise it."""

    def __init__(self, app_args: tuple[str, ...] = (), stale_after: float = 60) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix='bench-')
        self.dir = Path(self._tmp.name)
        self.replica = ReplicaProcess(self.dir, tick=0)  # every change is one the benchmark made
        self.app_args = app_args
        self.stale_after = stale_after
        self._app: AppProcess | None = None

    @property
    def app(self) -> AppProcess:
        assert self._app is not None, 'the stack is not started'
        return self._app

    def start(self) -> Stack:
        raise_file_limit()
        self.replica.start()
        try:
            self._app = AppProcess(self.replica.url, self.dir, stale_after=self.stale_after,
                                   extra_args=self.app_args).start(timeout=60)
        except BaseException:  # nothing may outlive a failed start
            self.replica.stop()
            self._tmp.cleanup()
            raise
        return self

    def stop(self, app_timeout: float = 30) -> dict[str, Any]:
        """Stop both; the app's log is kept (its path and its warnings go into the results). An app that outlives
        `app_timeout` after SIGTERM is killed and said so in the results (`app_stop_failure`), which are kept."""
        code, failure = None, None
        try:
            if self._app is not None:
                code = self._app.stop(timeout=app_timeout)
        except AssertionError as problem:  # AppProcess.stop: it ignored SIGTERM and was killed
            failure = str(problem).splitlines()[0]
        finally:
            self.replica.stop()
        kept: dict[str, Any] = {'app_exit_code': code}
        if failure:
            kept['app_stop_failure'] = failure
            print(f'{failure}:\n{self.app.log_tail(20)}', file=sys.stderr)
        elif code not in (0, None):
            print(f'the app exited with {code}:\n{self.app.log_tail(40)}', file=sys.stderr)
        if self._app is not None and self._app.log_path.exists():
            log = self._app.log_path.read_text(errors='replace')
            target = Path(tempfile.gettempdir()) / f'{self.dir.name}-app.log'
            target.write_text(log)
            problems = [line for line in log.splitlines() if ' WARNING ' in line or ' ERROR ' in line]
            kept.update({'app_log': str(target), 'app_log_problems': len(problems),
                         'app_log_problem_sample': problems[:10]})
        self._tmp.cleanup()
        return kept

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, kind: type | None, error: BaseException | None, trace: object) -> None:
        if error is not None and self._app is not None:
            print(f'--- app log (tail)\n{self._app.log_tail(60)}', file=sys.stderr)
        self.stop()


def client(base_url: str) -> httpx.AsyncClient:
    # Idle connections are dropped here after 2 s, before the server's keep-alive timeout (5 s) can close one
    # under a request being sent on it.
    return httpx.AsyncClient(base_url=base_url, timeout=10, limits=httpx.Limits(keepalive_expiry=2))


async def wait_for(condition: Callable[[], Awaitable[Any]], timeout: float, what: str, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f'timed out after {timeout} s waiting for {what}')
        await asyncio.sleep(interval)
    return result


async def all_live(app: httpx.AsyncClient, tickers: list[str], timeout: float = 60) -> None:
    async def check() -> bool:
        rows = {row['symbol']: row for row in (await app.get('/api/tickers')).json()['tickers']}
        return all(rows.get(app_symbol(t), {}).get('status') == 'live' for t in tickers)
    await wait_for(check, timeout, f'{tickers} to be live')
