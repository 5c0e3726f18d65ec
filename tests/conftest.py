import pytest

from harness.replica_control import ReplicaControl
from replica import ReplicaServer


@pytest.fixture(scope='session')
def replica_server():
    # No automatic motion: tests move prices themselves, so every change is one they caused.
    server = ReplicaServer(tick_interval=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def replica(replica_server) -> ReplicaControl:
    control = ReplicaControl(replica_server.url)
    control.reset()
    control.tick(0)
    return control
