"""Queries for organisations, users, API tokens and login throttling."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.db.models.organisations import ApiTokenRow, LoginFailureRow, OrganisationRow, UserRow


def get_organisation(session: Session, organisation_id: int) -> OrganisationRow | None:
    return session.get(OrganisationRow, organisation_id)


def organisation_by_name(session: Session, name: str) -> OrganisationRow | None:
    return session.scalar(select(OrganisationRow).where(OrganisationRow.name == name))


def list_organisations(session: Session, *, offset: int, limit: int, only_id: int | None = None) -> Sequence[OrganisationRow]:
    query = select(OrganisationRow).order_by(OrganisationRow.id).offset(offset).limit(limit)
    if only_id is not None:
        query = query.where(OrganisationRow.id == only_id)
    return session.scalars(query).all()


def user_by_username(session: Session, username: str) -> UserRow | None:
    return session.scalar(select(UserRow).where(UserRow.username == username))


def get_user(session: Session, user_id: int) -> UserRow | None:
    return session.get(UserRow, user_id)


def list_users(session: Session, *, offset: int, limit: int, organisation_id: int | None = None) -> Sequence[UserRow]:
    query = select(UserRow).order_by(UserRow.id).offset(offset).limit(limit)
    if organisation_id is not None:
        query = query.where(UserRow.organisation_id == organisation_id)
    return session.scalars(query).all()


def token_by_hash(session: Session, token_hash: str) -> ApiTokenRow | None:
    return session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))


def login_failures(session: Session, username: str) -> LoginFailureRow | None:
    return session.scalar(select(LoginFailureRow).where(LoginFailureRow.username == username))
