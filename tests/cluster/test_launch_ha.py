"""`python -m launcher run N --ha`: the real launcher with a Valkey primary, a replica and three sentinels, real
nodes with their Chromium, real HAProxy; and the refusals of flags that cannot go together."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import redis
import redis.sentinel

from launcher.__main__ import parse
from launcher.processes import ROOT, free_port, kill_all, wait_until
from launcher.servers import NodeProcess
from tests.cluster.test_launch import browser_like, browsers, launcher_env, name_of, served_by

TEST_MARK = 'CRYPTOTRACKER_TEST_RUN'  # in the launcher's environment, so in every process it starts


@pytest.mark.parametrize('flags, problem', [
    (['--ha', '--redis-url', 'redis://10.0.0.5:6379/0'],
     '--ha and a Redis URL (--redis-url or REDIS_URL) exclude each other: --ha starts its own Valkey'),
    (['--ha', '--without-redis'], '--ha and --without-redis exclude each other'),
    (['--ha', '--redis-sentinel', '10.0.0.5:26379'], '--ha and sentinels (--redis-sentinel or REDIS_SENTINEL)'),
    (['--redis-sentinel', '10.0.0.5'], "--redis-sentinel: '10.0.0.5' is not HOST:PORT"),
    (['--redis-sentinel', 'h:1', '--redis-url', 'redis://h:2/0'], 'exclude each other'),
    (['--ha', '--redis-master', 'bad name'], '--redis-master is letters, digits'),
])
def test_ways_of_reaching_valkey_that_cannot_go_together_are_refused_with_why(flags, problem, capsys, monkeypatch):
    for name in ('REDIS_URL', 'REDIS_SENTINEL', 'REDIS_MASTER'):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as exit_:
        parse(['run', '2', *flags])
    assert exit_.value.code == 2 and problem in capsys.readouterr().err


def test_redis_url_from_the_environment_is_refused_with_ha_too(capsys, monkeypatch):
    monkeypatch.setenv('REDIS_URL', 'redis://10.0.0.5:6379/0')
    with pytest.raises(SystemExit):
        parse(['run', '2', '--ha'])
    assert 'REDIS_URL' in capsys.readouterr().err


def test_ha_and_sentinels_are_accepted_and_reach_the_nodes_as_their_flags(tmp_path: Path, monkeypatch):
    monkeypatch.delenv('REDIS_URL', raising=False)
    args, _ = parse(['run', '2', '--ha'])
    assert args.ha and args.redis_master == 'tracker'
    args, _ = parse(['run', '2', '--redis-sentinel', ' 10.0.0.5:26379, 10.0.0.6:26379 ', '--redis-master', 'prices'])
    assert args.redis_sentinels == '10.0.0.5:26379,10.0.0.6:26379'

    node = NodeProcess('n1', 8081, tmp_path, ['--headless'], sentinels=args.redis_sentinels, master='prices')
    command = node.command()
    assert command[command.index('--redis-sentinel') + 1] == '10.0.0.5:26379,10.0.0.6:26379'
    assert command[command.index('--redis-master') + 1] == 'prices' and '--redis-url' not in command
    assert node.env['REDIS_URL'] is None  # one in our environment would make the node refuse to start
    with pytest.raises(ValueError):
        NodeProcess('n1', 8081, tmp_path, redis_url='redis://h:1/0', sentinels='h:2')


def marked(token: str) -> list[psutil.Process]:
    """Every process started, at any depth, by the launcher this test ran (parents gone or not)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and process.environ().get(TEST_MARK) == token:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


def command_of(process: psutil.Process) -> list[str]:
    """Its command line; [] for a process that has just ended (a Chromium helper, say) or is a zombie."""
    try:
        return process.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return []


def flag(process: psutil.Process, name: str) -> str:
    command = process.cmdline()
    return command[command.index(name) + 1]


@pytest.mark.e2e
@pytest.mark.timeout(400)
def test_cluster_run_ha_serves_survives_a_killed_primary_and_sigterm_leaves_nothing(tmp_path: Path):
    port, token, output = free_port(), secrets.token_hex(8), tmp_path / 'launcher.log'
    command = [sys.executable, '-m', 'launcher', 'run', '2', '--ha', '--headless', '--demo', '--host', '127.0.0.1',
               '--port', str(port), '--node-port', '0', '--state-dir', str(tmp_path / 'state')]
    with open(output, 'wb') as log_file:
        launcher = subprocess.Popen(command, cwd=ROOT, env={**launcher_env(), TEST_MARK: token}, stdout=log_file,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    def said(text: str) -> bool:
        if launcher.poll() is not None:
            raise AssertionError(f'the launcher exited with {launcher.returncode}:\n{output.read_text()}')
        return text in output.read_text()

    try:
        wait_until(lambda: said(f'Cluster of 2 nodes on http://localhost:{port}'), 240, 'the cluster to start')
        # Nodes serve before their Chromium is up; wait for both, so that "nothing left" covers them too.
        wait_until(lambda: len(browsers(launcher.pid)) == 2, 120, 'a Chromium in each node')
        tree = psutil.Process(launcher.pid).children(recursive=True)  # the Chromiums too: `left` covers them
        valkeys = [p for p in tree if name_of(p) == 'valkey-server']
        assert len(valkeys) == 5 and sum('[sentinel]' in ' '.join(command_of(p)) for p in valkeys) == 3
        nodes = [p for p in tree if any(arg.endswith('main.py') for arg in command_of(p))]
        assert len(nodes) == 2 and all('--redis-url' not in command_of(p) for p in nodes)
        sentinels = flag(nodes[0], '--redis-sentinel')
        assert flag(nodes[0], '--redis-master') == 'tracker' and flag(nodes[1], '--redis-sentinel') == sentinels

        browser = browser_like(f'http://127.0.0.1:{port}')
        page = browser.get('/')
        assert page.status_code == 200 and 'Crypto Tracker' in page.text

        # SIGKILL of the primary: the sentinels promote the replica, the launcher brings the old one back behind it.
        hosts = [(host, int(p)) for host, p in (a.rsplit(':', 1) for a in sentinels.split(','))]
        finder = redis.sentinel.Sentinel(hosts, socket_timeout=1)
        _, old_port = finder.discover_master('tracker')
        with redis.Redis(port=old_port, socket_timeout=1) as old:
            old.set('saved-before-the-kill', 'yes')
            os.kill(old.info('server')['process_id'], signal.SIGKILL)
        wait_until(lambda: said('exited unexpectedly (ended by SIGKILL)'), 30, 'the launcher to see the primary die')
        wait_until(lambda: said('as a replica of') and said('running again'), 40, 'the old primary to come back')
        _, new_port = finder.discover_master('tracker')
        assert new_port != old_port
        with redis.Redis(port=old_port, socket_timeout=1) as back:
            assert back.execute_command('ROLE')[0] == b'slave'
        with finder.master_for('tracker', socket_timeout=1) as store:
            assert store.get('saved-before-the-kill') == b'yes'
        for node in nodes:  # each node now works against the new primary
            node_url = f'http://127.0.0.1:{flag(node, "--port")}'
            wait_until(lambda: browser_like(node_url).get('/health').json()['cluster']['redis_reachable'], 30,
                       'the node to reach the new primary')
        assert served_by(browser, '/') in {'n1', 'n2'}

        tree = psutil.Process(launcher.pid).children(recursive=True) + tree
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(90) == 0, output.read_text()
        _, left = psutil.wait_procs(tree, timeout=10)
        assert left == [] and marked(token) == [], output.read_text()
        log = output.read_text()
        order = [log.index(f'{piece} stopped') for piece in ('haproxy', 'replica', 'sentinel-3', 'valkey-1')]
        assert order == sorted(order), log  # the sentinels before the Valkeys: stopping starts no failover
        assert log.index('sentinel-1 stopped') < log.index('valkey-2 stopped')
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        kill_all(marked(token))
