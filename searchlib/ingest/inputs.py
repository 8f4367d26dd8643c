"""What to read: the report files (and WARC records) under the given paths, where each came from,
and, for every other file found, why it is not read.

Nothing under an indexed folder is passed over without a word: a file is an input, or it is
named with a reason (a hidden file, an unsupported type, a dangling link). The only files not
named are the manifests themselves and the index's own files.

Provenance comes from a manifest (``manifest.csv``: columns ``path,url`` and optionally
``fetched_at``, paths relative to the manifest's folder; read by :mod:`searchlib.ingest.manifest`),
found in an indexed folder or given with ``--manifest``, and from WARC files, whose response records
carry their URL and capture date.
"""
from __future__ import annotations

import functools
import os
import urllib.parse
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path, PurePosixPath
from typing import Iterable

from searchlib.ingest.manifest import MANIFEST_NAME, ManifestError, capture_date, read_manifest
from searchlib.ingest.source import (DOCX_MIME, DOCX_SUFFIXES, MAX_FILE_BYTES, PDF_MIME, PDF_SUFFIXES,
                                     SUPPORTED_SUFFIXES, SourceError, dangling_link_reason, document_kind, read_text,
                                     reading_note, text_of)

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
# WARC payloads read as reports, by their HTTP Content-Type.
REPORT_MIMES = ("text/html", "application/xhtml+xml", "text/plain", PDF_MIME, DOCX_MIME)


@dataclass(frozen=True)
class Item:
    """One report to read: a file, or one record of a WARC file (``record``: its byte offset)."""
    path: str
    record: int | None = None
    url: str | None = None
    fetched_at: str | None = None
    content_type: str | None = None   # a WARC record's, as recognised (an attachment sent as octet-stream: its own)

    @property
    def label(self) -> str:
        """How summaries and the report's ``source`` name it."""
        return self.path if self.record is None else f"{self.path}#{self.record}"


@dataclass
class Inputs:
    items: list[Item]
    problems: list[tuple[str, str]]   # (path, why it is not read): files that may be reports
    notes: list[str]                  # things worth saying that lose no report (a WARC's other records)


def is_warc(path: Path) -> bool:
    return path.name.lower().endswith(WARC_SUFFIXES)


def find_inputs(paths: Iterable[Path | str], manifest: Path | str | None = None,
                exclude: Path | str | None = None) -> Inputs:
    """Every input under ``paths`` (folders walked, sorted for a stable order), with provenance. ``exclude`` (the
    index folder) is never read. Raises :class:`ManifestError` for an unreadable ``manifest``."""
    provenance: dict = {}
    notes: list[str] = []
    if manifest:
        given = read_manifest(manifest)
        provenance.update(given.provenance)
        notes.extend(given.notes)
    excluded = Path(exclude).resolve() if exclude else None
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                _walk(path, excluded, files, problems, provenance, notes)
            elif path.is_symlink() and not path.exists():
                problems.append((str(path), dangling_link_reason(path)))
            elif path.exists():
                files.append(path)
            else:
                problems.append((str(path), "no such file or folder"))
        except PermissionError:   # a folder on its way cannot be entered
            problems.append((str(path), "permission denied"))
    items: list[Item] = []
    for path in sorted(set(files)):
        if is_warc(path):
            _take_warc(path, items, problems, notes)
            continue
        url, fetched = provenance.get(path.resolve(), (None, None))
        items.append(Item(str(path), url=url, fetched_at=fetched))
        if note := _reading_note(path):
            notes.append(note)
    return Inputs(items, problems, notes)


def _take_warc(path: Path, items: list[Item], problems: list[tuple[str, str]], notes: list[str]) -> None:
    found = warc_contents(path)
    items.extend(found.items)
    notes.extend(found.notes)
    if found.damage:
        problems.append((str(path), found.damage))
    elif not found.items:
        problems.append((str(path), f"no HTML, PDF or Word response record in this WARC file "
                                    f"({found.others} other record(s))"))
    if found.items and found.others:
        notes.append(f"{path}: {len(found.items)} HTML/PDF/Word response record(s) read; {found.others} other "
                     "record(s) (requests, metadata, images, scripts, errors) are not reports")
    if found.without_url:
        notes.append(f"{path}: {found.without_url} response record(s) have no WARC-Target-URI: read without a URL")


def _reading_note(path: Path) -> str | None:
    """What reading ``path`` will replace (damaged UTF-8), said here: the reading itself happens in a
    worker process that has only a report, or a reason for skipping, to give back."""
    if path.suffix.lower() in PDF_SUFFIXES | DOCX_SUFFIXES:
        return None
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:   # reading it names the problem, once
        return None
    return reading_note(data, path)


def _walk(folder: Path, excluded: Path | None, files: list[Path], problems: list[tuple[str, str]],
          provenance: dict, notes: list[str]) -> None:
    def unreadable(exc: OSError) -> None:   # os.walk passes over a folder it cannot list unless told
        problems.append(unreadable_folder(exc))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        here = Path(dirpath)
        for name in sorted(dirnames):
            if not _enter_folder(here / name, excluded, problems):
                dirnames.remove(name)
        if MANIFEST_NAME in filenames:
            try:
                found = read_manifest(here / MANIFEST_NAME)
            except ManifestError as exc:
                notes.append(f"{exc}: its files are indexed without URLs")
            else:
                notes.extend(found.notes)
                for target, value in found.provenance.items():
                    provenance.setdefault(target, value)   # --manifest, given by hand, comes first
        for name in filenames:
            if name != MANIFEST_NAME:
                _take_file(here / name, files, problems)


def _enter_folder(sub: Path, excluded: Path | None, problems: list[tuple[str, str]]) -> bool:
    """Whether the walk goes into ``sub``; when it does not, ``problems`` says why (but for the index's own files)."""
    try:
        if excluded is not None and sub.resolve() == excluded:
            return False
        if sub.is_symlink():
            problems.append((f"{sub}/", "symbolic link to a folder, not followed (index that folder by its own path "
                                       "to include it)"))
            return False
    except PermissionError:   # its parent may be listed but not entered (r without x)
        problems.append((f"{sub}/", "permission denied: the folder is not read, none of its files is indexed"))
        return False
    if sub.name.startswith("."):
        count = sum(len(f) for _, _, f in os.walk(sub))
        problems.append((f"{sub}/", f"hidden folder: its {count} file(s) are not read"))
        return False
    return True


def unreadable_folder(exc: OSError) -> tuple[str, str]:
    """(folder, why none of its files is read) for a folder that cannot be listed."""
    why = "permission denied" if isinstance(exc, PermissionError) else f"cannot read it ({exc.strerror or exc})"
    return f"{exc.filename}/", f"{why}: the folder is not read, none of its files is indexed"


def _take_file(path: Path, files: list[Path], problems: list[tuple[str, str]]) -> None:
    """``path`` into ``files`` when it may be a report, else into ``problems`` with why not."""
    try:
        if path.is_symlink() and not path.exists():
            problems.append((str(path), dangling_link_reason(path)))
        elif path.name.startswith("."):
            problems.append((str(path), "hidden file (its name starts with a dot): not read"))
        elif not path.is_file():
            problems.append((str(path), "not a regular file"))
        elif path.suffix.lower() in SUPPORTED_SUFFIXES or not path.suffix or is_warc(path):
            files.append(path)
        else:
            problems.append((str(path), f"unsupported file type {path.suffix} (reports are read from "
                                        ".txt, .html, .pdf, .docx, files without an extension, and WARC)"))
    except PermissionError:   # a folder that may be listed but not entered (r without x)
        problems.append((str(path), "permission denied"))


# --- WARC -----------------------------------------------------------------------

# What an attachment's name (its URL's path, a Content-Disposition filename) says it is.
ATTACHMENT_SUFFIXES = {".pdf": PDF_MIME, ".docx": DOCX_MIME}


def _payload_type(record) -> str:
    headers = record.http_headers
    value = headers.get_header("Content-Type") if headers is not None else record.rec_headers.get_header(
        "Content-Type")
    return (value or "").split(";")[0].strip().lower()


def _is_answer(record) -> bool:
    """A response (2xx) or resource record: what a crawler fetched, not a request, an error or metadata."""
    if record.rec_type not in ("response", "resource"):
        return False
    if record.rec_type == "response" and record.http_headers is not None:
        return (record.http_headers.get_statuscode() or "").startswith("2")
    return True


def _attachment_suffix(record) -> str:
    """The suffix of the name a record's payload goes by: a Content-Disposition filename, else its URL's path."""
    disposition = record.http_headers.get_header("Content-Disposition") if record.http_headers else None
    name = None
    if disposition:
        message = EmailMessage()
        message["Content-Disposition"] = disposition
        name = message.get_filename()   # filename= or RFC 2231's filename*=UTF-8''...
    if not name:
        name = urllib.parse.unquote(urllib.parse.urlsplit(record.rec_headers.get_header("WARC-Target-URI") or "").path)
    return PurePosixPath(name).suffix.lower()


def _report_type(record) -> tuple[str | None, bytes | None]:
    """(the type a record is read as, or None when it is not a report; its payload when it had to be read).

    A PDF or Word attachment is often sent as application/octet-stream, or with no type: its name, or
    else its bytes (``%PDF-``, a ZIP holding word/document.xml), tell, as they do for a file without an
    extension. Text payloads are read whole to say whether reading them replaces damaged bytes."""
    if not _is_answer(record):
        return None, None
    declared = _payload_type(record)
    if declared in (PDF_MIME, DOCX_MIME):
        return declared, None
    if declared in REPORT_MIMES:
        return declared, record.content_stream().read(MAX_FILE_BYTES)
    if named := ATTACHMENT_SUFFIXES.get(_attachment_suffix(record)):
        return named, None   # (a damaged one is then named as such when it is read)
    stream = record.content_stream()
    head = stream.read(5)
    if head == b"%PDF-":
        return PDF_MIME, None
    if head.startswith(b"PK\x03\x04") and document_kind(head + stream.read(MAX_FILE_BYTES), "") == "docx":
        return DOCX_MIME, None
    return None, None


@dataclass
class WarcContents:
    items: list[Item]          # a report per HTML, text, PDF or Word answer record
    others: int = 0            # records that are not reports: requests, metadata, images, scripts, errors
    without_url: int = 0       # report records with no WARC-Target-URI: read, without a URL
    notes: list[str] = field(default_factory=list)   # about the records read (damaged UTF-8)
    damage: str | None = None  # why the file's records after the last one read are not read


def warc_contents(path: Path) -> WarcContents:
    """What a WARC file holds. A file that breaks off (a crawl cut short, a damaged gzip member) keeps
    the records read before the break, and ``damage`` says why the rest is not read."""
    found = WarcContents([])
    try:
        with open(path, "rb") as handle:
            records = _archive(handle)
            for record in records:
                if record.format == "arc" and not path.name.lower().endswith((".arc", ".arc.gz")):
                    raise _NotWarc("an ARC record, not a WARC/1.x record")
                _take_record(path, record, records.get_record_offset, found)
    except Exception as exc:  # warcio, gzip and zlib raise many unrelated types for a damaged file
        found.damage = _damage(exc, found)
    return found


class _NotWarc(Exception):
    pass


class _Damaged(Exception):
    """A fault found here, not by warcio: its message is already one readable line."""


def _take_record(path: Path, record, offset, found: WarcContents) -> None:
    content_type, payload = _report_type(record)   # (before offset(), which reads the record to its end)
    at = offset()
    if (missing := getattr(record.raw_stream, "limit", 0)) > 0:   # warcio yields a cut record as if whole
        raise _Damaged(f"the record at byte {at} is cut short, {missing:,} bytes before its end")
    if content_type is None:
        found.others += 1
        return
    url = record.rec_headers.get_header("WARC-Target-URI")
    item = Item(str(path), record=at, url=url, fetched_at=capture_date(record.rec_headers.get_header("WARC-Date")),
                content_type=content_type)
    found.items.append(item)
    found.without_url += url is None
    if payload is not None and (note := reading_note(payload, item.label, content_type)):
        found.notes.append(note)


def _damage(exc: Exception, found: WarcContents) -> str:
    """One short readable line: warcio's own message quotes the file's first line, binary garbage and all."""
    from warcio.exceptions import ArchiveLoadFailed

    if not found.items and not found.others and isinstance(exc, (ArchiveLoadFailed, _NotWarc)):
        return "not a WARC file (it does not begin with a WARC/1.x record header)"
    why = str(exc) if isinstance(exc, _Damaged) else _one_line(exc)
    return f"damaged WARC file after {len(found.items) + found.others} record(s) ({why}): the rest is not read"


def _one_line(exc: Exception, limit: int = 80) -> str:
    """An exception as a short printable line (its type and the start of its message). warcio quotes
    the line it could not read ("..., first line: "), bytes of a damaged gzip stream as Latin-1 text:
    that part is left out, and anything else that is not printable ASCII shows as ?."""
    message = " ".join(str(exc).split(", first line:")[0].split())
    message = "".join(c if c.isascii() and c.isprintable() else "?" for c in message)
    return f"{type(exc).__name__}: {message[:limit]}{'...' if len(message) > limit else ''}"


def _archive(handle):
    """warcio's record iterator over ``handle``, reading a response record that has no WARC-Target-URI
    too (the standard asks for one; some tools leave it out): warcio 1.8 fails on it with an
    AttributeError, which lost every record of the file. Its HTTP headers are read as any response's."""
    from warcio.archiveiterator import ArchiveIterator

    records = ArchiveIterator(handle)
    records.loader = _lenient_loader()
    return records


@functools.cache
def _lenient_loader_class():
    from warcio.recordloader import ArcWarcRecordLoader

    class LenientLoader(ArcWarcRecordLoader):
        def load_http_headers(self, rec_type, uri, stream, length):
            return super().load_http_headers(rec_type, "http:" if uri is None else uri, stream, length)

    return LenientLoader


def _lenient_loader():
    return _lenient_loader_class()(verify_http=False, arc2warc=False)   # ArchiveIterator's own defaults


def read_item(item: Item) -> str:
    """The text of one input (see :func:`searchlib.ingest.source.text_of`)."""
    if item.record is None:
        return read_text(item.path)
    try:
        with open(item.path, "rb") as handle:
            handle.seek(item.record)
            record = next(iter(_archive(handle)))
            data = record.content_stream().read()
            content_type = _payload_type(record)
    except Exception as exc:  # as in warc_contents: a damaged file raises many types
        raise SourceError(item.label, f"cannot read the WARC record ({_one_line(exc)})") from None
    return text_of(data, item.url or item.label, item.content_type or content_type)
