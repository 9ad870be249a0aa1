"""Evidence files are what their bytes are: a PDF, PNG or JPEG whose claimed media type and file
extension agree, on SQLite and PostgreSQL. Before, any bytes were kept under any claimed type and
name (an HTML page as `invoice.pdf`, `application/pdf` on a PNG, a PDF named `.exe`); now each is a
422 problem on the `file` field with no document row, stored file or audit entry, and the type
recorded for an accepted file is the one its bytes show."""

from __future__ import annotations

from sqlalchemy import func, select
from test_voucher_documents import _setup

from suanli.db.models.vouchers import VoucherDocumentRow
from suanli_testing import events_logged_or_waiting

PDF, PNG, JPEG = b"%PDF-1.7\n1 0 obj\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\xff\xd8\xff\xe0\x00\x10JFIF"
MISMATCHED = {  # name: (file name, bytes, claimed media type, the detail's start)
    "an HTML page named .pdf": ("invoice.pdf", b"<html><script>alert(1)</script>", "application/pdf",
                                "the file is not a PDF, PNG or JPEG document"),
    "a ZIP named .pdf": ("invoice.pdf", b"PK\x03\x04\x14\x00", "application/pdf", "the file is not a PDF, PNG or JPEG"),
    "GBK text named .pdf": ("发票.pdf", "增值税发票".encode("gbk"), "application/pdf", "the file is not a PDF, PNG"),
    "a PNG sent as application/pdf": ("scan.pdf", PNG, "application/pdf",
                                      "the file is sent as application/pdf but its content is a PNG"),
    "a PDF sent as text/html": ("invoice.pdf", PDF, "text/html", "the file is sent as text/html but its content is a PDF"),
    "a PDF named .exe": ("invoice.exe", PDF, "application/pdf", "the file name's extension .exe does not match"),
    "a JPEG named .png": ("scan.png", JPEG, "image/png", "the file is sent as image/png but its content is a JPEG"),
    "a PDF without an extension": ("invoice", PDF, "application/pdf", "the file name's extension (none) does not"),
}


def _kept(api) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with api.sessions() as s:
        documents = s.scalar(select(func.count()).select_from(VoucherDocumentRow)) or 0
        return documents, events_logged_or_waiting(s)


def test_a_file_whose_bytes_type_and_name_disagree_is_refused_and_nothing_is_kept(api, settings) -> None:  # type: ignore[no-untyped-def]
    people, app_id, _ = _setup(api)
    docs = f"/api/v1/applications/{app_id}/documents"
    before = _kept(api)
    for name, (filename, data, claimed, detail) in MISMATCHED.items():
        response = api.client.post(docs, data={"kind": "invoice"}, files={"file": (filename, data, claimed)},
                                   headers=people["provider"])
        assert response.status_code == 422, (name, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), name
        body = response.json()
        assert body["type"] == "https://suanli.dev/problems/invalid-input" and body["field"] == "file", (name, body)
        assert body["detail"].startswith(detail), (name, body)
    assert _kept(api) == before
    assert not (settings.data_dir / "documents").exists()


def test_an_accepted_file_records_the_type_its_bytes_show(api) -> None:  # type: ignore[no-untyped-def]
    people, app_id, _ = _setup(api)
    docs = f"/api/v1/applications/{app_id}/documents"
    for filename, data, claimed, recorded in (("电费单.PDF", PDF, "application/octet-stream", "application/pdf"),
                                              ("scan.jpeg", JPEG, "image/jpg", "image/jpeg"),
                                              ("scan.png", PNG, "", "image/png")):
        response = api.client.post(docs, data={"kind": "electricity_use"}, files={"file": (filename, data, claimed)},
                                   headers=people["provider"])
        assert response.status_code == 201, (filename, response.text)
        assert response.json()["content_type"] == recorded
