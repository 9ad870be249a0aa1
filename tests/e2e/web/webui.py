"""Helpers for the browser tests: the running server's address and passwords, sign-in, screenshots,
and the voucher program file the tests load."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "web"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

PROGRAM = """
id: {code}
title: {{zh: {title_zh}, en: {title_en}}}
issuer: {{zh: 成都市经济和信息化局, en: Chengdu Municipal Bureau of Economy and Information Technology}}
year: 2026
budget_fen: 1_000_000_000
side: demand
settlement: reserve_fund
demand:
  ratios: {{compute: 30}}
eligibility:
  - id: org.user-type
    require: {{types: [intermediary, enterprise, maker, research_institute, university]}}
    message: {{zh: 申领单位须为企业、创客、科研院所或高校, en: "applicants are enterprises, makers, institutes or universities"}}
orders:
  designated_providers: [nscc-chengdu, chengdu-aicc]
  through_platform: true
windows:
  - {{opens: 2026-01-01, closes: 2027-12-31}}
validity: {{expires_on: 2027-12-31}}
review_stages:
  - name: expert-review
    role: program_officer
    actor: {{zh: 评审专家, en: expert reviewer}}
    scored: true
    min_score: 60
  - name: officer-approval
    role: program_officer
    actor: {{zh: 市经信局经办人, en: program officer of the city bureau}}
priority_sectors: [transport, healthcare]
"""


def program_text(code: str, title_zh: str, title_en: str) -> str:
    return PROGRAM.format(code=code, title_zh=title_zh, title_en=title_en)


@dataclass
class Server:
    url: str
    passwords: dict[str, str]
    sessions: object
    data_dir: Path | None = None  # the server's data directory (uploaded documents are stored there)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def sign_in(page: object, server: Server, username: str, lang: str = "zh_CN") -> None:
    page.goto(f"/signin?lang={lang}")  # type: ignore[attr-defined]
    page.fill("#username", username)  # type: ignore[attr-defined]
    page.fill("#password", server.passwords[username])  # type: ignore[attr-defined]
    page.click("form.stack button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url("**/home")  # type: ignore[attr-defined]


