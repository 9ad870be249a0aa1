"""Persistence: SQLAlchemy models, repositories (all SQL lives here), the unit of work and migrations."""
