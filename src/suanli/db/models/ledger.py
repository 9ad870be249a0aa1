"""Tables for the ledger capability (filled in by its issue)."""
