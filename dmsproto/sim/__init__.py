"""A faithful fake DMS: the sans-I/O engine (``Engine``) and its plant files."""

from .engine import Delivery, Engine, Reply
from .plant import Plant, demo_plant_path, load_plant
from .subscriptions import Session

__all__ = ["Delivery", "Engine", "Plant", "Reply", "Session", "demo_plant_path", "load_plant"]
