"""Raw file -> text: decoding and, for HTML pages, the visible text; PDF and Word text.

Everything that can go wrong with a file on disk is turned into a
:class:`SourceError` naming the file, so callers can report it and go on.
"""
from __future__ import annotations

import codecs
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes
from selectolax.lexbor import LexborHTMLParser as HTMLParser

HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".text"}
PDF_SUFFIXES = {".pdf"}
DOCX_SUFFIXES = {".docx"}
SUPPORTED_SUFFIXES = HTML_SUFFIXES | TEXT_SUFFIXES | PDF_SUFFIXES | DOCX_SUFFIXES
# Limits on one report. The longest real report we have seen is ~60,000 characters; a file past
# these is a dump or a mistake, and indexing it as one report (a 50 MB file made 137,001 paragraphs
# and a 73 MB page) helps nobody. PDF attachments carry images, hence the larger byte limit.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_REPORT_CHARS = 1_000_000
PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML_MIMES = ("text/html", "application/xhtml+xml")
# Chinese pages come in these; telling charset detection so keeps it from
# choosing a Cyrillic or Latin code page for short GBK files.
CHINESE_ENCODINGS = ["utf_8", "gb18030", "big5", "utf_16"]
# Page regions that are never the document.
DROP_TAGS = ["script", "style", "noscript", "nav", "footer", "header", "iframe", "form", "button", "select"]
BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
              "article", "ul", "ol", "dd", "dt", "blockquote", "pre", "title"}


class SourceError(Exception):
    """A file that cannot be read as a report; the message says why."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def dangling_link_reason(path: Path) -> str:
    """Why a symbolic link whose target is gone is not read (a report the folder promised but cannot give)."""
    return f"broken symbolic link (its target {os.readlink(path)} does not exist)"


def read_text(path: Path | str) -> str:
    """The text of a report file (``.txt``, ``.html``, ``.pdf``, ``.docx`` or none), decoded."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SourceError(path, f"file too large for one report ({path.stat().st_size:,} bytes; "
                                    f"the limit is {MAX_FILE_BYTES:,})")
        data = path.read_bytes()
    except IsADirectoryError:
        raise SourceError(path, "is a directory") from None
    except FileNotFoundError:
        reason = dangling_link_reason(path) if path.is_symlink() else "no such file"
        raise SourceError(path, reason) from None
    except PermissionError:
        raise SourceError(path, "permission denied") from None
    except OSError as exc:
        raise SourceError(path, f"cannot read ({exc.strerror or exc})") from None
    return text_of(data, path)


def text_of(data: bytes, name: Path | str, content_type: str | None = None) -> str:
    """The text of one document's bytes: a PDF's text layer, a Word file's paragraphs, or the
    decoded text (an HTML page's visible text). See :func:`document_kind` for which."""
    kind = document_kind(data, name, content_type)
    mime = (content_type or "").split(";")[0].strip().lower()
    if kind == "pdf":
        text = pdf_text(data, name)
    elif kind == "docx":
        text = docx_text(data, name)
    else:
        text = decode(data, name)
        if mime in HTML_MIMES or is_html(Path(str(name)), text):
            text = html_to_text(text)
    if not text.strip():
        raise SourceError(name, "no text in file")
    if len(text) > MAX_REPORT_CHARS:
        raise SourceError(name, f"too long for one report ({len(text):,} characters of text; the limit is "
                                f"{MAX_REPORT_CHARS:,}): split it, or check that it is one report")
    return text


def document_kind(data: bytes, name: Path | str, content_type: str | None = None) -> str:
    """"pdf", "docx" or "text": the bytes' own signature first (a PDF sent as octet-stream or saved
    without its extension is a PDF), then ``content_type`` (a WARC record's: it outranks the URL's
    suffix, so an HTML page at a .pdf address is read as HTML), then the name's suffix (a damaged
    .pdf is named as a damaged PDF, not decoded as text)."""
    if data[:5] == b"%PDF-":
        return "pdf"
    if _is_docx(data):
        return "docx"
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in (PDF_MIME, DOCX_MIME):
        return "pdf" if mime == PDF_MIME else "docx"
    if mime in HTML_MIMES or mime.startswith("text/"):
        return "text"
    suffix = Path(str(name)).suffix.lower()
    if suffix in PDF_SUFFIXES or suffix in DOCX_SUFFIXES:
        return "pdf" if suffix in PDF_SUFFIXES else "docx"
    return "text"


def _is_docx(data: bytes) -> bool:
    if data[:4] != b"PK\x03\x04":
        return False
    try:
        return "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return False


def pdf_text(data: bytes, name: Path | str = "<bytes>") -> str:
    """The text layer of a PDF (pypdf), pages one after another."""
    import logging

    import pypdf

    # pypdf logs every repair it attempts on a damaged file; what matters reaches the caller as
    # one SourceError line, so its log would only flood stderr during an index job.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError(name, "encrypted PDF (needs a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except SourceError:
        raise
    except Exception as exc:  # a damaged PDF makes pypdf raise many unrelated types (zlib, struct, recursion)
        raise SourceError(name, f"cannot read the PDF ({type(exc).__name__}: {exc})") from None
    text = "\n".join(pages)
    if not text.strip():
        raise SourceError(name, f"no text layer ({len(pages)} page(s) of images only: a scan needs OCR first)")
    return text


def docx_text(data: bytes, name: Path | str = "<bytes>") -> str:
    """A Word (.docx) file's paragraphs and table cells, in document order (python-docx)."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, DocxParagraph):
                lines.append(block.text)
            elif isinstance(block, Table):
                for row in block.rows:
                    lines.append("  ".join(cell.text for cell in row.cells))
    except Exception as exc:  # python-docx raises many unrelated types for a damaged file
        raise SourceError(name, f"cannot read the Word file ({type(exc).__name__}: {exc})") from None
    return "\n".join(line for line in lines if line.strip())


def decode(data: bytes, path: Path | str = "<bytes>") -> str:
    """The text of a file's bytes, in whichever common Chinese encoding they are (see
    CHINESE_ENCODINGS), or :class:`SourceError` saying why they are not text."""
    # A UTF-8 byte-order mark proves nothing: editors and export tools put it in front of GBK text
    # too, and decoding such a file as UTF-8 with errors replaced made garbage. Dropped, the bytes
    # behind it are read like any others: as UTF-8 when they are, else detected.
    data = data.removeprefix(codecs.BOM_UTF8)
    if not data.strip():
        raise SourceError(path, "empty file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
        # Two bytes FF FE begin binary files too: read as UTF-16 they are CJK-looking nonsense (最牡慢敧).
        if _plausible_share(text) < UTF16_PLAUSIBLE_SHARE:
            raise SourceError(path, "binary file, not text or HTML")
        return text
    if b"\x00" in data[:4096]:
        if (text := _utf16_without_bom(data)) is not None:
            return text
        raise SourceError(path, "binary file, not text or HTML")
    if (reading := read_utf8(data)) is not None:
        return reading.text
    best = from_bytes(data, cp_isolation=CHINESE_ENCODINGS).best()
    if best is None:
        raise SourceError(path, "cannot detect the text encoding (not UTF-8, GBK/GB18030, Big5 or UTF-16)")
    text = str(best)
    if _looks_binary(text):
        raise SourceError(path, "binary file, not text or HTML")
    return text


@dataclass(frozen=True)
class Utf8Reading:
    """Bytes read as UTF-8: ``replaced`` bytes were not UTF-8 and became U+FFFD; ``cut``: only the
    last character was damaged (the file was cut short in the middle of it)."""
    text: str
    replaced: int = 0
    cut: bool = False


# A byte that is not UTF-8, decoded with surrogateescape: one lone surrogate per byte, so they count.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_WELL_FORMED_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")
# Damaged UTF-8 is still read as UTF-8 when at most this many of its bytes are damaged (or one in a
# thousand, in a long file) ...
UTF8_MAX_DAMAGED_BYTES = 16
# ... and its well-formed non-ASCII characters outnumber them this many times. GBK and Big5 text
# read as UTF-8 has about as many damaged bytes as well-formed characters (at most 4 to 1 in
# 13,000 lines and snippets of the test corpora); real UTF-8 with a damaged byte has hundreds to 1.
UTF8_MIN_CHARACTERS_PER_DAMAGED_BYTE = 20


def read_utf8(data: bytes) -> Utf8Reading | None:
    """``data`` read as UTF-8 when it is UTF-8, or overwhelmingly so: a file cut short in the middle
    of its last character, or a handful of damaged bytes in a text that is otherwise well-formed
    UTF-8. None for anything else (GBK, Big5: the caller detects those).

    A damaged byte becomes U+FFFD (one per damaged sequence), not nothing: the mark shows a reader
    that something was lost there, and no phrase is matched across the gap that the two sides,
    joined, would make."""
    try:
        return Utf8Reading(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:  # every character whole but the last, which the end of the file cut short
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        cut = True
    except UnicodeDecodeError:
        cut = False
    escaped = data.decode("utf-8", errors="surrogateescape")
    damaged = len(_ESCAPED_BYTE.findall(escaped))
    if not cut and (damaged > max(UTF8_MAX_DAMAGED_BYTES, len(data) // 1000) or
                    len(_WELL_FORMED_NON_ASCII.findall(escaped)) < damaged * UTF8_MIN_CHARACTERS_PER_DAMAGED_BYTE):
        return None
    return Utf8Reading(data.decode("utf-8", errors="replace"), damaged, cut)


def reading_note(data: bytes, name: Path | str, content_type: str | None = None) -> str | None:
    """What :func:`text_of` loses when it reads these bytes, as a note naming ``name``: the bytes of
    damaged UTF-8 it replaces. None when it reads them whole (or does not read them as text at all)."""
    if document_kind(data, name, content_type) != "text":
        return None
    data = data.removeprefix(codecs.BOM_UTF8)   # the order of decode's own steps: UTF-16 and binary first
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        return None
    reading = read_utf8(data)
    if reading is None or not reading.replaced:
        return None
    where = "the file ends in the middle of a character: cut short?" if reading.cut else "the text is damaged"
    return f"{name}: read as UTF-8 with {reading.replaced} byte(s) that are not UTF-8 replaced by U+FFFD ({where})"


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without its byte-order mark (Windows tools do this), little- or big-endian.

    Read either way, real text is nearly all Chinese, ASCII and punctuation; binary data read as
    UTF-16 scatters over the whole Basic Multilingual Plane (Chinese is a third of it)."""
    best: tuple[float, str] | None = None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data[: len(data) // 2 * 2].decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _plausible_share(text)
        if best is None or score > best[0]:
            best = (score, text)
    return best[1] if best and best[0] >= UTF16_PLAUSIBLE_SHARE else None


# Text read as UTF-16 is text when at least this share of its characters is Chinese, ASCII or punctuation.
UTF16_PLAUSIBLE_SHARE = 0.95


def _plausible_share(text: str) -> float:
    sample = text[:4000]
    return sum(1 for c in sample if _plausible(c)) / max(1, len(sample))


def _plausible(c: str) -> bool:
    code = ord(c)
    return (32 <= code < 127 or c in "\r\n\t" or 0x4E00 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F
            or 0xFF00 <= code <= 0xFFEF or 0x2000 <= code <= 0x206F)


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\r\n\t\f\v")
    return controls > len(sample) * 0.05


def is_html(path: Path, text: str) -> bool:
    if path.suffix.lower() in HTML_SUFFIXES:
        return True
    head = text.lstrip()[:512].lower()
    return head.startswith("<!doctype html") or head.startswith("<html")


def html_to_text(html: str) -> str:
    """Visible text of a page, one line per block element."""
    tree = HTMLParser(html)
    tree.strip_tags(DROP_TAGS)
    root = tree.body or tree.root
    if root is None:
        return ""
    lines: list[str] = []
    current: list[str] = []
    for node in root.traverse(include_text=True):
        if node.tag == "-text":
            current.append(node.text_content or "")
        elif node.tag in BLOCK_TAGS:
            if current:
                lines.append("".join(current))
                current = []
    if current:
        lines.append("".join(current))
    return "\n".join(line.strip() for line in lines if line.strip())
