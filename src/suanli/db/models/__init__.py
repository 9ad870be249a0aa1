"""Tables, one module per concept. Importing this package registers every table on `Base.metadata`."""

from suanli.db.models import audit, federation, jobs, ledger, organisations, schedule, vouchers  # noqa: F401
from suanli.db.models.base import Base

__all__ = ["Base"]
