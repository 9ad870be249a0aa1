"""Organisations (算力需求方 and 算力供给方), users and their roles.

The facts kept here (type, registered city, sectors, SME flag, incubator, affiliations with
providers, and the profile facts an officer recorded with their source and date: credit record,
revenue, R&D share, certifications) are exactly those voucher eligibility rules are written over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from suanli.domain.profile import ProfileFact


class OrganisationType(StrEnum):
    ENTERPRISE = "enterprise"  # 企业
    UNIVERSITY = "university"  # 高校
    RESEARCH_INSTITUTE = "research_institute"  # 科研院所
    MAKER = "maker"  # 创客: a team without legal-person status, hosted by an incubator
    INTERMEDIARY = "intermediary"  # 算力中介服务机构
    PROVIDER = "provider"  # 算力供给方: operates a center
    GOVERNMENT = "government"  # a bureau running a voucher program
    PLATFORM = "platform"  # the platform operator itself
    AUDITOR = "auditor"  # a third-party audit firm


class Role(StrEnum):
    PLATFORM_OPERATOR = "platform_operator"  # 平台运营方
    PROVIDER_ADMIN = "provider_admin"  # 算力供给方管理员
    ORG_ADMIN = "org_admin"
    ORG_MEMBER = "org_member"
    PROGRAM_OFFICER = "program_officer"  # 主管部门经办人
    FINANCE_OFFICER = "finance_officer"  # 财政部门经办人
    AUDITOR = "auditor"  # 审计方


# Roles that act for their own organisation only; the others see across tenants for their duty.
TENANT_ROLES = frozenset({Role.ORG_ADMIN, Role.ORG_MEMBER, Role.PROVIDER_ADMIN})


@dataclass(frozen=True, slots=True)
class OrganisationFacts:
    """What eligibility predicates may read about an organisation."""

    name: str
    type: OrganisationType
    city: str
    sectors: frozenset[str] = field(default_factory=frozenset)
    sme: bool = False
    incubator: str | None = None
    affiliated_providers: frozenset[str] = field(default_factory=frozenset)  # center names (关联关系)
    profile: tuple[ProfileFact, ...] = ()  # 一企一档: recorded facts, each with its source and date

    def fact(self, key: str) -> ProfileFact | None:
        return next((f for f in self.profile if f.key == key), None)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in user, their organisation and role."""

    user_id: int
    username: str
    organisation_id: int
    role: Role

    @property
    def sees_all_tenants(self) -> bool:
        return self.role not in TENANT_ROLES

    def may_read_organisation(self, organisation_id: int) -> bool:
        return self.sees_all_tenants or organisation_id == self.organisation_id

    def may_submit_jobs(self) -> bool:
        return self.role in (Role.ORG_ADMIN, Role.ORG_MEMBER)

    def may_act_on_job(self, organisation_id: int, owner_user_id: int) -> bool:
        """Members act on their own jobs; admins on their organisation's; the operator on all."""
        if self.role == Role.PLATFORM_OPERATOR:
            return True
        if self.role == Role.ORG_ADMIN:
            return organisation_id == self.organisation_id
        return self.role == Role.ORG_MEMBER and organisation_id == self.organisation_id and owner_user_id == self.user_id


PASSWORD_MIN_LENGTH = 10


def password_problem(password: str) -> str | None:
    """The password policy: at least 10 characters mixing letters and digits."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"password must have at least {PASSWORD_MIN_LENGTH} characters"
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        return "password must mix letters and digits"
    return None
