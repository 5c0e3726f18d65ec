"""`python main.py` in a subprocess, as a user or a service manager runs it: for the tests, the bench and tools."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from .chromium import chromium_path
from .processes import free_port, wait_until

ROOT = Path(__file__).resolve().parents[1]


def browser_running(health: dict) -> bool:
    return health['browser']['state'] == 'running'



class AppProcess:
    """`python main.py` in a subprocess; its output goes to a log file that failing tests print."""

    def __init__(self, tradingview_url: str, storage: Path, *, port: int | None = None, headless: bool = True,
                 stale_after: float = 60, display: str | None = None, extra_args: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.log_path = storage / f'app-{self.port}.log'
        self.args = [sys.executable, 'main.py', '--host', '127.0.0.1', '--port', str(self.port),
                     '--tradingview-url', tradingview_url, '--stale-after', str(stale_after),
                     # the replica serves the symbol search too, as --demo uses it
                     '--symbol-search-url', f'{tradingview_url.rstrip("/")}/symbol_search/v3/', *extra_args]
        self.env = {**os.environ, 'STORAGE_SECRET': os.environ.get('STORAGE_SECRET') or 'e2e-secret',
                    'NICEGUI_STORAGE_PATH': str(storage / 'nicegui'), 'PYTHONUNBUFFERED': '1'}
        if path := chromium_path():
            self.env['CHROMIUM_PATH'] = path
        self.env.pop('PYTEST_CURRENT_TEST', None)  # else NiceGUI thinks it runs inside pytest's own harness
        self.env.pop('HEADLESS', None)  # the flag alone decides, so one test can run the default headed mode
        if headless:
            self.args.append('--headless')
        if display:
            self.env['DISPLAY'] = display
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30, until: Callable[[dict], bool] = browser_running) -> AppProcess:
        """Start and wait until /health satisfies `until` (by default: Chromium is up)."""
        with open(self.log_path, 'ab') as log:
            self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: self._health_shows(until), timeout, f'the app on {self.url} to be ready')
        except AssertionError as problem:
            self.stop()  # nothing may outlive a failed start
            raise AssertionError(f'{problem}\n{self.log_tail()}') from None
        except BaseException:  # Ctrl+C, or a /health that is not JSON
            self.stop()
            raise
        return self

    def _health_shows(self, until: Callable[[dict], bool]) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f'the app exited with {self.process.returncode}\n{self.log_tail()}')
        try:
            return until(httpx.get(f'{self.url}/health', timeout=2).json())
        except httpx.HTTPError:
            return False

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f'{self.url}{path}', timeout=10)

    def tickers(self) -> dict[str, dict]:
        return {row['symbol']: row for row in self.get('/api/tickers').json()['tickers']}

    def stop(self, timeout: float = 20, signum: int = signal.SIGTERM) -> int | None:
        """SIGTERM as a service manager sends (or SIGINT, Ctrl+C); what outlives the deadline is killed."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        leftovers = self.descendants()
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            for process in [self.process, *leftovers]:
                try:
                    process.kill()
                except (psutil.NoSuchProcess, ProcessLookupError):
                    pass
            self.process.wait(5)
            raise AssertionError(f'the app ignored SIGTERM for {timeout} s\n{self.log_tail()}') from None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return '\n'.join(self.log_path.read_text(errors='replace').splitlines()[-lines:])
        except FileNotFoundError:
            return ''
