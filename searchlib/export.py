"""Spreadsheet files: the one CSV writer of every export, on the web and on the command line.

A researcher opens these in Excel on Windows as often as in a script, so every CSV is UTF-8
with a byte-order mark (without it Excel reads the Chinese as mojibake), ends its lines with
CRLF (RFC 4180, what Excel writes), and shows a cell that starts like a formula (= + - @) as
text. Paragraphs are numbered from 1 in reading order (¶1), in every file and on every page.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from searchlib import fields
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# One row per paragraph (searchlib search --csv, /export.csv, /export.json).
PARAGRAPH_COLUMNS = ("pid", "permalink", "doc_id", "title", "publisher", "report_year", "publish_date",
                     "province", "city", "county", "township", "level", "body", "genre", "section_kind",
                     "section_heading", "paragraph_number", "text", "source_url", "fetched_at")


def paragraph_number(position: int) -> int:
    """A paragraph's number as researchers cite it (第N段, ¶N): its place in the report, from 1."""
    return position + 1


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ would otherwise be run as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(columns: Iterable[str], records: Iterable[dict]) -> str:
    """The CSV of ``records`` (dicts; missing keys and None are empty cells), BOM first, CRLF line ends."""
    columns = list(columns)
    return BOM + _lines([columns]) + _lines([spreadsheet_safe(r.get(c)) for c in columns] for r in records)


def csv_bytes(columns: Iterable[str], records: Iterable[dict]) -> bytes:
    return csv_text(columns, records).encode("utf-8")


def csv_head(columns: Iterable[str]) -> bytes:
    """The start of a streamed CSV: the BOM and the header line (its rows follow as csv_rows)."""
    return (BOM + _lines([list(columns)])).encode("utf-8")


def csv_rows(columns: Iterable[str], records: Iterable[dict]) -> bytes:
    """More rows of a streamed CSV, as csv_text writes them."""
    columns = list(columns)
    return _lines([spreadsheet_safe(r.get(c)) for c in columns] for r in records).encode("utf-8")


def _lines(rows) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def paragraph_row(hit, report: dict, root_url: str = "") -> dict:
    """One exported paragraph: the hit, and the report-level fields a hit lacks (from any of its paragraphs).

    ``root_url`` (``http://host/``) makes the permalink absolute; without it the permalink is a path.
    Every other column is the hit's attribute of that name.
    """
    derived = {"permalink": absolute(root_url, hit.url), "publisher": report.get("publisher"),
               "genre": report.get("genre"), "paragraph_number": paragraph_number(hit.position),
               "source_url": report.get("url"), "fetched_at": report.get("fetched_at")}
    return {c: derived[c] if c in derived else getattr(hit, c) for c in PARAGRAPH_COLUMNS}


def absolute(root_url: str, path: str) -> str:
    return root_url.rstrip("/") + path if root_url else path


def with_absolute_urls(records: Iterable[dict], root_url: str, key: str = "url") -> list[dict]:
    """``records`` with their ``key`` path (/p/…) made absolute under ``root_url`` (none: kept as a path)."""
    return [{**r, key: absolute(root_url, r[key])} if r.get(key) else dict(r) for r in records]


# One row per report (searchlib search --group --csv, /export-reports.csv, /export-reports.json).
# tier: 1 a paragraph holds every concept as typed, 2 the report holds every concept, 3 some, 4 only common parts
# (searchlib.query.tiers);
# matches: its paragraphs that match strictly (every concept in one paragraph, as typed).
REPORT_COLUMNS = ("doc_id", "title", "publisher", "body", "level", "place", "province", "city", "county",
                  "township", "report_year", "publish_date", "url", "tier", "matches", "best_permalink",
                  "best_paragraph_number", "best_text")


def report_row(group, report: dict, root_url: str = "") -> dict:
    """One exported report of grouped results: where it is from, how many of its paragraphs match,
    and its best paragraph (``report``: any stored paragraph of it, for fields a group lacks).
    Every other column is the group's attribute of that name."""
    best = group.best
    derived = {"publisher": report.get("publisher"), "place": fields.place(group), "publish_date": best.publish_date,
               "url": absolute(root_url, f"/d/{group.doc_id}"), "best_permalink": absolute(root_url, best.url),
               "best_paragraph_number": paragraph_number(best.position), "best_text": best.text}
    return {c: derived[c] if c in derived else getattr(group, c) for c in REPORT_COLUMNS}
