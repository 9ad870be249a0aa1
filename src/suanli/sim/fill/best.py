"""Placeholder for the project's own policy (filled in below)."""
from suanli.sim.fill.fgd import FGDScorer as BestScorer  # noqa: F401
