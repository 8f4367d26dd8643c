"""The one CSV writer of the project (web exports and the CLI): what Excel opens cleanly.

A UTF-8 BOM (without it Excel reads Chinese as mojibake), CRLF line ends (the csv module's
default), and no cell that runs as a formula.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_bytes(columns: Iterable[str], records: Iterable[dict]) -> bytes:
    """CSV for Excel: a UTF-8 BOM (else Chinese turns to mojibake) and no cell that runs as a formula."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({k: spreadsheet_safe(record.get(k)) for k in writer.fieldnames})
    return out.getvalue().encode("utf-8")


def spreadsheet_safe(value) -> str:
    """A cell Excel shows as text: a leading = + - @ would otherwise be run as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
