"""Small real PDF, Word and WARC files for tests, made with the libraries themselves.

reportlab's built-in CID font STSong-Light draws Chinese without any font file; python-docx
writes .docx; warcio writes WARC records exactly as crawlers do.
"""
from __future__ import annotations

import io
from pathlib import Path


def pdf_bytes(lines: list[str]) -> bytes:
    """A one-page PDF with a text layer holding ``lines``."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.setFont("STSong-Light", 10)
    y = 800
    for line in lines:
        while line:  # an A4 line holds ~50 characters at this size
            page.drawString(30, y, line[:50])
            line, y = line[50:], y - 14
    page.showPage()
    page.save()
    return buf.getvalue()


def scanned_pdf_bytes(pages: int = 2) -> bytes:
    """A PDF whose pages are pictures only (a scan): no text layer."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    for _ in range(pages):
        for row in range(40):
            page.rect(30, 800 - row * 18, 500, 10, fill=1)   # the lines of a scanned page, as shapes
        page.showPage()
    page.save()
    return buf.getvalue()


def docx_bytes(lines: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def write_warc(path: Path, records: list[tuple], extra_request: bool = True) -> Path:
    """A gzipped WARC with one response record per (url, content type, body, WARC-Date[, more HTTP headers]),
    each preceded by its request record as wget writes them. A content type of None sends no Content-Type
    header; a url of None leaves out WARC-Target-URI (as some tools do)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, content_type, body, date, *more in records:
            if extra_request:
                request = writer.create_warc_record(url or "http://unknown.example/", "request",
                                                    payload=io.BytesIO(b""),
                                                    http_headers=StatusAndHeaders("GET / HTTP/1.1", [],
                                                                                  is_http_request=True))
                writer.write_record(request)
            fields = ([("Content-Type", content_type)] if content_type else []) + (more[0] if more else [])
            headers = StatusAndHeaders("200 OK", fields, protocol="HTTP/1.1")
            record = writer.create_warc_record(url or "http://unknown.example/", "response",
                                               payload=io.BytesIO(body), http_headers=headers,
                                               warc_headers_dict={"WARC-Date": date})
            if url is None:
                record.rec_headers.remove_header("WARC-Target-URI")
            writer.write_record(record)
    return path
