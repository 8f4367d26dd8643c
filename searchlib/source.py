"""Raw file -> text: decoding and, for HTML pages, the visible text.

Everything that can go wrong with a file on disk is turned into a
:class:`SourceError` naming the file, so callers can report it and go on.
"""
from __future__ import annotations

import codecs
from pathlib import Path

from charset_normalizer import from_bytes
from selectolax.lexbor import LexborHTMLParser as HTMLParser

HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".text"}
SUPPORTED_SUFFIXES = HTML_SUFFIXES | TEXT_SUFFIXES
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


def read_text(path: Path | str) -> str:
    """The text of a report file (``.txt`` or ``.html``), decoded."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise SourceError(path, "is a directory") from None
    except FileNotFoundError:
        raise SourceError(path, "no such file") from None
    except PermissionError:
        raise SourceError(path, "permission denied") from None
    except OSError as exc:
        raise SourceError(path, f"cannot read ({exc.strerror or exc})") from None
    text = decode(data, path)
    if is_html(path, text):
        text = html_to_text(text)
    if not text.strip():
        raise SourceError(path, "no text in file")
    return text


def decode(data: bytes, path: Path | str = "<bytes>") -> str:
    if not data.strip():
        raise SourceError(path, "empty file")
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if b"\x00" in data[:4096]:
        raise SourceError(path, "binary file, not text or HTML")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=CHINESE_ENCODINGS).best()
    if best is None:
        raise SourceError(path, "cannot detect the text encoding (not UTF-8, GBK/GB18030, Big5 or UTF-16)")
    text = str(best)
    if _looks_binary(text):
        raise SourceError(path, "binary file, not text or HTML")
    return text


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
