"""Concordance (KWIC): every occurrence of a query's terms, in context.

A row is one marked span in one paragraph: ``left | match | right``. Matching paragraphs come from the same query layer
as search (same parser, filters, 同句 checks), and the spans from :func:`searchlib.query.highlight.match_spans`, so a
concordance line marks exactly what the result page highlights, never half a word.
"""
from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from typing import Iterable

from searchlib import fields
from searchlib.export import csv_text, with_absolute_urls
from searchlib.query.highlight import SENTENCE
from searchlib.query.parse import And, Filter, QueryError, SameSentence, positive_terms
from searchlib.query.rules import sentence_match
from searchlib.query.search import Matching

SORTS = ("left", "right", "year", "region")
DEFAULT_WIDTH = 20
MAX_WIDTH = 100   # characters of context on each side (CLI and web): wider rows no longer fit a screen
CSV_COLUMNS = ("pid", "doc_id", "title", "year", "province", "city", "county", "left", "match", "right",
               "start", "url")


@dataclass
class KwicRow:
    pid: str
    doc_id: str
    title: str | None
    year: int | None
    province: str | None
    city: str | None
    county: str | None
    left: str
    match: str
    right: str
    start: int          # character offset of the match in the paragraph
    url: str            # the paragraph's permalink
    position: int = 0   # paragraph's order in its report (for reading-order sorts)

    def to_dict(self) -> dict:
        return asdict(self)


def _flat(text: str) -> str:
    # Context is shown on one line; a paragraph's internal line breaks become
    # spaces (same length, so offsets still hold).
    return text.replace("\r", " ").replace("\n", " ")


def rows_for_paragraph(stored: dict, spans: list[tuple[int, int]], width: int) -> list[KwicRow]:
    text = stored.get("text", "")
    return [KwicRow(pid=stored["pid"], doc_id=stored["doc_id"], title=stored.get("title"),
                    year=stored.get("report_year"), province=stored.get("province"), city=stored.get("city"),
                    county=stored.get("county"), left=_flat(text[max(0, start - width):start]),
                    match=_flat(text[start:end]), right=_flat(text[end:end + width]), start=start,
                    url=f"/p/{stored['pid']}", position=stored.get("position", 0))
            for start, end in spans]


def _missing_last(value):
    # None sorts after every real value, and values of one column compare as strings.
    return (value is None, "" if value is None else str(value))


def _reading_order(row: KwicRow) -> tuple:
    return (row.doc_id, row.position, row.start)


SORT_KEYS = {
    # A left sort reads the left context backwards from the match, the way a
    # concordancer groups what precedes the keyword (其 | 行政复议 before 的 | 行政复议).
    "left": lambda r: (r.left[::-1], r.match, r.right, _reading_order(r)),
    "right": lambda r: (r.right, r.match, r.left[::-1], _reading_order(r)),
    "year": lambda r: (r.year is None, r.year or 0, _missing_last(r.province), _missing_last(r.city),
                       _missing_last(r.county), _reading_order(r)),
    "region": lambda r: (_missing_last(r.province), _missing_last(r.city), _missing_last(r.county),
                         r.year is None, r.year or 0, _reading_order(r)),
}


def concordance(library, request, width: int = DEFAULT_WIDTH, sort: str = "left",
                limit: int | None = None) -> list[KwicRow]:
    """Every occurrence of the request's terms as KWIC rows, sorted, at most ``limit``.

    ``request`` is a :class:`searchlib.query.search.SearchRequest` (its ``q`` and filters are used;
    ``sort``/``limit``/``offset`` are not). A query made only of filters has no terms to show, so it yields no rows.
    """
    _check(width, sort)
    with library.pinned():  # the matches are read from the generation they were found in
        return concordance_of(library.matching(request), width, sort, limit)


def _check(width: int, sort: str) -> None:
    if sort not in SORTS:
        raise QueryError(f"unknown concordance sort {sort!r}; use one of {', '.join(SORTS)}")
    if not 0 <= width <= MAX_WIDTH:
        raise QueryError(f"context width must be between 0 and {MAX_WIDTH} characters")


def concordance_of(found: Matching, width: int = DEFAULT_WIDTH, sort: str = "left",
                   limit: int | None = None) -> list[KwicRow]:
    """The rows of paragraphs already matched (for a caller that first looks at how many there are)."""
    _check(width, sort)
    terms = positive_terms(found.tree)
    if not terms:
        return []
    clauses = _sentence_clauses(found.tree)
    rows: list[KwicRow] = []
    for docnum in found.docnums:
        # From the generation's text files, with the indexer's word ends: no paragraph is segmented again.
        stored, spans, norm = found.stored.marked(docnum, terms)
        if clauses:
            spans = _in_sentences_holding(clauses, spans, norm)
        rows.extend(rows_for_paragraph(stored, spans, width))
    rows.sort(key=SORT_KEYS[sort])
    return rows if limit is None else rows[:max(0, limit)]


def _sentence_clauses(tree) -> list[SameSentence]:
    """The 同句 clauses of a query made of nothing else (and filters): its lines come from the sentences that hold
    one (a 行政复议 in a sentence without 纠错 is not a line of 行政复议 /s 纠错)."""
    members = list(tree.children) if isinstance(tree, And) else [tree]
    clauses = [m for m in members if isinstance(m, SameSentence)]
    return clauses if clauses and all(isinstance(m, (SameSentence, Filter)) for m in members) else []


def _in_sentences_holding(clauses: list[SameSentence], spans: list[tuple[int, int]],
                          norm: str) -> list[tuple[int, int]]:
    holding = [(m.start(), m.end()) for m in SENTENCE.finditer(norm)
               if m.group().strip() and any(sentence_match(c, m.group(), normalized=True) for c in clauses)]
    return [(a, b) for a, b in spans if any(start <= a and b <= end for start, end in holding)]


# --- export ---------------------------------------------------------------------

def to_csv(rows: Iterable[KwicRow], base_url: str = "") -> str:
    """CSV with a header (see :mod:`searchlib.export`: BOM, CRLF, formula-safe cells); ``base_url`` makes
    the permalinks absolute for a spreadsheet."""
    return csv_text(CSV_COLUMNS, with_absolute_urls([row.to_dict() for row in rows], base_url))


# --- terminal -------------------------------------------------------------------

def display_width(text: str) -> int:
    """Columns a string takes in a terminal: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad_left(text: str, columns: int) -> str:
    return " " * max(0, columns - display_width(text)) + text


def pad_right(text: str, columns: int) -> str:
    return text + " " * max(0, columns - display_width(text))


def format_lines(rows: list[KwicRow], width: int, mark: tuple[str, str] = ("«", "»")) -> list[str]:
    """Aligned lines: the matches line up in one column whatever the script."""
    if not rows:
        return []
    left_cols = max(display_width(r.left) for r in rows)
    match_cols = max(display_width(r.match) for r in rows)
    lines = []
    for r in rows:
        place = fields.place(r, sep="")
        meta = f"{r.year or '----'} {place or '地区不详'}"
        lines.append(f"{pad_left(r.left, left_cols)} {mark[0]}{pad_right(r.match, match_cols)}{mark[1]} "
                     f"{pad_right(r.right, width * 2)}  {meta}  {r.url}")
    return lines
