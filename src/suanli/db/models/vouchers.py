"""Tables for the vouchers capability (filled in by its issue)."""
