"""Manifests: where each file came from (``path,url[,fetched_at]``, paths relative to the manifest).

A manifest is often made or saved in a spreadsheet, so it is read as leniently as a report (any
common Chinese encoding, UTF-16, tab-separated as Excel's "Unicode text" is) and checked as
strictly as provenance deserves: a URL that is not http(s), a capture date that is not a date, a
row for a file that is not there and a second row for one file are not used, and a note names
each with its row number (the header is row 1, as in the spreadsheet).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from searchlib.ingest.source import SourceError, decode

MANIFEST_NAME = "manifest.csv"
# A note names this many rows of one kind, then counts the rest.
ROWS_NAMED = 5


class ManifestError(Exception):
    """A manifest that cannot be used at all; the message names it and says why."""


@dataclass
class Manifest:
    provenance: dict[Path, tuple[str | None, str | None]]   # resolved file path -> (url, fetched_at)
    notes: list[str] = field(default_factory=list)         # the rows, or values, not used, and why


def read_manifest(path: Path | str) -> Manifest:
    """The manifest at ``path``. Raises :class:`ManifestError` when it cannot be read or has no path,url header."""
    path = Path(path)
    rows, fields = _rows(path)
    if "path" not in fields or "url" not in fields:
        raise ManifestError(f"{path}: a manifest needs a header row with the columns path,url "
                            f"(and optionally fetched_at); found {','.join(fields) or 'nothing'}")
    found: dict[Path, tuple[str | None, str | None]] = {}
    first_row: dict[Path, int] = {}
    unused = _Unused(path)
    for number, row in rows:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str) or v is None}
        if not any(row.values()):
            continue
        if not row.get("path"):
            unused.add("no path", "not used", number, repr(row.get("url", "")[:60]))
            continue
        target = (path.parent / row["path"]).resolve()
        if target in first_row:
            unused.add("the path of an earlier row", "the first row is kept", number,
                       f"{row['path']!r}, as row {first_row[target]}")
            continue
        first_row[target] = number
        if not target.exists():
            unused.add("a path that names no file", "nothing to give a URL to", number, repr(row["path"]))
            continue
        found[target] = (_url(row.get("url"), number, unused), _date(row.get("fetched_at"), number, unused))
    return Manifest(found, unused.notes())


def _rows(path: Path) -> tuple[list[tuple[int, dict]], list[str]]:
    """The rows with their numbers, and the header's column names (lower case), read in whichever
    encoding the file is in."""
    try:
        data = path.read_bytes()
        text = decode(data, path)
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such manifest") from None
    except IsADirectoryError:
        raise ManifestError(f"{path}: is a folder, not a manifest") from None
    except PermissionError:
        raise ManifestError(f"{path}: cannot read the manifest (permission denied)") from None
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({exc.strerror or exc})") from None
    except SourceError as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({exc.reason})") from None
    readings = [_parse(text, path)]
    if _is_utf8_or_utf16(data):
        return readings[0]
    # Detection guesses short texts: two GBK characters of a file name can pass for Big5. Here the
    # paths, which name files, tell which reading is right (detection's choice wins a tie).
    for encoding in ("gb18030", "big5"):
        try:
            other = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if other != text:
            readings.append(_parse(other, path))
    return max(readings, key=lambda reading: _files_named(reading[0], path.parent))


def _is_utf8_or_utf16(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return b"\x00" in data[:4096]


def _parse(text: str, path: Path) -> tuple[list[tuple[int, dict]], list[str]]:
    header = text.split("\n", 1)[0]
    # Excel saves "Unicode text" (UTF-16) with tabs, and comma-decimal locales with semicolons.
    delimiter = "," if "," in header else "\t" if "\t" in header else ";" if ";" in header else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [(reader.line_num, row) for row in reader]   # (the line a row ends on: blank lines count)
    except csv.Error as exc:
        raise ManifestError(f"{path}: cannot read the manifest (line {reader.line_num}: {exc})") from None
    return rows, [(f or "").strip().lower() for f in reader.fieldnames or []]


def _files_named(rows: list[tuple[int, dict]], folder: Path) -> int:
    paths = (next((v for k, v in row.items() if (k or "").strip().lower() == "path"), None) for _, row in rows)
    return sum(1 for p in paths if isinstance(p, str) and p.strip() and (folder / p.strip()).exists())


def _url(value: str | None, number: int, unused: _Unused) -> str | None:
    """The URL, when it is one a reader can follow (http or https, with a host)."""
    if not value:
        return None
    parts = urllib.parse.urlsplit(value)
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c.isspace() for c in value):
        return value
    unused.add("a url that is not an http(s) URL", "not stored", number, repr(value[:60]))
    return None


def _date(value: str | None, number: int, unused: _Unused) -> str | None:
    if not value:
        return None
    if (date := capture_date(value)) is None:
        unused.add("a fetched_at that is not a date", "not stored", number, repr(value[:60]))
    return date


# 2024/5/1 and 2024-5-1 8:00, as spreadsheets write dates back, besides ISO 8601.
_SPREADSHEET_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def capture_date(value: str | None) -> str | None:
    """A capture date as ISO 8601 (a date, or a date and time; WARC's 2024-05-01T08:00:00Z keeps its Z),
    or None when ``value`` is not a date (yesterday, 2023-13-45)."""
    value = (value or "").strip()
    try:
        if match := _SPREADSHEET_DATE.fullmatch(value):
            year, month, day, hour, minute, second = (int(g) if g else None for g in match.groups())
            if hour is None:
                return dt.date(year, month, day).isoformat()
            return dt.datetime(year, month, day, hour, minute, second or 0).isoformat()
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat().replace("+00:00", "Z")
    except ValueError:
        return None


class _Unused:
    """The rows and values of one manifest that are not used, by kind, for one note per kind."""

    def __init__(self, path: Path):
        self.path = path
        self.kinds: dict[tuple[str, str], list[str]] = {}

    def add(self, what: str, consequence: str, number: int, shown: str) -> None:
        """Row ``number`` has ``what`` (``shown``: the value, as the note quotes it), so ``consequence``."""
        self.kinds.setdefault((what, consequence), []).append(f"row {number} ({shown})")

    def notes(self) -> list[str]:
        notes = []
        for (what, consequence), rows in self.kinds.items():
            named = ", ".join(rows[:ROWS_NAMED]) + (f" and {len(rows) - ROWS_NAMED} more" if len(rows) > ROWS_NAMED
                                                    else "")
            notes.append(f"{self.path}: {len(rows)} row(s) with {what}, {consequence}: {named}")
        return notes
