"""The navigation each role sees: (path, label) pairs, labels being msgids."""

from __future__ import annotations

from suanli.domain.organisations import Principal, Role
from suanli.web.i18n import N_

HOME = ("/home", N_("Home"))
DASHBOARD = ("/dashboard", N_("Platform dashboard"))
MARKET = ("/market", N_("Marketplace"))

MENUS: dict[Role, list[tuple[str, str]]] = {
    Role.ORG_ADMIN: [HOME, MARKET, ("/jobs/new", N_("New job")), ("/jobs", N_("Jobs")),
                     ("/vouchers", N_("Vouchers")), ("/invoices", N_("Invoices")), DASHBOARD],
    Role.ORG_MEMBER: [HOME, MARKET, ("/jobs/new", N_("New job")), ("/jobs", N_("Jobs")), DASHBOARD],
    Role.PROGRAM_OFFICER: [HOME, ("/programs", N_("Programs")), ("/applications", N_("Application queue")),
                           DASHBOARD],
    Role.FINANCE_OFFICER: [HOME, ("/batches", N_("Disbursement batches")), ("/reserves", N_("Reserve funds")),
                           ("/applications", N_("Application queue")), ("/programs", N_("Programs")), DASHBOARD],
    Role.PROVIDER_ADMIN: [HOME, ("/provider", N_("My center")), MARKET, DASHBOARD],
    Role.PLATFORM_OPERATOR: [HOME, ("/operator/centers", N_("Centers")), ("/operator/users", N_("Users and roles")),
                             MARKET, ("/programs", N_("Programs")), ("/applications", N_("Application queue")),
                             ("/batches", N_("Disbursement batches")), ("/reserves", N_("Reserve funds")),
                             ("/audit", N_("Transparency log")), DASHBOARD],
    Role.AUDITOR: [HOME, ("/audit", N_("Transparency log")), ("/audit/verify", N_("Verify a receipt")),
                   ("/reserves", N_("Reserve funds")), DASHBOARD],
}

# The city's other AI policies (issue 17): every menu gains the public opportunity board and indicator page
# (before the dashboard); officers gain their desks for them.
OPPORTUNITIES = ("/opportunities", N_("Opportunity list"))
INDICATORS = ("/indicators", N_("Industry indicators"))
AI_POLICY_DESKS = {Role.PROGRAM_OFFICER: [("/awards", N_("Incentive awards")),
                                          ("/awards/profile", N_("Organisation profiles")),
                                          ("/opportunities/batches", N_("Opportunity batches")),
                                          ("/indicators/manage", N_("Indicator figures"))],
                   Role.ORG_ADMIN: [("/awards/matches", N_("Policy matches"))],
                   Role.ORG_MEMBER: [("/awards/matches", N_("Policy matches"))]}
for _role, _items in MENUS.items():
    _items[-1:-1] = [*AI_POLICY_DESKS.get(_role, []), OPPORTUNITIES, INDICATORS]


# The data exchange (数据交易所, issue 18): for every role that trades data or runs the exchange.
EXCHANGE = ("/exchange", N_("Data exchange"))
for _role in (Role.ORG_ADMIN, Role.ORG_MEMBER, Role.PROVIDER_ADMIN, Role.PLATFORM_OPERATOR):
    MENUS[_role].insert(len(MENUS[_role]) - 1, EXCHANGE)


def menu(principal: Principal | None) -> list[tuple[str, str]]:
    if principal is None:
        return [OPPORTUNITIES, INDICATORS, DASHBOARD]
    return MENUS.get(principal.role, [HOME, DASHBOARD])
