"""One child process per server: started against a readiness deadline, stopped with nothing left behind."""
from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import psutil

log = logging.getLogger('cluster')

ROOT = Path(__file__).resolve().parents[1]
_PR_SET_PDEATHSIG = 1
_prctl: Any
try:  # looked up here: between fork and exec the child should do as little as possible
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Defer SIGINT/SIGTERM: a launcher's Shutdown raised inside Popen could orphan the child it was creating."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class ServerError(RuntimeError):
    """A server that would not start; the message ends with the tail of its log."""


def free_port(host: str = '127.0.0.1') -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def port_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _in_child() -> None:
    # SIGINT/SIGTERM are held while a server is spawned (see `spawn`); the mask is inherited, so clear it.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    # If the parent is killed outright (SIGKILL, OOM), the server still gets the SIGTERM a stop() would send.
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _in_child_of_a_thread() -> None:
    # The death signal follows the thread that forked: a short-lived thread would take the server with it.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def kill_all(processes: Sequence[psutil.Process], grace: float = 3) -> list[psutil.Process]:
    """Give `processes` `grace` seconds to end on their own (they may be on their way out), then SIGTERM,
    then SIGKILL; returns those that had to be signalled."""
    _, lingering = psutil.wait_procs([p for p in processes if _running(p)], timeout=grace)
    for process in lingering:
        _signal(process, signal.SIGTERM)
    _, survivors = psutil.wait_procs(lingering, timeout=grace)
    for process in survivors:
        _signal(process, signal.SIGKILL)
    psutil.wait_procs(survivors, timeout=grace)
    return lingering


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _signal(process: psutil.Process, signum: int) -> None:
    try:
        process.send_signal(signum)
    except psutil.NoSuchProcess:
        pass


class ManagedProcess:
    """Subclasses say how to run the server (`command`) and when it is usable (`ready`)."""

    start_timeout: float = 30
    stop_timeout: float = 10

    def __init__(self, name: str, log_path: Path, port: int, host: str = '127.0.0.1') -> None:
        self.name = name
        self.log_path = log_path
        self.port = port
        self.host = host
        self.process: subprocess.Popen | None = None
        self._log_offset = 0
        self._leftovers: list[psutil.Process] = []
        self._signalled = False

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> Mapping[str, str] | None:
        return None  # inherit ours

    def ready(self) -> bool:
        raise NotImplementedError

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.process.poll() if self.process else None

    def start(self, timeout: float | None = None) -> Self:
        self.spawn()
        self.wait_ready(timeout)
        return self

    def spawn(self) -> None:
        """Start the process without waiting."""
        if self.alive:
            raise ServerError(f'{self.name} is already running')
        if not port_is_free(self.host, self.port):  # else whatever holds it could answer for us and look ready
            raise ServerError(f'{self.name} cannot start: port {self.port} on {self.host} is already in use')
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, 'ab') as log_file:
            self._log_offset = log_file.tell()  # tails show this run only, the file keeps every run
            setup = _in_child if threading.current_thread() is threading.main_thread() else _in_child_of_a_thread
            # Its own session: a Ctrl+C in the terminal reaches the launcher alone, which stops pieces in order.
            with signals_held():
                self.process = subprocess.Popen(self.command(), cwd=ROOT, env=self.environment(),
                                                stdin=subprocess.DEVNULL, stdout=log_file,
                                                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=setup)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Return once `ready()`; on an exit or the deadline stop everything started and raise ServerError."""
        timeout = self.start_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            while not self.ready():
                if not self.alive:
                    raise self.error(f'exited with code {self.returncode} while starting')
                if time.monotonic() > deadline:
                    raise self.error(f'was not ready after {timeout:.0f} s')
                time.sleep(0.05)  # the next probe; `ready()` itself gives up within a second
        except BaseException:  # a failed start, or Ctrl+C while waiting: nothing may outlive it
            self.stop()
            raise

    def error(self, what: str) -> ServerError:
        return ServerError(f'{self.name} {what} (log {self.log_path}):\n{self.log_tail()}')

    def terminate(self) -> None:
        """Send SIGTERM; `wait_stopped` finishes the job. Split so several servers can shut down at once."""
        if self.process is None:
            return
        # Children are found now: once their parent is gone they are orphans and harder to find.
        self._leftovers = _descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.terminate()
            self._signalled = True

    def wait_stopped(self, timeout: float | None = None) -> int | None:
        if self.process is None:
            return None
        timeout = self.stop_timeout if timeout is None else timeout
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning('%s ignored SIGTERM for %.0f s: killed', self.name, timeout)
            self.process.kill()
            self.process.wait()
        if self._signalled:
            log.info('%s stopped (%s)', self.name, describe_exit(self.process.returncode))
        if left := kill_all(self._leftovers):
            log.warning('%s left %d process(es) running: stopped them', self.name, len(left))
        self._leftovers, self._signalled = [], False
        return self.process.returncode

    def stop(self, timeout: float | None = None) -> int | None:
        self.terminate()
        return self.wait_stopped(timeout)

    def kill(self) -> int | None:
        """SIGKILL, as a crash or the OOM killer ends it: nothing of its own is flushed or closed. Children it
        leaves (Valkey's AOF rewrite, a node's Chromium) get the time to end by themselves, then are stopped."""
        if self.process is None:
            return None
        leftovers = _descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        kill_all(leftovers)
        return self.process.returncode

    def log_tail(self, lines: int = 30) -> str:
        try:
            with open(self.log_path, 'rb') as log_file:
                log_file.seek(self._log_offset)
                text = log_file.read().decode(errors='replace')
        except FileNotFoundError:
            return ''
        return '\n'.join(text.splitlines()[-lines:])


def describe_exit(code: int | None) -> str:
    return f'ended by {signal.Signals(-code).name}' if code is not None and code < 0 else f'code {code}'


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def merged_environment(overrides: Mapping[str, str | None]) -> dict[str, str]:
    """Our environment with `overrides` applied; a None value removes the variable."""
    env = dict(os.environ)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def sweep(marks: Mapping[str, str]) -> list[psutil.Process]:
    """Stop every process whose environment has all of `marks`: what a server killed outright left orphaned
    (its parent gone, no tree leads to it any more). Returns those that were still running."""
    if not marks:
        raise ValueError('sweep needs at least one mark, or it would match every process')
    found = []
    for process in psutil.process_iter():
        try:
            environ = process.environ() if process.pid != os.getpid() else {}
            if all(environ.get(key) == value for key, value in marks.items()):
                found.append(process)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
    return kill_all(found)


def wait_until(condition: Callable[[], Any], timeout: float = 10, message: str = '') -> Any:
    """`condition()`'s first truthy answer, asked every 0.02 s; AssertionError (as a test reads it) after `timeout`."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out after {timeout} s waiting for {message or condition}')
        time.sleep(0.02)
    return result
