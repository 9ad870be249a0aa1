"""A small exchange through the API: an operator, a supplier, an assessor, a buyer and a stranger
(each an organisation admin approved in its trader role by the operator), with helpers that walk a
product from registration to a certificate."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from suanli.db.models.base import utcnow
from suanli.db.models.exchange import ExchangeVersionRow
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import OrganisationType, Role

PROBLEM = "application/problem+json"
EVIDENCE = {"source_legality": "采集自市政公开数据平台，附来源说明", "authorisation": "数据授权书 2026-001",
            "pi_handling": "已去标识化，附处理报告", "security_level": "一般数据（二级）"}
CSV = "区县,日期,客流\n锦江区,2026-11-01,12034\n武侯区,2026-11-01,9876\n高新区,2026-11-01,15001\n".encode()


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/" + slug) and body["status"] == status and body["detail"]
    return body


def product_body(**overrides: Any) -> dict[str, Any]:
    body = {"title": "成都市轨道交通客流数据", "description": "按区县和日期汇总的地铁客流，用于交通规划与商业选址。",
            "sector": "交通", "source": "成都轨道交通集团闸机记录", "legal_basis": "数据授权协议",
            "pi_level": "deidentified", "update_frequency": "每日", "delivery_mode": "dataset",
            "price_model": "per_download", "price_fen": 100_000, "licence": "仅限内部分析，不得转售",
            "sample": "区县,日期,客流\n锦江区,2026-11-01,12034", "columns": [{"name": "区县"}, {"name": "客流"}]}
    body.update(overrides)
    return body


@dataclass
class Exchange:
    api: Any
    orgs: dict[str, int]

    def h(self, who: str) -> dict[str, str]:
        return self.api.auth(who)

    @property
    def c(self) -> Any:
        return self.api.client

    def register(self, content: bytes = CSV, **overrides: Any) -> tuple[int, int]:
        """A product and its first version, reviewed and in public notice: (product id, version id)."""
        product = self.c.post("/api/v1/exchange/products", json=product_body(**overrides), headers=self.h("supplier"))
        assert product.status_code == 201, product.text
        pid = product.json()["id"]
        version = self.c.post(f"/api/v1/exchange/products/{pid}/versions?label=2026.11", content=content,
                              headers={**self.h("supplier"), "X-Content-SHA256": hashlib.sha256(content).hexdigest()})
        assert version.status_code == 201, version.text
        vid = version.json()["id"]
        submitted = self.c.post(f"/api/v1/exchange/versions/{vid}/submit", headers=self.h("supplier"),
                                json={"assessor_organisation_id": self.orgs["assessor"], "evidence": EVIDENCE})
        assert submitted.status_code == 200, submitted.text
        for stage in ("source_legality", "authorisation", "personal_information", "security_level"):
            done = self.c.post(f"/api/v1/exchange/versions/{vid}/stages", headers=self.h("assessor"),
                               json={"stage": stage, "passed": True, "note": "材料齐全"})
            assert done.status_code == 200, done.text
        assert done.json()["status"] == "in_notice"
        return pid, vid

    def end_notice(self, version_id: int) -> None:
        """The notice's deadline passes (the clock is moved by moving the deadline)."""
        with unit_of_work(self.api.sessions) as s:
            s.execute(update(ExchangeVersionRow).where(ExchangeVersionRow.id == version_id)
                      .values(notice_ends_at=utcnow() - timedelta(seconds=1)))

    def certify(self, version_id: int) -> dict[str, Any]:
        self.end_notice(version_id)
        response = self.c.post(f"/api/v1/exchange/versions/{version_id}/certificate", headers=self.h("operator"))
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def listed(self, content: bytes = CSV, **overrides: Any) -> tuple[int, int, dict[str, Any]]:
        pid, vid = self.register(content, **overrides)
        return pid, vid, self.certify(vid)


def make_exchange(api: Any) -> Exchange:
    orgs = {"operator": api.organisation("platform", OrganisationType.PLATFORM)}
    api.user("operator", Role.PLATFORM_OPERATOR, orgs["operator"])
    for name, role in (("supplier", "supplier"), ("assessor", "assessor"), ("buyer", "buyer"),
                       ("stranger", "buyer")):
        orgs[name] = api.organisation(f"{name}-org")
        api.user(name, Role.ORG_ADMIN, orgs[name])
        applied = api.client.post("/api/v1/exchange/roles", json={"role": role, "statement": "申请"},
                                  headers=api.auth(name))
        assert applied.status_code == 201, applied.text
        decided = api.client.post(f"/api/v1/exchange/roles/{applied.json()['id']}/decision",
                                  json={"approve": True}, headers=api.auth("operator"))
        assert decided.json()["status"] == "approved", decided.text
    return Exchange(api, orgs)
