"""Lists page by cursor and never cut silently: a full page carries `Link: <…>; rel="next"` with the
cursor and the same filters; following it visits every row once, in the list's order, with no Link
on the last page. Tenants page only through their own rows. SQLite and PostgreSQL."""

from suanli.db.uow import unit_of_work
from suanli.domain.ledger import AccountPurpose, OwnerKind, credit, debit
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import ledger


def follow(api, path, headers):
    """Every page from `path` on, following rel="next"; the rows and the number of pages."""
    rows, pages = [], 0
    while path:
        answer = api.client.get(path, headers=headers)
        assert answer.status_code == 200, answer.text
        rows += answer.json()
        pages += 1
        path = answer.links.get("next", {}).get("url")
        assert pages < 50, "the Link chain does not end"
    return rows, pages


def test_accounts_page_by_cursor_with_their_filters_and_tenants_see_only_theirs(api):
    operator = api.organisation("operator", OrganisationType.PLATFORM)
    org = api.organisation("org-a")
    other = api.organisation("org-b")
    finance = api.user("fin", Role.FINANCE_OFFICER, operator)
    member = api.user("anna", Role.ORG_ADMIN, org)
    with unit_of_work(api.sessions) as s:
        for i in range(7):
            ledger.open_account(s, purpose=AccountPurpose.VOUCHER_WALLET, owner_kind=OwnerKind.ORGANISATION,
                                owner_id=org, scope=f"w{i}")
        for i in range(4):
            ledger.open_account(s, purpose=AccountPurpose.VOUCHER_WALLET, owner_kind=OwnerKind.ORGANISATION,
                                owner_id=other, scope=f"w{i}")
    everything = api.client.get("/api/v1/ledger/accounts?limit=500", headers=finance).json()
    rows, pages = follow(api, f"/api/v1/ledger/accounts?owner_id={org}&owner_kind=organisation&limit=3", finance)
    ids = [r["id"] for r in rows]
    assert len(ids) == 7 and ids == sorted(ids) and len(set(ids)) == 7 and pages == 3
    assert {r["owner_id"] for r in rows} == {org}  # the filter travelled in the Link
    assert len(everything) >= 11
    first = api.client.get("/api/v1/ledger/accounts?limit=3", headers=finance)
    assert 'rel="next"' in first.headers["link"] and "after=" in first.headers["link"]
    last = api.client.get(f"/api/v1/ledger/accounts?limit=500&after={everything[-1]['id']}", headers=finance)
    assert last.json() == [] and "link" not in last.headers
    # A tenant pages through its own accounts only, whatever owner it asks for.
    own, _ = follow(api, f"/api/v1/ledger/accounts?owner_id={other}&limit=2", member)
    assert own and {r["owner_id"] for r in own} == {org}


def test_jobs_page_newest_first_to_the_end_and_bounds_are_problems(api):
    api.load_federation()
    org = api.organisation("org-a")
    api.user("alice", Role.ORG_MEMBER, org)
    other = api.organisation("org-b")
    api.user("bob", Role.ORG_MEMBER, other)
    body = {"command": "true", "time_limit_s": 60, "center": "local", "pool": "cpu", "resources": {"devices": 1}}
    mine = [api.client.post("/api/v1/jobs", json={**body, "name": f"j{i}"}, headers=api.auth("alice")).json()["id"]
            for i in range(5)]
    api.client.post("/api/v1/jobs", json={**body, "name": "theirs"}, headers=api.auth("bob"))
    rows, pages = follow(api, "/api/v1/jobs?limit=2", api.auth("alice"))
    assert [r["id"] for r in rows] == sorted(mine, reverse=True) and pages == 3
    filtered, _ = follow(api, "/api/v1/jobs?limit=2&state=queued&state=running", api.auth("alice"))
    assert {r["id"] for r in filtered} <= set(mine)
    for bad in ("limit=0", "limit=501", "after=-1", "after=x"):
        refused = api.client.get(f"/api/v1/jobs?{bad}", headers=api.auth("alice"))
        assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")


def test_the_audit_log_pages_by_seq(api):
    operator = api.organisation("operator", OrganisationType.PLATFORM)
    officer = api.user("operator-1", Role.PLATFORM_OPERATOR, operator)
    for i in range(5):
        api.user(f"member-{i}", Role.ORG_MEMBER, operator)  # each new user is an audit event
    rows, pages = follow(api, "/api/v1/audit/events?limit=2", officer)
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) >= 5 and pages >= 3


def test_an_accounts_transfers_page_newest_first_each_once_among_other_accounts_transfers(api):
    operator = api.organisation("operator", OrganisationType.PLATFORM)
    finance = api.user("fin", Role.FINANCE_OFFICER, operator)
    org, provider = api.organisation("org-a"), api.organisation("provider")
    with unit_of_work(api.sessions) as s:
        def account(purpose, kind, owner, scope=""):
            return ledger.open_account(s, purpose=purpose, owner_kind=kind, owner_id=owner, scope=scope).id

        cash, budget = account(AccountPurpose.CASH, OwnerKind.PLATFORM, None), account(
            AccountPurpose.PROGRAM_BUDGET, OwnerKind.PROGRAM, 1)
        wallet, other = (account(AccountPurpose.VOUCHER_WALLET, OwnerKind.ORGANISATION, org, f"program:{p}")
                         for p in (1, 2))
        payable = account(AccountPurpose.PROVIDER_PAYABLE, OwnerKind.ORGANISATION, provider)
        ledger.transfer(s, idempotency_key="deposit", legs=[debit(cash, 10_000), credit(budget, 10_000)])
        for target in (wallet, other):
            ledger.transfer(s, idempotency_key=f"grant-{target}", legs=[debit(budget, 1_000), credit(target, 1_000)],
                            source_kind="grant")
        for i in range(3):
            for w in (wallet, other):
                hold = ledger.reserve(s, idempotency_key=f"hold-{w}-{i}", debit_account_id=w, credit_account_id=payable,
                                      amount_fen=100)
                if i == 0:  # three legs: the clearing account, the payable and the rest back to the wallet
                    ledger.post(s, idempotency_key=f"post-{w}-{i}", pending_id=hold.id, amount_fen=60)
                elif i == 1:  # the wallet's money stays with the payable, the wallet is not on the post
                    ledger.post(s, idempotency_key=f"post-{w}-{i}", pending_id=hold.id)
                else:
                    ledger.void(s, idempotency_key=f"void-{w}-{i}", pending_id=hold.id)
    everything, _ = follow(api, "/api/v1/ledger/transfers?limit=500", finance)
    expected = [t["id"] for t in everything if wallet in {x["account_id"] for x in t["legs"]}]
    rows, pages = follow(api, f"/api/v1/ledger/transfers?account_id={wallet}&limit=2", finance)
    ids = [r["id"] for r in rows]
    assert ids == expected == sorted(set(expected), reverse=True) and len(ids) == 6  # grant, 3 holds, post, void
    assert pages == 3
    assert all(wallet in {x["account_id"] for x in r["legs"]} for r in rows)
    grants, _ = follow(api, f"/api/v1/ledger/transfers?account_id={wallet}&source_kind=grant&limit=2", finance)
    assert [r["idempotency_key"] for r in grants] == [f"grant-{wallet}"]  # the filter before the page, not after
