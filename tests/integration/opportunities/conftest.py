"""The opportunity tests' world fixture (defined in opportunity_world.py, importable by a unique name)."""

from opportunity_world import world

__all__ = ["world"]
