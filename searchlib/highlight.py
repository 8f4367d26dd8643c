"""Highlights: which characters of a paragraph matched, drawn as ``<mark>``.

Spans are found on the normalized text and drawn on the original, which has
the same length (see :func:`searchlib.analysis.normalize`). A word is marked
only where the segmenter saw that word, so 马克 is not marked inside 马克思;
an exact string is marked wherever it occurs.
"""
from __future__ import annotations

import re
from html import escape

from searchlib.analysis import normalize, segment
from searchlib.engine import LITERAL_RUN_MIN_CHARS, query_words
from searchlib.query import Exact, Words

SENTENCE = re.compile(r"[^。！？；!?;\n]*[。！？；!?;\n]?")
SNIPPET_TARGET_CHARS = 120


def match_spans(text: str, terms: list[Words | Exact]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) character spans to mark in ``text``."""
    norm = normalize(text)
    spans: list[tuple[int, int]] = []
    wanted: set[str] = set()
    literals: set[str] = set()
    for term in terms:
        if isinstance(term, Exact):
            literals.add(normalize(term.text).strip())
        else:
            wanted.update(query_words(term.text))
            run = normalize(term.text).strip()
            if len(run) >= LITERAL_RUN_MIN_CHARS and " " not in run:
                literals.add(run)
    if wanted:
        tokens = segment(norm)
        main_marked: set[int] = set()
        for tok in tokens:
            if not tok.sub and tok.text in wanted:
                spans.append((tok.start, tok.end))
                main_marked.add(tok.pos)
        for tok in tokens:
            if tok.sub and tok.text in wanted and tok.pos not in main_marked:
                spans.append((tok.start, tok.end))
    for lit in literals:
        if not lit:
            continue
        start = norm.find(lit)
        while start >= 0:
            spans.append((start, start + len(lit)))
            start = norm.find(lit, start + 1)
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def render(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """HTML of ``text[start:end]`` with ``<mark>`` around the spans; everything escaped."""
    end = len(text) if end is None else end
    out: list[str] = []
    cursor = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(escape(text[cursor:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        cursor = e
    out.append(escape(text[cursor:end]))
    return "".join(out)


def sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in SENTENCE.finditer(text) if m.end() > m.start()]


def snippet(text: str, spans: list[tuple[int, int]]) -> str:
    """The best one or two sentences of the paragraph, highlighted."""
    parts = sentences(text)
    if not parts:
        return ""
    if not spans:
        first_start, first_end = parts[0]
        return _with_ellipses(text, first_start, first_end, [])

    def marks_in(bounds: tuple[int, int]) -> int:
        return sum(1 for s, e in spans if s < bounds[1] and e > bounds[0])

    best = max(range(len(parts)), key=lambda i: (marks_in(parts[i]), -i))
    start, end = parts[best]
    if end - start < SNIPPET_TARGET_CHARS and best + 1 < len(parts):
        nxt = parts[best + 1]
        if marks_in(nxt) or (nxt[1] - start) <= SNIPPET_TARGET_CHARS * 1.5:
            end = nxt[1]
    return _with_ellipses(text, start, end, spans)


def _with_ellipses(text: str, start: int, end: int, spans) -> str:
    body = render(text, spans, start, end).strip()
    return ("…" if start > 0 else "") + body + ("…" if end < len(text.rstrip()) else "")
