"""Redemption batches on both databases: many holds, posts and voids in one unit of work, each item
with its own idempotency key. Replays answer with the original, a reused key with another body is a
409 naming the item, a bad item fails the whole batch with nothing written, the invariants hold, and
overlapping batches from several threads neither overdraw nor double-post."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.engine import make_engine
from suanli.db.models.audit import AuditEvent
from suanli.db.models.ledger import LedgerTransferRow
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.errors import IdempotencyConflict, InvalidInput, SuanliError
from suanli.domain.ledger import AccountPurpose, InsufficientFunds, OwnerKind, UnknownTransfer, credit, debit
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import audit, ledger
from suanli.services.ledger import Post, Reserve, Void


def wallets_and_payables(sessions: sessionmaker[Session], wallets: int = 3, payables: int = 2,
                         funds: int = 10_000) -> tuple[list[int], list[int]]:
    with unit_of_work(sessions) as s:
        equity = ledger.open_account(s, purpose=AccountPurpose.EQUITY, owner_kind=OwnerKind.PLATFORM).id
        ws = [ledger.open_account(s, purpose=AccountPurpose.VOUCHER_WALLET, owner_kind=OwnerKind.ORGANISATION,
                                  owner_id=10 + n, scope="program:1").id for n in range(wallets)]
        for n, wallet in enumerate(ws):
            ledger.transfer(s, idempotency_key=f"fund:{n}", legs=[debit(equity, funds), credit(wallet, funds)])
        ps = [ledger.open_account(s, purpose=AccountPurpose.PROVIDER_PAYABLE, owner_kind=OwnerKind.ORGANISATION,
                                  owner_id=100 + n).id for n in range(payables)]
    return ws, ps


def transfer_count(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as s:
        return int(s.scalar(select(func.count()).select_from(LedgerTransferRow)) or 0)


def test_a_batch_reserves_then_posts_and_voids_with_one_audit_event_per_transfer(sessions: sessionmaker[Session]) -> None:
    (w1, w2, _), (p1, p2) = wallets_and_payables(sessions)
    with unit_of_work(sessions) as s:  # w2's owner has no clearing account yet: the batch opens it
        held = ledger.redeem_batch(s, items=[Reserve("r1", w1, p1, 1_000), Reserve("r2", w2, p2, 600),
                                             Reserve("r3", w1, p2, 400)])
    assert [h.status for h in held] == ["pending"] * 3 and not any(h.replayed for h in held)
    with unit_of_work(sessions) as s:
        audit.catch_up(s)
        events_before = int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)
        done = ledger.redeem_batch(s, items=[Post("p1", held[0].id, 900), Void("v2", held[1].id),
                                             Post("p3a", held[2].id, 100, final=False), Post("p3b", held[2].id)])
        audit.catch_up(s)  # the batch's own events are in the outbox until sequenced
        assert int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0) == events_before + 4
    assert [d.kind for d in done] == ["post", "void", "post", "post"]
    with unit_of_work(sessions) as s:
        balances = {a: ledger.natural_balance(ledger.get_account(s, account_id=a)) for a in (w1, w2, p1, p2)}
        assert ledger.get_transfer(s, transfer_id=held[2].id).status == "posted"
        assert ledger.check_consistency(s) == []
    assert balances == {w1: 10_000 - 900 - 400, w2: 10_000, p1: 900, p2: 400}


def test_replayed_items_answer_with_their_original_and_a_changed_body_is_a_409_naming_the_item(
        sessions: sessionmaker[Session]) -> None:
    (w1, _, _), (p1, _) = wallets_and_payables(sessions)
    with unit_of_work(sessions) as s:
        first = ledger.redeem_batch(s, items=[Reserve("a", w1, p1, 100), Reserve("b", w1, p1, 200)])
    with unit_of_work(sessions) as s:  # one replay, one new item
        again = ledger.redeem_batch(s, items=[Reserve("b", w1, p1, 200), Reserve("c", w1, p1, 300)])
    assert again[0].replayed and again[0].id == first[1].id and again[0].amount_fen == 200
    assert not again[1].replayed
    with unit_of_work(sessions) as s:  # a single call and a batch share one key space
        assert ledger.reserve(s, idempotency_key="c", debit_account_id=w1, credit_account_id=p1,
                              amount_fen=300).id == again[1].id
    before = transfer_count(sessions)
    with pytest.raises(IdempotencyConflict) as refused, unit_of_work(sessions) as s:
        ledger.redeem_batch(s, items=[Reserve("d", w1, p1, 50), Reserve("a", w1, p1, 101)])
    assert refused.value.extra["item"] == 1 and refused.value.detail.startswith("items[1]: ")
    assert transfer_count(sessions) == before


@pytest.mark.parametrize("bad, index, error", [
    (Reserve("x", 0, 0, 5), 1, "unknown-account"),
    (Reserve("x", -1, -2, 0), 1, "invalid-amount"),
    (Post("x", 999_999), 1, "unknown-transfer"),
    (Reserve("ok-0", 1, 2, 5), 1, "invalid-input"),  # a key used twice in one batch
    (Reserve("x", None, None, 10**9), 1, "insufficient-funds"),
])
def test_a_bad_item_fails_the_whole_batch_naming_its_index_and_writes_nothing(
        sessions: sessionmaker[Session], bad: Reserve | Post, index: int, error: str) -> None:
    (w1, _, _), (p1, _) = wallets_and_payables(sessions)
    if isinstance(bad, Reserve) and bad.debit_account_id is None:
        bad = Reserve(bad.idempotency_key, w1, p1, bad.amount_fen)
    before = transfer_count(sessions)
    with pytest.raises(SuanliError) as refused, unit_of_work(sessions) as s:
        ledger.redeem_batch(s, items=[Reserve("ok-0", w1, p1, 100), bad, Reserve("ok-2", w1, p1, 100)])
    assert refused.value.slug == error and refused.value.extra["item"] == index
    assert f"items[{index}]" in refused.value.detail
    assert transfer_count(sessions) == before


def test_items_are_checked_in_order_against_the_balances_the_items_before_leave(sessions: sessionmaker[Session]) -> None:
    (w1, _, _), (p1, _) = wallets_and_payables(sessions, funds=1_000)
    with unit_of_work(sessions) as s:
        hold = ledger.redeem_batch(s, items=[Reserve("h", w1, p1, 1_000)])[0]
    with pytest.raises(InsufficientFunds) as refused, unit_of_work(sessions) as s:
        ledger.redeem_batch(s, items=[Reserve("h2", w1, p1, 1)])  # the wallet is all on hold
    assert refused.value.extra["item"] == 0
    with unit_of_work(sessions) as s:  # releasing 400 first makes room for the reserve after it
        out = ledger.redeem_batch(s, items=[Post("p", hold.id, 600), Reserve("h3", w1, p1, 400)])
    assert out[1].status == "pending"
    with pytest.raises(UnknownTransfer), unit_of_work(sessions) as s:
        ledger.redeem_batch(s, items=[Void("v", out[1].id), Post("p2", out[0].id)])  # a post is not a hold
    with pytest.raises(InvalidInput):
        ledger.redeem_batch(None, items=[])  # type: ignore[arg-type]


def test_overlapping_batches_from_several_threads_never_overdraw_or_post_twice(db_url: str) -> None:
    postgres = db_url.startswith("postgresql")
    clients, rounds = (6, 5) if postgres else (4, 4)
    engine = make_engine(db_url, **({"pool_size": clients + 2} if postgres else {}))
    sessions = session_factory(engine)
    wallets, payables = wallets_and_payables(sessions, wallets=3, payables=2, funds=20_000)
    with unit_of_work(sessions) as s:
        holds = [h.id for h in ledger.redeem_batch(s, items=[
            Reserve(f"seed:{n}", wallets[n % 3], payables[n % 2], 1_000) for n in range(12)])]
    failures: list[BaseException] = []
    posted: dict[int, list[int]] = {}

    def client(n: int) -> None:
        rng = random.Random(n)
        for r in range(rounds):
            items: list[Any] = [Reserve(f"c{n}:{r}:{k}", rng.choice(wallets), rng.choice(payables),
                                        rng.randint(1, 3_000)) for k in range(rng.randint(1, 8))]
            # Every client tries to post the same seeded holds, and to take the same shared hold, under
            # the same keys: each is written once, the others answer as replays.
            items += [Post(f"post:{h}", h, 700) for h in rng.sample(holds, 3)]
            items.append(Reserve(f"shared:{r}", wallets[0], payables[0], 10))
            try:
                with unit_of_work(sessions) as s:
                    out = ledger.redeem_batch(s, items=items)
                posted.setdefault(n, []).extend(o.id for o in out if o.kind == "post")
            except InsufficientFunds:
                pass  # a fair refusal: the wallets run dry
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
    with unit_of_work(sessions) as s:
        assert ledger.check_consistency(s) == []
        posts = s.scalars(select(LedgerTransferRow.parent_id).where(LedgerTransferRow.kind == "post")).all()
        assert sorted(posts) == sorted(set(posts))  # no hold posted twice
        shared = s.scalars(select(LedgerTransferRow.id).where(LedgerTransferRow.idempotency_key.like("shared:%"))).all()
        assert 0 < len(shared) <= rounds
        total = sum(ledger.natural_balance(ledger.get_account(s, account_id=a)) for a in wallets)
        assert all(ledger.natural_balance(ledger.get_account(s, account_id=a)) >= 0 for a in wallets + payables)
    assert total <= 60_000
    engine.dispose()


def test_the_batch_endpoint_answers_per_item_and_names_a_bad_item(api: Any) -> None:
    platform = api.organisation("platform", OrganisationType.PLATFORM)
    operator = api.user("operator", Role.PLATFORM_OPERATOR, platform)
    (w1, _, _), (p1, _) = wallets_and_payables(api.sessions)
    url = "/api/v1/ledger/redemptions:batch"
    items = [{"op": "reserve", "idempotency_key": "r1", "debit_account_id": w1, "credit_account_id": p1,
              "amount_fen": 500}, {"op": "reserve", "idempotency_key": "r2", "debit_account_id": w1,
                                   "credit_account_id": p1, "amount_fen": 300}]
    first = api.client.post(url, json={"items": items}, headers=operator)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["written"] == 2 and [r["status"] for r in body["results"]] == ["pending", "pending"]
    hold = body["results"][0]["id"]
    second = api.client.post(url, json={"items": [items[0], {"op": "post", "idempotency_key": "p1", "pending_id": hold,
                                                             "amount_fen": 400}]}, headers=operator)
    assert second.status_code == 201 and second.json()["replayed"] == 1
    assert second.json()["results"][0]["id"] == hold and second.json()["results"][0]["replayed"]
    assert second.json()["results"][1]["released_fen"] == 0 and second.json()["results"][1]["amount_fen"] == 500
    replay = api.client.post(url, json={"items": items}, headers=operator)
    assert replay.status_code == 200 and replay.json()["written"] == 0
    bad = api.client.post(url, json={"items": [{**items[0], "idempotency_key": "r3"},
                                               {"op": "void", "idempotency_key": "v", "pending_id": 424242}]},
                          headers=operator)
    assert bad.status_code == 404 and bad.json()["item"] == 1 and "items[1]" in bad.json()["detail"]
    invalid = api.client.post(url, json={"items": [{**items[0], "op": "refund"}]}, headers=operator)
    assert invalid.status_code == 422
    assert api.client.post(url, json={"items": []}, headers=operator).status_code == 422
    with unit_of_work(api.sessions) as s:
        assert len(ledger.list_transfers(s, account_id=w1)) == 1 + 2 + 1  # funding, two holds, one post
