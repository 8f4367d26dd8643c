"""Highlights: which characters of a paragraph matched, drawn as ``<mark>``.

Spans are found on the normalized text and drawn on the original, which has
the same length (see :func:`searchlib.analysis.normalize`).

What gets marked follows how the paragraph matched (the plan of each typed run, see :mod:`searchlib.query.rules`),
strongest evidence first, for each typed word separately:

1. where the segmenter saw the word itself, or holds it as a dictionary sub-word of a compound (顾问 inside 法律顾问,
   普法 inside 普法责任制) — but not where it is only a fragment of a longer dictionary word at that spot (马克 inside
   the 马克思 of 马克思主义);
2. only if there is none of those: wherever its characters stand side by side (that is how the paragraph matched);
3. only if there is none of those either: the parts of a long compound (行政执法 and 三项制度 for 行政执法三项制度)
   where they stand close together, in order (that is how the paragraph matched).

So a mark never ends inside a word that the index did not match, and never covers a different term. A quoted string is
marked wherever it occurs, even across words, because that is what was asked for; so is an unquoted run of several words
found as typed.
"""
from __future__ import annotations

import functools
import re
from bisect import bisect_right
from html import escape
from typing import Sequence

from searchlib.analysis import SENTENCE_END, SENTENCE_END_CHARS, is_word, main_words, normalize, outer_sub_words
from searchlib.query.parse import Exact, Words
from searchlib.query.rules import AsWord, Near, SeenWord, Word, near_spans, parts_near, plan_run

_ENDS = re.escape(SENTENCE_END_CHARS)
SENTENCE = re.compile(f"[^{_ENDS}]*[{_ENDS}]?")
CLAUSE_END = re.compile(r"[，,、：:]")
# What html.escape replaces.
_ESCAPED = re.compile(r"[&<>\"']")
# Characters the segmenter never puts inside a word (it cuts its input into runs without them
# first): sentence ends, clause punctuation, brackets, quotes and white space.
CLAUSE_BREAK = re.compile(r"[。！？；!?;，、：:,“”‘’\"'（）()《》〈〉【】\[\]「」『』\s]")
SNIPPET_TARGET_CHARS = 120
# A sentence longer than this is cut to the clauses around its marks.
SNIPPET_MAX_CHARS = 240


def match_spans(text: str, terms: list[Words | Exact | Near | AsWord], norm: str | None = None,
                ends: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) character spans to mark in ``text``. ``norm`` is ``normalize(text)`` and
    ``ends`` where the segmenter's words end in it, when the caller has them already (the index stores both)."""
    norm = normalize(text) if norm is None else norm
    spans: list[tuple[int, int]] = [span for t in terms if isinstance(t, Near) for span in near_spans(t, norm)]
    wanted, strings, literals = _plan(tuple(t for t in terms if not isinstance(t, Near)))
    if wanted:
        seen = _seen_spans(norm, strings) if ends is None else _seen_spans_in_cut(norm, strings, ends)
        for word in wanted:
            if isinstance(word, SeenWord) and not seen.get(word.text):
                # Looked up as a word: inside one of the segmenter's words (法治 in 法治政府建设), never across two.
                if ends is None:
                    ends = [end for _, _, end in main_words(norm)]
                spans.extend(_inside_one_word(_occurrences(word.text, norm), ends))
            else:
                spans.extend(_word_spans(word, seen, norm))
    for literal in literals:
        spans.extend(_occurrences(literal, norm))
    return _merge(spans)


# The same query's terms come once per hit shown: plan them once.
@functools.lru_cache(maxsize=1024)
def _plan(terms: tuple[Words | Exact | AsWord, ...]) -> tuple[tuple[Word, ...], frozenset[str], tuple[str, ...]]:
    """The typed words to mark, every string their marks may be looked up by, and the literals."""
    wanted: list[Word] = []
    literals: list[str] = []
    for term in terms:
        if isinstance(term, AsWord):
            seen = [SeenWord(w.text, (), w.alternatives) for w in plan_run(Words(term.text)).words]
            wanted.extend(w for w in seen if w not in wanted)
            continue
        run = plan_run(term)
        # A one-character word of a longer run (不 of 行政不作为, 治 of 依法治镇) is marked only inside the run as typed:
        # alone it is in every sentence and would mark 不满意 as the evidence.
        several = len(run.words) > 1 and (run.exact or run.as_typed)
        wanted.extend(w for w in run.words if w not in wanted and not (several and len(w.text) == 1 and not w.parts))
        if (run.exact or run.as_typed) and run.literal not in literals:
            literals.append(run.literal)
    return tuple(wanted), frozenset(_searched_strings(wanted)), tuple(literals)


def _searched_strings(words: list[Word]) -> set[str]:
    """The words and, recursively, their compound parts: every string _word_spans may look up."""
    found: set[str] = set()
    pending = list(words)
    while pending:
        word = pending.pop()
        if word.text not in found:
            found.add(word.text)
            pending.extend(word.parts)
    return found


def _seen_spans(norm: str, strings: frozenset[str]) -> dict[str, list[tuple[int, int]]]:
    """Where the segmenter saw each of ``strings`` in ``norm``: as a word, or as a sub-word of one
    that is not a fragment of a longer sub-word there (rule 1 of the module doc).

    Only the clauses holding an occurrence are segmented. The segmenter cuts the text into runs of CJK characters,
    letters, digits and ``+#&._%-``, and each run on its own, so a clause between two characters outside those runs
    (:data:`CLAUSE_BREAK`) gives the same words alone as inside its paragraph (checked over 3,000 bench paragraphs, and
    by a test on the whole paragraph's cut). Each occurrence is then looked up in its clause's cut by bisection.
    """
    seen: dict[str, list[tuple[int, int]]] = {}
    present = [s for s in strings if s in norm]
    if not present:
        return seen
    backwards = norm[::-1]  # to find the break before an occurrence with a forward regex search
    cuts: dict[int, tuple[list[tuple[str, int, int]], list[int]]] = {}
    for string in present:
        for at, _ in _occurrences(string, norm):
            after = CLAUSE_BREAK.search(norm, at)
            end = after.start() if after else len(norm)
            if at + len(string) <= end:
                before = CLAUSE_BREAK.search(backwards, len(norm) - at)
                start = len(norm) - before.start() if before else 0
                cut, starts = cuts.get(start) or cuts.setdefault(start, _cut(norm[start:end]))
                word, word_start, word_end = cut[bisect_right(starts, at - start) - 1]
                if at - start + len(string) <= word_end and _marks(string, at - start - word_start, word):
                    seen.setdefault(string, []).append((at, at + len(string)))
    return seen


def _seen_spans_in_cut(norm: str, strings: frozenset[str],
                       ends: Sequence[int]) -> dict[str, list[tuple[int, int]]]:
    """:func:`_seen_spans`, with the segmenter's cut of the whole paragraph given as its word
    ends (the same cut as clause by clause: see there)."""
    seen: dict[str, list[tuple[int, int]]] = {}
    for string in strings:
        for at, stop in _occurrences(string, norm):
            word = bisect_right(ends, at)  # the word holding character ``at``
            start = ends[word - 1] if word else 0
            end = ends[word]
            if stop <= end and _marks(string, at - start, norm[start:end]):
                seen.setdefault(string, []).append((at, stop))
    return seen


def _cut(clause: str) -> tuple[list[tuple[str, int, int]], list[int]]:
    """The segmenter's (word, start, end) cut of ``clause``, and the words' starts."""
    cut = main_words(clause)
    return cut, [start for _, start, _ in cut]


def _marks(string: str, offset: int, word: str) -> bool:
    """Whether ``string`` at ``offset`` inside the segmenter's ``word`` is the word itself or
    one of its outer sub-words there."""
    if not is_word(word):
        return False
    if offset == 0 and len(string) == len(word):
        return True
    return len(word) > 2 and (string, offset) in _outer_sub_word_set(word)


@functools.lru_cache(maxsize=50_000)
def _outer_sub_word_set(word: str) -> frozenset[tuple[str, int]]:
    return frozenset(outer_sub_words(word))


def _word_spans(word: Word, seen: dict[str, list[tuple[int, int]]], norm: str) -> list[tuple[int, int]]:
    """Where ``word`` matched, at the strongest level it matched at (see the module doc)."""
    found = seen.get(word.text)
    if found:
        return found
    found = _occurrences(word.text, norm) if word.by_characters else []
    if found or not word.parts:
        return found
    # As its parts: where they stand close together, in order, as the paragraph matched (rules.parts_near).
    return [m.span(i) for m in parts_near(word).finditer(norm) for i in range(1, len(word.parts) + 1)]


def _inside_one_word(spans: list[tuple[int, int]], ends: Sequence[int]) -> list[tuple[int, int]]:
    """The spans that start and end inside the same one of the words ending at ``ends``."""
    return [(a, b) for a, b in spans if bisect_right(ends, a) == bisect_right(ends, b - 1)]


def _occurrences(literal: str, norm: str) -> list[tuple[int, int]]:
    found = []
    if not literal:
        return found
    start = norm.find(literal)
    while start >= 0:
        found.append((start, start + len(literal)))
        start = norm.find(literal, start + 1)
    return found


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
    # Most paragraphs hold nothing to escape: one search instead of five replaces a piece.
    safe = _ESCAPED.search(text, start, end) is None
    out: list[str] = []
    cursor = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(text[cursor:s] if safe else escape(text[cursor:s]))
        out.append("<mark>" + (text[s:e] if safe else escape(text[s:e])) + "</mark>")
        cursor = e
    out.append(text[cursor:end] if safe else escape(text[cursor:end]))
    return "".join(out)


def sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in SENTENCE.finditer(text) if m.end() > m.start()]


def snippet(text: str, spans: list[tuple[int, int]], norm: str | None = None) -> str:
    """The best one or two sentences of the paragraph, highlighted.

    The best sentence holds the most different marked strings (then the most marks, then comes first); a short one is
    joined by the next sentence when that one has marks too or keeps the snippet short.

    Only the sentences around the marks are found (from the sentence ends on either side),
    not every sentence of the paragraph: they are what :func:`sentences` gives there.
    """
    if not text:
        return ""
    if not spans:
        start, end = _trimmed(text, (0, _sentence_end(text, 0)), [])
        return _with_ellipses(text, start, end, [])
    norm = normalize(text) if norm is None else norm
    backwards = text[::-1]
    # sentence start -> (its end, the spans overlapping it)
    marks: dict[int, tuple[int, list[tuple[int, int]]]] = {}
    for s, e in spans:
        start, end = _sentence_start(backwards, s), _sentence_end(text, s)
        while True:
            found = marks.get(start)
            if found is None:
                found = marks[start] = (end, [])
            found[1].append((s, e))
            if end >= e:
                break
            start, end = end, _sentence_end(text, end)

    def quality(start: int) -> tuple[int, int, int]:
        inside = marks[start][1]
        return len({norm[s:e] for s, e in inside}), len(inside), -start

    start = max(marks, key=quality)
    end = marks[start][0]
    if end - start < SNIPPET_TARGET_CHARS and end < len(text):
        next_end = marks[end][0] if end in marks else _sentence_end(text, end)
        if end in marks or (next_end - start) <= SNIPPET_TARGET_CHARS * 1.5:
            end = next_end
    start, end = _trimmed(text, (start, end), spans)
    return _with_ellipses(text, start, end, spans)


def _sentence_start(backwards: str, at: int) -> int:
    """Where the sentence holding character ``at`` starts (``backwards``: the text reversed)."""
    before = SENTENCE_END.search(backwards, len(backwards) - at)
    return len(backwards) - before.start() if before else 0


def _sentence_end(text: str, at: int) -> int:
    """Where the sentence holding character ``at`` ends (after its end mark, if it has one)."""
    after = SENTENCE_END.search(text, at)
    return after.end() if after else len(text)


def _trimmed(text: str, bounds: tuple[int, int], spans) -> tuple[int, int]:
    """A run-on sentence cut to whole clauses around its first mark."""
    start, end = bounds
    if end - start <= SNIPPET_MAX_CHARS:
        return start, end
    marks = [(s, e) for s, e in spans if start <= s < end]
    focus = marks[0][0] if marks else start
    cuts = [m.end() for m in CLAUSE_END.finditer(text, start, end)]
    left = max([c for c in cuts if c <= focus - SNIPPET_TARGET_CHARS // 3] + [start])
    right_options = [c for c in cuts if c >= left + SNIPPET_TARGET_CHARS and c > focus]
    right = min(right_options) if right_options else min(end, left + SNIPPET_MAX_CHARS)
    if marks:
        right = max(right, marks[0][1])  # never cut through the first mark
    return left, min(right, end)


def _with_ellipses(text: str, start: int, end: int, spans) -> str:
    body = render(text, spans, start, end).strip()
    return ("…" if start > 0 else "") + body + ("…" if end < len(text.rstrip()) else "")
