"""A faithful local replica of TradingView's symbol page, for the tests and for `--demo`. See README.md."""
from .app import create_app
from .server import ReplicaServer

__all__ = ['create_app', 'ReplicaServer']
