"""A faithful fake DMS: the sans-I/O engine, its plant files, and the trio server.

``Engine`` answers requests with no I/O; ``Simulator`` serves it over WebSocket and
HTTP POST for tests and demos, ``serve`` for the command line.
"""

from .engine import Delivery, Engine, Reply
from .plant import Plant, demo_plant_path, load_plant
from .server import Simulator, serve, server_ssl_context
from .subscriptions import Session

__all__ = [
    "Delivery",
    "Engine",
    "Plant",
    "Reply",
    "Session",
    "Simulator",
    "demo_plant_path",
    "load_plant",
    "serve",
    "server_ssl_context",
]
