"""Tables, one module per concept. Importing this package registers every table on `Base.metadata`."""

from suanli.db.models import (  # noqa: F401
    audit,
    awards,
    exchange,
    federation,
    forms,
    indicators,
    jobs,
    ledger,
    notifications,
    opportunities,
    organisations,
    program_drafts,
    reports,
    schedule,
    vouchers,
)
from suanli.db.models.base import Base

__all__ = ["Base"]
