"""PDF rendering with ReportLab: A4, a TrueType CJK font embedded (subset) so Chinese prints the same
on any machine, a header block, the table with a header row repeated on every page, totals in yuan
and page numbers. The font is the first found of `SUANLI_PDF_FONT` (a .ttf/.ttc path) and the
Debian CJK TrueType fonts (`fonts-wqy-microhei`, `fonts-wqy-zenhei`); ReportLab cannot embed the
CFF-based Noto CJK OpenType files."""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from suanli.domain.errors import SuanliError
from suanli.services.documents.model import Document, Kind, shown

FONT = "SuanliCJK"
CANDIDATES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
              "/usr/share/fonts/truetype/arphic/uming.ttc")


class FontUnavailable(SuanliError):
    status, slug, title = 503, "pdf-font-unavailable", "No Chinese font for PDF documents"


@lru_cache(maxsize=1)
def _font() -> str:
    """Register the CJK font once per process, on first use (never at import)."""
    configured = os.environ.get("SUANLI_PDF_FONT", "")
    for path in ([configured] if configured else []) + list(CANDIDATES):
        if path and Path(path).is_file():
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0) if path.endswith(".ttc") else TTFont(FONT, path))
            return FONT
    raise FontUnavailable("no CJK TrueType font found: install fonts-wqy-microhei or set SUANLI_PDF_FONT")


def to_pdf(doc: Document) -> bytes:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, alignment=1)
    right = ParagraphStyle("right", parent=body, alignment=2)
    buffer = io.BytesIO()
    wide = len(doc.columns) > 6
    page = landscape(A4) if wide else A4
    template = SimpleDocTemplate(buffer, pagesize=page, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                                 bottomMargin=15 * mm, title=f"{doc.title} {doc.number}", author=_issuer(doc),
                                 creator="Suanli")
    story: list[object] = [Paragraph(doc.title, title), Spacer(1, 4 * mm)]
    header = [[Paragraph(k, body), Paragraph(v, body)] for k, v in doc.header]
    story += [Table(header, colWidths=[30 * mm, None], hAlign="LEFT",
                    style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)])),
              Spacer(1, 5 * mm)]
    cells = [[Paragraph(c.title, body) for c in doc.columns]]
    for row in doc.rows:
        cells.append([Paragraph(shown(v, c.kind), right if c.kind is not Kind.TEXT else body)
                      for v, c in zip(row, doc.columns, strict=True)])
    if not doc.rows:
        cells.append([Paragraph("（无明细）", body)] + [""] * (len(doc.columns) - 1))
    table = Table(cells, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [table, Spacer(1, 5 * mm)]
    totals = [[Paragraph(k, right), Paragraph(shown(v, Kind.YUAN), right)] for k, v in doc.totals]
    story.append(Table(totals, colWidths=[50 * mm, 40 * mm], hAlign="RIGHT",
                       style=TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)])))
    for note in doc.notes:
        story += [Spacer(1, 3 * mm), Paragraph(note, body)]

    def number_pages(canvas: object, frame_doc: object) -> None:
        canvas.setFont(font, 8)  # type: ignore[attr-defined]
        canvas.drawRightString(page[0] - 15 * mm, 8 * mm,  # type: ignore[attr-defined]
                               f"{doc.number} · 第 {frame_doc.page} 页")  # type: ignore[attr-defined]

    template.build(story, onFirstPage=number_pages, onLaterPages=number_pages)
    return buffer.getvalue()


def _issuer(doc: Document) -> str:
    return next((v for k, v in doc.header if k == "开具方"), "")
