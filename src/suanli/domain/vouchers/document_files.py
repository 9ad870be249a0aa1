"""What an evidence file (证明材料) is, told by its first bytes rather than by what the browser claims:
a PDF, a PNG or a JPEG (scans and photos of invoices, bills and approvals). The type the upload claims
and the file name's extension must agree with the bytes; a file that is none of the three, or that
says it is one thing while being another (an HTML page named `invoice.pdf`), is refused, so what a
reviewer downloads is what its name and recorded type say."""

from __future__ import annotations

from dataclasses import dataclass

from suanli.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class DocumentType:
    media_type: str
    name: str
    signature: bytes
    extensions: tuple[str, ...]
    aliases: tuple[str, ...] = ()  # other spellings browsers and scanners send


ACCEPTED = (
    DocumentType("application/pdf", "PDF", b"%PDF", (".pdf",), ("application/x-pdf",)),
    DocumentType("image/png", "PNG", b"\x89PNG\r\n\x1a\n", (".png",)),
    DocumentType("image/jpeg", "JPEG", b"\xff\xd8\xff", (".jpg", ".jpeg"), ("image/jpg", "image/pjpeg")),
)
UNSTATED = ("", "application/octet-stream")  # no claim: the bytes decide


def document_type(data: bytes, *, filename: str, claimed: str) -> DocumentType:
    """The accepted type the bytes are; `claimed` is the upload's media type, lower-cased, no parameters."""
    found = next((t for t in ACCEPTED if data.startswith(t.signature)), None)
    if found is None:
        raise InvalidInput("the file is not a PDF, PNG or JPEG document (its content is none of them) / "
                           "文件内容不是 PDF、PNG 或 JPEG 文档", field="file")
    if claimed not in UNSTATED and claimed not in (found.media_type, *found.aliases):
        raise InvalidInput(f"the file is sent as {claimed} but its content is a {found.name} / "
                           f"文件以 {claimed} 类型上传，但内容是 {found.name}", field="file", content_type=claimed)
    dot = filename.rfind(".")
    extension = filename[dot:].lower() if dot > 0 else ""
    if extension not in found.extensions:
        shown = extension or "(none)"
        raise InvalidInput(f"the file name's extension {shown} does not match its content, a {found.name} (name it "
                           f"{found.extensions[0]}) / 文件扩展名 {shown} 与内容（{found.name}）不符，应为 "
                           f"{found.extensions[0]}", field="file")
    return found
