"""Repositories: every SQL query of the platform lives in this package."""
