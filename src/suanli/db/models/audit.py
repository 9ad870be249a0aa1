"""Tables for the audit capability (filled in by its issue)."""
