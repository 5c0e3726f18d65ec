"""Starting and stopping the cluster's pieces: a real Valkey, a real HAProxy, real app nodes, no mocks."""
from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from launcher.__main__ import main as cluster_main
from launcher.app_process import AppProcess
from launcher.chromium import chromium_path, chromium_processes
from launcher.processes import ROOT, ServerError, free_port, kill_all, wait_until
from launcher.servers import Backend, HAProxy, NodeProcess, ValkeyServer, haproxy_binary


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@functools.cache
def app_has_cluster_mode() -> bool:
    """Until the node side lands, main.py rejects --redis-url: then nodes run without it."""
    shown = subprocess.run([sys.executable, 'main.py', '--help'], cwd=ROOT, capture_output=True, text=True,
                           timeout=60)
    return '--redis-url' in shown.stdout


def test_a_start_that_fails_leaves_nothing_and_says_why(tmp_path: Path):
    holder = ValkeyServer(tmp_path / 'holder').start()
    try:
        with pytest.raises(ServerError, match='already in use'):
            ValkeyServer(tmp_path / 'clash', port=holder.port).start()
    finally:
        holder.stop()

    node = NodeProcess('n1', free_port(), tmp_path, ['--headless', '--max-symbols', '0'])
    with pytest.raises(ServerError, match=r'n1 exited with code 2 while starting(.|\n)*--max-symbols: must be'):
        node.start(timeout=60)
    assert not running(node.pid)


def test_the_generated_config_is_one_haproxy_accepts(tmp_path: Path, capsys):
    assert cluster_main(['config', '2', '--port', '8080']) == 0
    text = capsys.readouterr().out
    for line in ('balance roundrobin', 'cookie SRV insert indirect nocache', 'option redispatch',
                 'option httpchk GET /health', 'http-check expect status 200', 'timeout tunnel 1h',
                 'server n1 127.0.0.1:8081 check cookie n1', 'server n2 127.0.0.1:8082 check cookie n2'):
        assert line in text
    (tmp_path / 'haproxy.cfg').write_text(text)
    check = subprocess.run([haproxy_binary(), '-c', '-f', str(tmp_path / 'haproxy.cfg')], capture_output=True,
                           text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.fixture
def two_nodes(replica_server, tmp_path: Path) -> Iterator[list[AppProcess]]:
    """Two plain app nodes as they are today (no Redis), each with its own files."""
    nodes = []
    for name in ('n1', 'n2'):
        (tmp_path / name).mkdir()
        nodes.append(AppProcess(replica_server.url, tmp_path / name))
    try:
        for node in nodes:
            node.start(timeout=120)
        yield nodes
    finally:
        for node in nodes:
            leftovers = node.descendants()
            if node.process and node.process.poll() is None:
                node.stop()
            kill_all(leftovers)  # a node killed by the test may leave its Chromium for a moment


def browser_like(url: str) -> httpx.Client:
    """Keeps cookies as a browser does. A browser also retries a request whose kept-alive connection the
    balancer closes as a node dies; httpx does not, so here every request opens its own connection."""
    return httpx.Client(base_url=url, timeout=20, limits=httpx.Limits(max_keepalive_connections=0))


def served_by(client: httpx.Client, path: str = '/health') -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.headers['x-served-by']


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_haproxy_keeps_a_browser_on_its_node_and_moves_it_when_that_node_dies(two_nodes, tmp_path: Path):
    names = {'n1': two_nodes[0], 'n2': two_nodes[1]}
    backends = [Backend(name, '127.0.0.1', node.port) for name, node in names.items()]
    proxy = HAProxy(backends, tmp_path, '127.0.0.1', free_port()).start()
    try:
        # Without the cookie, round robin: both nodes answer.
        assert {httpx.get(f'{proxy.url}/health').headers['x-served-by'] for _ in range(4)} == {'n1', 'n2'}

        browser = browser_like(proxy.url)
        home = served_by(browser, '/')
        assert browser.cookies['SRV'] == home
        assert {served_by(browser, path) for path in ['/', '/health', '/api/tickers'] * 5} == {home}

        other = 'n2' if home == 'n1' else 'n1'
        names[home].process.kill()
        names[home].process.wait()
        killed_at = time.monotonic()
        # Nothing waits for the health check: a request that finds the node gone is redispatched at once.
        assert served_by(browser) == other
        wait_until(lambda: f'Server nodes/{home} is DOWN' in proxy.log_tail(200), 10, f'haproxy to take {home} out')
        assert time.monotonic() - killed_at < 6
        assert served_by(browser) == other
        assert browser.cookies['SRV'] == other  # the browser now sticks to the live node
        assert {served_by(browser) for _ in range(5)} == {other}
    finally:
        proxy.stop()
    assert not running(proxy.pid)


def launcher_command(port: int, state: Path, *node_args: str) -> list[str]:
    command = [sys.executable, '-m', 'launcher', 'run', '2', '--headless', '--demo', '--host', '127.0.0.1',
               '--port', str(port), '--node-port', '0', '--state-dir', str(state), *node_args]
    return command if app_has_cluster_mode() else [*command, '--without-redis']


def using(state: Path) -> list[psutil.Process]:
    """Every process, whoever its parent now is, whose command line or environment names `state`."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and any(str(state) in text for text in
                                                  [*process.cmdline(), *process.environ().values()]):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


def launcher_env() -> dict[str, str]:
    env = {**os.environ, 'STORAGE_SECRET': 'cluster-test-secret', 'PYTHONUNBUFFERED': '1'}
    for name in ('REDIS_URL', 'DEMO', 'PYTEST_CURRENT_TEST'):
        env.pop(name, None)
    if path := chromium_path():
        env['CHROMIUM_PATH'] = path
    return env


def name_of(process: psutil.Process) -> str:
    try:
        return process.name()
    except psutil.NoSuchProcess:  # a helper Chromium's wrapper script ran for a moment
        return ''


def browsers(root: int) -> list[psutil.Process]:
    found = []
    for process in chromium_processes(psutil.Process(root)):
        try:
            if not any(arg.startswith('--type=') for arg in process.cmdline()):  # not a renderer or helper
                found.append(process)
        except psutil.NoSuchProcess:
            pass
    return found


def node_pid(tree: list[psutil.Process], name: str) -> int:
    for process in tree:
        try:
            is_node = any(arg.endswith('main.py') for arg in process.cmdline())
            if is_node and process.environ().get('CRYPTOTRACKER_NODE') == name:
                return process.pid
        except psutil.NoSuchProcess:
            pass
    raise AssertionError(f'no node {name} among {tree}')


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_cluster_run_stops_what_it_started_when_a_node_cannot_start(tmp_path: Path):
    state = tmp_path / 'state'
    done = subprocess.run(launcher_command(free_port(), state, '--max-symbols', '0'), cwd=ROOT,
                          env=launcher_env(), capture_output=True, text=True, timeout=240)
    assert done.returncode == 1, done.stderr
    assert 'exited with code 2 while starting' in done.stderr and '--max-symbols: must be' in done.stderr
    assert 'Cluster of' not in done.stdout
    assert 'replica stopped' in done.stderr
    assert using(state) == []


@pytest.mark.e2e
@pytest.mark.timeout(400)
def test_cluster_run_serves_through_haproxy_outlives_a_dead_node_and_sigterm_leaves_nothing(tmp_path: Path):
    port = free_port()
    output = tmp_path / 'launcher.log'
    with open(output, 'wb') as log_file:
        launcher = subprocess.Popen(launcher_command(port, tmp_path / 'state'), cwd=ROOT, env=launcher_env(),
                                    stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    tree: list[psutil.Process] = []

    def said(text: str) -> bool:
        if launcher.poll() is not None:
            raise AssertionError(f'the launcher exited with {launcher.returncode}:\n{output.read_text()}')
        return text in output.read_text()

    try:
        wait_until(lambda: said(f'Cluster of 2 nodes on http://localhost:{port}'), 240, 'the cluster to start')
        # Nodes serve before their Chromium is up; wait for both, so the tree below holds them too.
        wait_until(lambda: len(browsers(launcher.pid)) == 2, 120, 'a Chromium in each node')
        tree = psutil.Process(launcher.pid).children(recursive=True)
        names = set(map(name_of, tree))
        assert 'haproxy' in names
        assert ('valkey-server' in names) == app_has_cluster_mode()

        browser = browser_like(f'http://127.0.0.1:{port}')
        page = browser.get('/')
        assert page.status_code == 200 and 'Crypto Tracker' in page.text
        home = page.headers['x-served-by']
        assert {served_by(browser, '/') for _ in range(3)} == {home}

        os.kill(node_pid(tree, home), signal.SIGKILL)
        wait_until(lambda: said(f'{home} exited unexpectedly'), 30, f'the launcher to see {home} die')
        other = 'n2' if home == 'n1' else 'n1'
        assert served_by(browser, '/') == other
        assert launcher.poll() is None  # the rest keeps running

        tree = psutil.Process(launcher.pid).children(recursive=True) + tree
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(90) == 0, output.read_text()
        _, left = psutil.wait_procs(tree, timeout=10)
        assert left == [] and using(tmp_path / 'state') == [], output.read_text()
        said_in_order = output.read_text()
        order = [said_in_order.index(f'{piece} stopped') for piece in ('haproxy', other, 'replica')]
        assert order == sorted(order), said_in_order
    finally:
        if launcher.poll() is None:
            tree += psutil.Process(launcher.pid).children(recursive=True)
            launcher.kill()
            launcher.wait()
        kill_all(tree)
