"""What a query means, stated as a scan of the paragraphs in plain Python: the engine is checked against it.

A typed word matches a paragraph when it is one of the segmenter's words of the
normalized text (a single character must be), or, for two characters or more,
when the normalized text contains it, or when every part of a long compound is
a word of the text and the parts stand close together, in order (parts of four
characters or more: anywhere in one sentence, in order). A quoted string matches where the normalized text contains
it. Filters compare the report's own fields. AND, OR, NOT are set operations;
同句 needs one sentence holding every member, 同篇 one report.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import log

from searchlib.analysis import normalize, segment
from searchlib.fields import FILTER_TO_FIELD
from searchlib.query.rules import (NEAR_MAX_GAP, TERM_PART_MIN_CHARS, components, near_pattern, query_words,
                                   sentences_of)
from searchlib.query.parse import And, Exact, Filter, Not, Or, SameReport, SameSentence, Words, parse


@dataclass
class Paragraph:
    docnum: int
    stored: dict
    norm: str
    words: frozenset[str]


def paragraphs(library) -> list[Paragraph]:
    """Every live paragraph of the library's index, read from Whoosh's stored fields."""
    reader = library.searcher().reader()
    out = []
    for docnum, stored in reader.iter_docs():
        norm = normalize(stored.get("text", ""))
        out.append(Paragraph(docnum, stored, norm, frozenset(t.text for t in segment(norm))))
    return out


def word_in(word: str, norm: str, words: frozenset[str]) -> bool:
    if word in words:
        return True
    if len(word) >= 2 and word in norm:
        return True
    parts = components(word)
    if not parts or not all(p in words for p in parts):
        return False
    # In order, close together; parts that are terms of their own anywhere in one sentence.
    gap = None if all(len(p) >= TERM_PART_MIN_CHARS for p in parts) else NEAR_MAX_GAP
    return near_pattern(tuple(parts), gap).search(norm) is not None


def words_in(text: str, norm: str, words: frozenset[str]) -> bool:
    typed = query_words(text)
    if not typed:
        return normalize(text) in norm
    return all(word_in(w, norm, words) for w in typed)


def _filter_holds(node: Filter, stored: dict) -> bool:
    value = stored.get(FILTER_TO_FIELD[node.field])
    for wanted in node.value.split("|"):
        if node.field == "year":
            lo, dash, hi = wanted.partition("-")
            first, last = int(lo) if lo else -1, int(hi) if hi else (10_000 if dash else int(lo))
            if value is not None and first <= value <= last:
                return True
        elif node.field in ("province", "city", "county", "township"):
            if value is not None and normalize(value).startswith(normalize(wanted)):
                return True
        elif node.field == "title":
            title_words = {t.text for t in segment(normalize(value or ""))}
            if all(w in title_words for w in query_words(wanted)):
                return True
        elif value == wanted:
            return True
    return False


def holds(node, p: Paragraph) -> bool:
    """Whether the paragraph matches ``node`` (no 同篇 inside: see matching())."""
    if node is None:
        return True
    if isinstance(node, Words):
        return words_in(node.text, p.norm, p.words)
    if isinstance(node, Exact):
        return normalize(node.text) in p.norm
    if isinstance(node, Filter):
        return _filter_holds(node, p.stored)
    if isinstance(node, And):
        return all(holds(c, p) for c in node.children)
    if isinstance(node, Or):
        return any(holds(c, p) for c in node.children)
    if isinstance(node, Not):
        return not holds(node.child, p)
    if isinstance(node, SameSentence):
        return any(all(_in_sentence(c, s) for c in node.children) for s in sentences_of(p.norm, normalized=True))
    raise TypeError(node)


def _in_sentence(node, sentence: str) -> bool:
    if isinstance(node, Words):
        return words_in(node.text, sentence, frozenset(t.text for t in segment(sentence)))
    if isinstance(node, Exact):
        return normalize(node.text) in sentence
    raise TypeError(f"the scan states 同句 for words and strings only, not {node!r}")


def matching(q: str, all_paragraphs: list[Paragraph], **filters) -> list[Paragraph]:
    """The paragraphs a query (and parameter filters such as year="2021") matches."""
    tree = parse(q).tree
    extra = [Filter(k, v) for k, v in filters.items()]
    if extra:
        tree = And(tuple(([tree] if tree is not None else []) + extra))
    parts = list(tree.children) if isinstance(tree, And) else [tree]
    clauses = [c for c in parts if isinstance(c, SameReport)]
    if clauses:
        # 同篇: the whole report decides; what stands beside the clause (a filter, NOT) picks its paragraphs.
        rest = [c for c in parts if not isinstance(c, SameReport)]
        return [p for p in all_paragraphs
                if all(_in_one_report(clause, p, all_paragraphs) for clause in clauses) and all(holds(c, p) for c in rest)]
    return [p for p in all_paragraphs if holds(tree, p)]


def _in_one_report(clause: SameReport, p: Paragraph, all_paragraphs: list[Paragraph]) -> bool:
    """A paragraph holding a member of the clause, in a report where every member is held by some paragraph."""
    if not any(holds(c, p) for c in clause.children):
        return False
    report = [q for q in all_paragraphs if q.stored["doc_id"] == p.stored["doc_id"]]
    return all(any(holds(c, q) for q in report) for c in clause.children)


def bm25(term: str, all_paragraphs: list[Paragraph], weighting, byte_length) -> dict[int, float]:
    """BM25 of one word of the text field in every paragraph holding it: the formula over the token counts."""
    tokens = {p.docnum: [t.text for t in segment(p.norm)] for p in all_paragraphs}
    holding = {d: words.count(term) for d, words in tokens.items() if term in words}
    n = len(all_paragraphs)
    idf = log(n / (len(holding) + 1)) + 1
    average = sum(len(words) for words in tokens.values()) / n
    k1, b = weighting.K1, weighting.B   # (the schema sets no per-field B)
    return {d: idf * (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * byte_length(len(tokens[d])) / average))
            for d, tf in holding.items()}
