"""One-time form keys of the web UI: a form's key is recorded with the write it carried, in the same
transaction, so a reload or a double click never files twice (the key is the primary key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, UTCDateTime, utcnow


class FormKeyRow(Base):
    __tablename__ = "web_form_keys"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Where the first submission sent the browser: a repeat is redirected there too.
    target: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
