"""Notifications over a real database (SQLite and PostgreSQL) and a real SMTP server (aiosmtpd on
loopback): the notifier files one notice per person per fact — an application granted, an
application to review, a batch awaiting approval, a job that ended, vouchers about to expire — in
the inbox and by mail as each person chose; running it again files nothing; the mail arrives at the
server in Chinese; a relay that cannot be reached is retried and finally marked failed."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.base import utcnow
from suanli.db.models.jobs import JobEventRow, JobRow
from suanli.db.models.notifications import NotificationRow, OutboundEmailRow
from suanli.db.models.vouchers import VoucherProgramRow
from suanli.db.repositories.organisations import user_by_username
from suanli.domain.errors import InvalidInput, NotFound
from suanli.services import accounts, awards, notifications, profile
from suanli.services.notifications import derive, mail
from suanli.workers.deliveries import deliver_mail
from suanli_testing import free_port


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, _server: object, _session: object, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def demo(session: Session) -> Session:
    """The demo, loaded once per database kind and copied for this test (conftest.py)."""
    return session


def _who(session: Session, username: str):  # type: ignore[no-untyped-def]
    return accounts.principal_of(user_by_username(session, username))  # type: ignore[arg-type]


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _notices(session: Session, username: str, kind: str | None = None) -> list[NotificationRow]:
    rows = notifications.inbox(session, principal=_who(session, username)).rows
    return [r for r in rows if kind is None or r.kind == kind]


def test_each_person_is_told_of_each_fact_once_and_as_they_chose(demo: Session) -> None:
    zhixing = _who(demo, "zhixing-admin")
    notifications.save_settings(demo, principal=zhixing, email="ops@zhixing.example", inbox_kinds=["application_decided"],
                                mail_kinds=["job_ended"])
    job = JobRow(name="训练-通知", command="echo", organisation_id=zhixing.organisation_id, user_id=zhixing.user_id,
                 state="succeeded", request={}, devices=1, time_limit_s=60)
    demo.add(job)
    demo.flush()
    demo.add(JobEventRow(job_id=job.id, from_state="running", to_state="succeeded", reason="center reports succeeded"))
    demo.flush()

    filed = derive.derive(demo, now=NOW)
    assert filed > 0
    batch = _notices(demo, "finance", "batch_awaiting_approval")
    assert len(batch) == 1, [(n.key, n.subject_zh, n.kind) for n in batch]
    assert "待审批" in batch[0].subject_zh and batch[0].link == "/batches"
    granted = _notices(demo, "zhixing-admin", "application_decided")
    transport = [n for n in granted if n.subject_zh.startswith("申领已核定：成都城市交通大模型")]
    assert len(transport) == 1 and "¥200,000.00" in transport[0].subject_zh
    assert all(n.subject_zh.startswith("申领已核定") for n in granted)  # the demo rejects none of theirs
    to_review = _notices(demo, "officer", "application_to_review")
    assert any(n.subject_zh.startswith("新申领待审核：中小企业算力撮合服务") for n in to_review)
    assert _notices(demo, "yilian-admin", "application_decided") and not any(
        "成都城市交通大模型" in n.subject_zh for n in _notices(demo, "yilian-admin"))
    # Muted in the inbox, wanted by mail: no inbox row, one mail.
    assert _notices(demo, "zhixing-admin", "job_ended") == []
    mails = demo.scalars(select(OutboundEmailRow).where(OutboundEmailRow.user_id == zhixing.user_id)).all()
    mine = {j.id for j in demo.scalars(select(JobRow).where(JobRow.user_id == zhixing.user_id))}
    assert f"job:{job.id}:ended" in {m.key for m in mails}
    assert all(m.key.startswith("job:") and int(m.key.split(":")[1]) in mine for m in mails)  # only mail for job_ended
    assert any("训练-通知" in m.subject and "已成功" in m.subject for m in mails)
    # Nobody else's job end reaches this person, and no one is told twice.
    assert derive.derive(demo, now=NOW) == 0
    assert notifications.unread_count(demo, principal=_who(demo, "finance")) == 1


def test_a_fresh_deployment_tells_the_last_day_and_not_its_whole_history(demo: Session) -> None:
    later = utcnow() + timedelta(days=3)  # the demo's facts are now three days old
    assert derive.derive(demo, now=later) == 0
    assert _notices(demo, "finance") == [] and _notices(demo, "officer") == []
    zhixing = _who(demo, "zhixing-admin")
    job = JobRow(name="新作业", command="echo", organisation_id=zhixing.organisation_id, user_id=zhixing.user_id,
                 state="failed", request={}, devices=1, time_limit_s=60)
    demo.add(job)
    demo.flush()
    demo.add(JobEventRow(job_id=job.id, from_state="running", to_state="failed", reason="exit 1"))
    demo.flush()
    assert derive.derive(demo, now=later) == 1  # what happens after the first run is told
    assert [n.key for n in _notices(demo, "zhixing-admin", "job_ended")] == [f"job:{job.id}:ended"]


def test_program_officers_are_told_once_when_a_programs_grants_reach_80_and_100_percent(demo: Session) -> None:
    programs = demo.scalars(select(VoucherProgramRow).where(VoucherProgramRow.granted_fen > 0)
                            .order_by(VoucherProgramRow.id)).all()
    full, quiet = programs[0], programs[-1]
    assert full.id != quiet.id
    full.budget_fen = int(full.granted_fen) - int(full.returned_fen) - int(full.clawed_back_fen)  # all of it granted
    quiet.budget_fen = int(quiet.granted_fen) * 2  # half of it
    demo.flush()
    derive.derive(demo, now=NOW)
    told = {n.key: n for n in _notices(demo, "officer", "budget_threshold")}
    assert {f"program:{full.id}:budget:80", f"program:{full.id}:budget:100"} <= set(told)
    assert not any(k.startswith(f"program:{quiet.id}:") for k in told)
    assert "100%" in told[f"program:{full.id}:budget:100"].subject_zh and told[f"program:{full.id}:budget:100"].link \
        == f"/programs/{full.id}"
    assert _notices(demo, "zhixing-admin", "budget_threshold") == []  # officers only
    assert derive.derive(demo, now=NOW) == 0  # once per threshold per program


def test_administrators_are_told_once_of_each_policy_they_newly_match_a_few_organisations_per_run(
        demo: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(derive, "MAX_POLICY_ORGANISATIONS", 1)
    zhixing, yilian = _who(demo, "zhixing-admin"), _who(demo, "yilian-admin")
    expected = {who.username: {f"policy:{who.organisation_id}:{m['item']}:{m['year']}"
                               for m in awards.home_matches(demo, principal=who, organisation_id=who.organisation_id,
                                                            today=NOW.date())} for who in (zhixing, yilian)}
    assert expected["zhixing-admin"] and expected["yilian-admin"]
    derive.derive(demo, now=NOW)  # one organisation's changed profile this run …
    told = {u: {n.key for n in _notices(demo, u, "policy_match")} for u in expected}
    assert [bool(keys) for keys in told.values()].count(True) == 1
    for _ in range(5):  # … the other's at the next ones
        derive.derive(demo, now=NOW)
    told = {u: {n.key for n in _notices(demo, u, "policy_match")} for u in expected}
    assert told == expected
    assert derive.derive(demo, now=NOW) == 0  # once per item
    assert _notices(demo, "zhixing-dev", "policy_match") == []  # administrators only
    # A new fact in one profile recomputes that organisation only, and tells nothing already told.
    profile.record_fact(demo, actor=_who(demo, "officer"), organisation_id=zhixing.organisation_id, key="note",
                        value="x", source="test", as_of=NOW.date())
    assert derive.derive(demo, now=NOW) == 0


def test_vouchers_about_to_expire_are_announced_to_the_organisation_once(demo: Session) -> None:
    derive.derive(demo, now=NOW)
    assert _notices(demo, "zhixing-admin", "wallet_expiring") == []  # a year left
    later = datetime(2027, 11, 15, tzinfo=UTC)
    assert derive.derive(demo, now=later) > 0
    warning = _notices(demo, "zhixing-admin", "wallet_expiring")
    assert len(warning) == 1 and "到期" in warning[0].subject_zh and warning[0].link == "/vouchers"
    assert derive.derive(demo, now=later + timedelta(days=1)) == 0


def test_mail_reaches_a_real_smtp_server_in_chinese(demo: Session, sessions: sessionmaker[Session],
                                                    smtp: tuple[Inbox, int]) -> None:
    handler, port = smtp
    notifications.save_settings(demo, principal=_who(demo, "finance"), email="finance@cdczj.example",
                                inbox_kinds=["batch_awaiting_approval"], mail_kinds=["batch_awaiting_approval"])
    derive.derive(demo, now=NOW, public_url="https://suanli.example")
    demo.commit()
    relay = mail.Relay("127.0.0.1", port, "noreply@suanli.example")
    assert deliver_mail(sessions, relay=relay, now=NOW) == (1, 0)
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert message["To"] == "finance@cdczj.example" and message["From"] == "noreply@suanli.example"
    assert "拨付批次" in message["Subject"] and "待审批" in message["Subject"]
    body = message.get_content()
    assert "制单" in body and "https://suanli.example/batches" in body and "awaits approval" in body
    demo.expire_all()
    row = demo.scalars(select(OutboundEmailRow)).one()
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1
    demo.commit()  # SQLite has one writer: the reading session lets the delivery worker in
    assert deliver_mail(sessions, relay=relay, now=NOW) == (0, 0)


def test_a_relay_that_cannot_be_reached_is_retried_then_marked_failed(demo: Session, sessions: sessionmaker[Session]) -> None:
    notifications.save_settings(demo, principal=_who(demo, "finance"), email="finance@cdczj.example",
                                inbox_kinds=[], mail_kinds=["batch_awaiting_approval"])
    derive.derive(demo, now=NOW)
    assert _notices(demo, "finance") == []  # inbox muted
    demo.commit()
    dead = mail.Relay("127.0.0.1", free_port(), "noreply@suanli.example", timeout_s=2)
    at = NOW
    for attempt in range(1, mail.MAX_ATTEMPTS + 1):
        assert deliver_mail(sessions, relay=dead, now=at) == (0, 1)
        demo.expire_all()
        row = demo.scalars(select(OutboundEmailRow)).one()
        assert row.attempts == attempt and row.last_error and row.status in ("pending", "failed")
        demo.commit()
        assert deliver_mail(sessions, relay=dead, now=at) == (0, 0)  # not due again yet
        at = row.next_attempt_at
    assert row.status == "failed"


def test_a_claimed_mail_is_not_sent_by_a_second_worker_and_a_dead_workers_lease_runs_out(
        demo: Session, sessions: sessionmaker[Session], smtp: tuple[Inbox, int]) -> None:
    handler, port = smtp
    notifications.save_settings(demo, principal=_who(demo, "finance"), email="finance@cdczj.example",
                                inbox_kinds=[], mail_kinds=["batch_awaiting_approval"])
    derive.derive(demo, now=NOW)
    demo.commit()
    relay = mail.Relay("127.0.0.1", port, "noreply@suanli.example")
    # A worker claims the mail, commits the claim and dies before sending it.
    with sessions.begin() as dying:
        (claimed,) = mail.claim(dying, now=NOW)
    assert claimed.attempt == 1
    # While its lease lasts another worker finds nothing to send; no transaction is open meanwhile.
    assert deliver_mail(sessions, relay=relay, now=NOW + mail.LEASE - timedelta(seconds=1)) == (0, 0)
    assert handler.messages == []
    # The lease runs out: the next worker sends it, once; the dead worker's late record is refused.
    assert deliver_mail(sessions, relay=relay, now=NOW + mail.LEASE) == (1, 0)
    assert len(handler.messages) == 1
    with sessions.begin() as late:
        assert mail.record(late, claimed, None, now=NOW) is False
    demo.expire_all()
    row = demo.scalars(select(OutboundEmailRow)).one()
    assert (row.status, row.attempts) == ("sent", 2)
    demo.commit()
    assert deliver_mail(sessions, relay=relay, now=NOW + 2 * mail.LEASE) == (0, 0)


def test_settings_are_checked_and_another_persons_notice_does_not_exist(demo: Session) -> None:
    derive.derive(demo, now=NOW)
    with pytest.raises(InvalidInput):
        notifications.save_settings(demo, principal=_who(demo, "finance"), email="not-an-address", inbox_kinds=[],
                                    mail_kinds=[])
    with pytest.raises(InvalidInput):  # a kind this role never receives
        notifications.save_settings(demo, principal=_who(demo, "finance"), email="", inbox_kinds=["job_ended"], mail_kinds=[])
    notice = _notices(demo, "finance")[0]
    with pytest.raises(NotFound):
        notifications.mark_read(demo, principal=_who(demo, "officer"), notification_id=notice.id)
    notifications.mark_read(demo, principal=_who(demo, "finance"), notification_id=notice.id)
    assert notifications.unread_count(demo, principal=_who(demo, "finance")) == 0
