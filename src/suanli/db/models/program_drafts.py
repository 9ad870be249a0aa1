"""Program files proposed through the program editor, waiting for a second officer to publish them
(四眼原则: who proposed a file never publishes it). The text is kept byte for byte with its SHA-256,
the hash the published program and its audit event carry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, IdMixin, UTCDateTime


class ProgramDraftRow(Base, IdMixin):
    __tablename__ = "program_drafts"

    code: Mapped[str] = mapped_column(String(63), index=True)  # the file's program id
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # proposed | published | withdrawn
    proposed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    program_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the program it became
