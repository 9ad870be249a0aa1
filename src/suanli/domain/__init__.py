"""Pure rules of the platform: money, resources, federation, organisations, jobs, placement, vouchers,
ledger and audit. Nothing here does I/O or imports database, web or backend code."""
