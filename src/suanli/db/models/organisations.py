"""Organisations, users, API tokens and login throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, IdMixin, UTCDateTime


class OrganisationRow(Base, IdMixin):
    __tablename__ = "organisations"
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200), nullable=True)  # `name` is a handle, not a name
    type: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(100))
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    sme: Mapped[bool] = mapped_column(Boolean, default=False)
    incubator: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Centers this organisation is affiliated with (关联关系): purchases there are not subsidised.
    affiliated_centers: Mapped[list[str]] = mapped_column(JSON, default=list)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


class UserRow(Base, IdMixin):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ApiTokenRow(Base, IdMixin):
    __tablename__ = "api_tokens"
    # Only a SHA-256 of the token is stored: a database leak reveals no usable token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginFailureRow(Base):
    """Recent failed sign-ins per username, for brute-force throttling."""

    __tablename__ = "login_failures"
    __table_args__ = (UniqueConstraint("username"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DemoMarkerRow(Base):
    """Present only in a demo database: demo accounts and their passwords may be shown."""

    __tablename__ = "demo_accounts"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password: Mapped[str] = mapped_column(String(100))
