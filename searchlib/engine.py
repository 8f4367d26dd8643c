"""The one seam between the query tree and Whoosh.

Everything engine-specific lives here: which fields a word is looked up in,
how an exact string becomes a phrase of character bigrams, how filters map
onto indexed values, which documents match a tree exactly (同句 included),
and the per-document facet columns. Nothing outside this module builds a
Whoosh query.

How a typed word matches a paragraph
------------------------------------
A word matches where the segmenter produced it (as a word, or as a dictionary
sub-word such as 复议 inside 行政复议), and also where its characters stand
side by side but the segmenter cut across them (化解 in 多元化|解) — Chinese
has no spaces, and a researcher typing 化解 means the characters. That
literal match counts for less, so paragraphs where the segmenter agrees rank
first. Single characters are matched as words only: as strings they would
match nearly everything.

A long compound the dictionary keeps whole (行政执法三项制度, 执法全过程记录)
also matches, for less again, where its parts stand apart: reports write
行政执法“三项制度” or 执法公示、全过程记录 as often as the compound itself.
Shorter words are not split that way: 依法行政 as 依法 + 行政 would match
nearly every paragraph.

Title and section-heading words only add to the score: a word that is only in
the report's title must not make every paragraph of the report match.
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from searchlib.analysis import SENTENCE_END_CHARS, normalize, segment
from searchlib.fields import FILTER_TO_FIELD, PLACE_FIELDS
from searchlib.postings import FastPath, Unsupported
from searchlib.query import And, Exact, Filter, Node, Not, Or, SameReport, SameSentence, Words
from searchlib.textstore import Texts

# An unquoted run of several words, this long, found as typed (the words side
# by side) counts extra: 行政复议纠错 as a phrase ranks above the words scattered.
LITERAL_RUN_MIN_CHARS = 3
LITERAL_RUN_BOOST = 2.0
# A word found only as characters across the segmenter's cut counts for less.
LITERAL_WORD_BOOST = 0.4
# A dictionary word this long also matches as its parts (see components()).
COMPOUND_MIN_CHARS = 6
COMPONENTS_BOOST = 0.3
# Where a word in the title or the section heading lifts a paragraph's score.
CONTEXT_BOOST = 1.0
SENTENCE_END = re.compile(f"[{re.escape(SENTENCE_END_CHARS)}]")
# PLACE_FIELDS and FILTER_TO_FIELD (query-language filter -> indexed field): searchlib.fields.


def query_words(text: str) -> list[str]:
    """Main words of a typed run, normalized, in order, without repeats."""
    return list(_query_words(text))


# Cached because 同句 checks ask for the same query's words once per sentence of
# every candidate paragraph (tens of thousands of times for a common pair).
@functools.lru_cache(maxsize=4096)
def _query_words(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tok in segment(normalize(text)):
        if not tok.sub:
            seen.setdefault(tok.text, None)
    return tuple(seen)


@functools.lru_cache(maxsize=4096)
def normalized_query(text: str) -> str:
    """``normalize`` for the short strings of a query, cached for the same reason."""
    return normalize(text)


def is_literal_run(text: str) -> bool:
    """An unquoted run long enough to be worth finding as typed."""
    run = normalize(text).strip()
    return len(run) >= LITERAL_RUN_MIN_CHARS and not any(c.isspace() for c in run)


def exact_query(text: str, fieldname: str = "exact") -> wq.Query | None:
    """Paragraphs whose normalized text contains ``text`` (a phrase of bigrams)."""
    norm = normalize(text)
    if not norm:
        return None
    if len(norm) == 1:
        # Every character starts a bigram (the last one stands alone), so the
        # bigrams beginning with it find every text containing it.
        return wq.Prefix(fieldname, norm)
    grams = [norm[i:i + 2] for i in range(len(norm) - 1)]
    if len(grams) == 1:
        return wq.Term(fieldname, grams[0])
    return wq.Phrase(fieldname, grams)


def components(word: str, min_chars: int = COMPOUND_MIN_CHARS) -> list[str]:
    """The parts of a long compound: its longest dictionary sub-words, left to right.

    行政执法三项制度 -> 行政执法 三项制度; 一村一法律顾问 -> 一村 一 法律顾问 (a
    character no sub-word covers is a part of its own). Empty for words
    shorter than ``min_chars`` or without sub-words.
    """
    if len(word) < min_chars:
        return []
    longest_at: dict[int, str] = {}
    for tok in segment(word):  # (segment loads the domain dictionary the sub-words come from)
        if tok.sub and len(tok.text) > len(longest_at.get(tok.start, "")):
            longest_at[tok.start] = tok.text
    parts: list[str] = []
    i = 0
    while i < len(word):
        piece = longest_at.get(i, word[i])
        parts.append(piece)
        i += len(piece)
    return parts if any(len(p) > 1 for p in parts) and len(parts) > 1 else []


def word_query(word: str) -> wq.Query:
    """One segmented word: as a word, or (for less) as characters side by side, or as its parts."""
    alternatives: list[wq.Query] = [wq.Term("text", word)]
    if len(word) >= 2:
        literal = exact_query(word)
        literal.boost = LITERAL_WORD_BOOST
        alternatives.append(literal)
    parts = components(word)
    if parts:
        alternatives.append(wq.And([wq.Term("text", p) for p in dict.fromkeys(parts)], boost=COMPONENTS_BOOST))
    return alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)


def words_query(text: str) -> wq.Query | None:
    words = query_words(text)
    if not words:
        return exact_query(text)
    parts = [word_query(w) for w in words]
    required = wq.And(parts) if len(parts) > 1 else parts[0]
    bonus: list[wq.Query] = []
    if len(words) > 1 and is_literal_run(text):
        run = exact_query(text)
        run.boost = LITERAL_RUN_BOOST
        bonus.append(run)
    for fieldname in ("title", "heading"):
        bonus.extend(wq.Term(fieldname, w, boost=CONTEXT_BOOST) for w in words)
    return wq.AndMaybe(required, wq.Or(bonus))


class Compiler:
    """Compiles a query tree for one searcher (place names resolve against its values)."""

    def __init__(self, searcher):
        self.searcher = searcher
        self._lexicons: dict[str, list[str]] = {}
        # Each node's query, by node identity: a request compiles its tree for the matches, again
        # for the ranking and once more per filtered facet, and the evaluator's memo goes by query
        # identity (see postings.FastPath.evaluate). The node is kept so its id is not reused.
        self._compiled: dict[int, tuple[Node, wq.Query | None]] = {}

    def field_values(self, fieldname: str) -> list[str]:
        if fieldname not in self._lexicons:
            reader = self.searcher.reader()
            self._lexicons[fieldname] = [t.decode("utf-8") if isinstance(t, bytes) else t
                                         for t in reader.lexicon(fieldname)]
        return self._lexicons[fieldname]

    def compile(self, node: Node | None) -> wq.Query:
        """The Whoosh query; a 同句 clause compiles to its necessary condition (all members in the paragraph)."""
        if node is None:
            return wq.Every()
        return self._compile(node) or wq.NullQuery

    def _compile(self, node: Node) -> wq.Query | None:
        found = self._compiled.get(id(node))
        if found is None or found[0] is not node:
            found = self._compiled[id(node)] = (node, self._compile_node(node))
        return found[1]

    def _compile_node(self, node: Node) -> wq.Query | None:
        if isinstance(node, Words):
            return words_query(node.text)
        if isinstance(node, Exact):
            return exact_query(node.text)
        if isinstance(node, Filter):
            return self.filter_query(node)
        if isinstance(node, (And, SameSentence)):
            return self._and(node.children)
        if isinstance(node, (Or, SameReport)):
            # Of a 同篇 clause this is its necessary condition; the Matcher keeps the reports with all members.
            parts = [q for c in node.children if (q := self._compile(c)) is not None]
            return wq.Or(parts) if parts else None
        if isinstance(node, Not):
            inner = self._compile(node.child)
            return wq.AndNot(wq.Every(), inner) if inner is not None else None
        raise TypeError(f"unknown query node {node!r}")

    def _and(self, children) -> wq.Query | None:
        positive = [q for c in children if not isinstance(c, Not) and (q := self._compile(c)) is not None]
        negative = [q for c in children if isinstance(c, Not) and (q := self._compile(c.child)) is not None]
        base: wq.Query = wq.And(positive) if len(positive) > 1 else (positive[0] if positive else wq.Every())
        if negative:
            return wq.AndNot(base, wq.Or(negative) if len(negative) > 1 else negative[0])
        return base

    def filter_query(self, node: Filter) -> wq.Query:
        alternatives = [self._one_filter(node.field, v) for v in node.value.split("|")]
        return alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)

    def _one_filter(self, name: str, value: str) -> wq.Query:
        if name == "year":
            lo, _, hi = value.partition("-")
            return wq.NumericRange("report_year", int(lo), int(hi or lo))
        if name in ("section", "level", "body", "genre"):
            return wq.Term(FILTER_TO_FIELD[name], value)
        if name == "title":
            words = query_words(value)
            return wq.And([wq.Term("title", w) for w in words]) if words else wq.NullQuery
        if name in PLACE_FIELDS:
            return self.place_query(name, value)
        raise ValueError(f"unknown filter field {name}")

    def place_query(self, fieldname: str, typed: str) -> wq.Query:
        """四川 finds 四川省; the index's own values decide what a short form means."""
        return _any_term(fieldname, self.place_values(fieldname, typed)) or wq.Term(fieldname, typed)

    def place_values(self, fieldname: str, typed: str) -> list[str]:
        """The indexed names a typed place name stands for (exact name first, else the names it begins)."""
        norm = normalize(typed)
        values = self.field_values(fieldname)
        return ([v for v in values if normalize(v) == norm]
                or [v for v in values if normalize(v).startswith(norm)])


def _any_term(fieldname: str, values: list[str]) -> wq.Query | None:
    if not values:
        return None
    terms = [wq.Term(fieldname, v) for v in values]
    return terms[0] if len(terms) == 1 else wq.Or(terms)


# --- exact matching, 同句 included ------------------------------------------------

def has_sentence_clause(node: Node | None) -> bool:
    """Whether the compiled query matches more than the tree (a 同句 or 同篇 clause): then the Matcher decides."""
    if isinstance(node, (SameSentence, SameReport)):
        return True
    if isinstance(node, Not):
        return has_sentence_clause(node.child)
    if isinstance(node, (And, Or)):
        return any(has_sentence_clause(c) for c in node.children)
    return False


class Matcher:
    """The exact set of documents a tree matches.

    Without a 同句 clause this is one Whoosh query. With one, Whoosh narrows
    the candidates (all members in the paragraph) and only those candidates'
    text is read and split into sentences.
    """

    def __init__(self, searcher, compiler: Compiler, texts: Texts, fast: FastPath | None = None,
                 memo: dict | None = None, report_of: np.ndarray | None = None):
        self.searcher = searcher
        # Document number -> a code of its report (for 同篇); None: a 同篇 clause cannot be decided.
        self.report_of = report_of
        self.compiler = compiler
        self.texts = texts  # document number -> its NORMALIZED text (see searchlib.textstore)
        # The NumPy evaluator (see searchlib.postings) and its per-request memo of evaluated subqueries;
        # without it, or for a query it does not cover, Whoosh finds the documents.
        self.fast = fast
        self.memo = {} if memo is None else memo

    def docnums(self, node: Node | None) -> set[int]:
        return self._docs(node, None)

    def docarray(self, node: Node | None) -> np.ndarray:
        """The same documents as :meth:`docnums`, as a sorted int64 array."""
        if not has_sentence_clause(node):
            found = self._fast_docs(node)
            if found is not None:
                return found
        elif isinstance(node, SameSentence) and sentence_strings(node) is not None:
            # The common 同句 query: candidates and answer stay arrays (a set of 500k costs 100 ms).
            candidates = self._fast_docs(node)
            if candidates is not None:
                found = self.texts.in_one_sentence(candidates, sentence_strings(node))
                if found is not None:
                    return candidates[found]
        return np.fromiter(sorted(self._docs(node, None)), dtype=np.int64)

    def _fast_docs(self, node: Node | None) -> np.ndarray | None:
        if self.fast is None:
            return None
        try:
            return self.fast.evaluate(self.compiler.compile(node), self.memo).docs
        except Unsupported:
            return None

    def _query_docs(self, node: Node | None, within: set[int] | None) -> set[int]:
        fast = self._fast_docs(node)
        if fast is not None:
            found = set(fast.tolist())
        else:
            found = set(self.searcher.docs_for_query(self.compiler.compile(node)))
        return found if within is None else found & within

    def _docs(self, node: Node | None, within: set[int] | None) -> set[int]:
        if not has_sentence_clause(node):
            return self._query_docs(node, within)
        if isinstance(node, SameSentence):
            return self._in_one_sentence(node, self._query_docs(node, within))
        if isinstance(node, SameReport):
            return self._in_one_report(node, within)
        if isinstance(node, And):
            plain = [c for c in node.children if not has_sentence_clause(c)]
            docs = self._query_docs(And(tuple(plain)) if plain else None, within)
            for child in node.children:
                if has_sentence_clause(child):
                    docs = self._docs(child, docs)
            return docs
        if isinstance(node, Or):
            found: set[int] = set()
            for child in node.children:
                found |= self._docs(child, within)
            return found
        if isinstance(node, Not):
            base = self._query_docs(None, within)
            return base - self._docs(node.child, base)
        raise TypeError(f"unknown query node {node!r}")

    def _in_one_report(self, clause: SameReport, within: set[int] | None) -> set[int]:
        """The paragraphs matching any member, in reports where every member matches some paragraph."""
        if self.report_of is None:
            raise TypeError("a 同篇 clause needs the report of each document")
        members = [self._docs(child, within) for child in clause.children]
        reports = set.intersection(*({int(self.report_of[d]) for d in docs} for docs in members))
        return {d for docs in members for d in docs if int(self.report_of[d]) in reports}

    def _in_one_sentence(self, clause: SameSentence, candidates: set[int]) -> set[int]:
        """The candidates with one sentence that holds the whole clause."""
        strings = sentence_strings(clause)
        if strings is not None and candidates:
            docs = np.fromiter(sorted(candidates), dtype=np.int64, count=len(candidates))
            found = self.texts.in_one_sentence(docs, strings)
            if found is not None:
                return set(docs[found].tolist())
        return {d for d in candidates if sentence_match(clause, self.texts.get(d), normalized=True)}


def sentences_of(text: str, normalized: bool = False) -> list[str]:
    """The normalized sentences of a paragraph (split on 。！？； and line breaks)."""
    return [s for s in SENTENCE_END.split(text if normalized else normalize(text)) if s.strip()]


def sentence_match(clause: SameSentence, text: str, normalized: bool = False) -> bool:
    """True when one sentence of ``text`` holds the whole clause (``normalized``: text already is)."""
    sentences = sentences_of(text, normalized)
    literal = literal_words(clause)
    if literal is not None:
        return any(all(w in sentence for w in literal) for sentence in sentences)
    return any(_holds_in(clause, sentence, {}) for sentence in sentences)


@functools.lru_cache(maxsize=1024)
def literal_words(clause: SameSentence) -> tuple[str, ...] | None:
    """The words of a clause that holds exactly where a sentence contains them all, else None.

    That is the case for plain words of 2 to COMPOUND_MIN_CHARS - 1 characters
    (see _word_in_sentence: such a word matches a sentence if and only if it is
    in it literally); single characters, compounds, exact strings, OR and NOT
    go through the general rule. The common 同句 query then needs only one
    substring test per word and sentence.
    """
    words: list[str] = []
    for member in clause.children:
        if not isinstance(member, Words):
            return None
        found = _query_words(member.text)
        if not found or any(not 2 <= len(w) < COMPOUND_MIN_CHARS for w in found):
            return None
        words.extend(found)
    return tuple(dict.fromkeys(words))


# Beyond this many alternatives a clause is checked by the general rule, sentence by sentence.
MAX_SENTENCE_ALTERNATIVES = 32

# A clause as alternatives, each a set of strings that one sentence must all contain.
Alternatives = tuple[frozenset[str], ...]


def _all_of(parts: list[Alternatives | None]) -> Alternatives | None:
    if any(p is None for p in parts):
        return None
    combined: Alternatives = (frozenset(),)
    for part in parts:
        combined = tuple(dict.fromkeys(a | b for a in combined for b in part))
        if len(combined) > MAX_SENTENCE_ALTERNATIVES:
            return None
    return combined


def _word_alternatives(word: str) -> Alternatives | None:
    """_word_in_sentence as strings: the word itself, or all its parts (None: needs the segmenter)."""
    if len(word) < 2:
        return None  # a single character must be a word of the sentence, not just in it
    parts = components(word)
    if not parts:
        return (frozenset([word]),)
    by_parts = _all_of([_word_alternatives(p) for p in parts])
    return None if by_parts is None else (frozenset([word]),) + by_parts


def _alternatives(node: Node) -> Alternatives | None:
    """_holds_in as strings (None where it needs more than substring tests)."""
    if isinstance(node, Exact):
        return (frozenset([normalized_query(node.text)]),)
    if isinstance(node, Words):
        words = _query_words(node.text)
        if not words:
            return (frozenset([normalized_query(node.text).strip()]),)
        return _all_of([_word_alternatives(w) for w in words])
    if isinstance(node, (And, SameSentence, SameReport)):
        return _all_of([_alternatives(c) for c in node.children])
    if isinstance(node, Or):
        parts = [_alternatives(c) for c in node.children]
        if any(p is None for p in parts):
            return None
        joined = tuple(dict.fromkeys(a for p in parts for a in p))
        return joined if len(joined) <= MAX_SENTENCE_ALTERNATIVES else None
    if isinstance(node, Filter):
        return (frozenset(),)
    return None  # Not: "a sentence without X" is no substring test


@functools.lru_cache(maxsize=1024)
def sentence_strings(clause: SameSentence) -> tuple[tuple[bytes, ...], ...] | None:
    """The clause as alternatives of UTF-8 strings, one sentence holding all of one alternative's:
    exactly the decision of sentence_match, made by substring search alone. None where the clause
    needs the general rule (a single character, NOT, too many alternatives)."""
    alternatives = _alternatives(clause)
    if alternatives is None or any(not "".join(a).strip() for a in alternatives):
        return None
    # A string with a terminator in it is in no sentence: its alternative never holds.
    possible = [a for a in alternatives if not any(SENTENCE_END.search(s) for s in a)]
    return tuple(tuple(sorted(s.encode("utf-8") for s in a)) for a in possible)


def _holds_in(node: Node, sentence: str, cache: dict) -> bool:
    """Whether ``sentence`` (normalized) satisfies ``node`` under the same rules as the index."""
    if isinstance(node, Exact):
        return normalized_query(node.text) in sentence
    if isinstance(node, Words):
        words = _query_words(node.text)
        if not words:
            return normalized_query(node.text).strip() in sentence
        return all(_word_in_sentence(w, sentence, cache) for w in words)
    if isinstance(node, (And, SameSentence, SameReport)):
        return all(_holds_in(c, sentence, cache) for c in node.children)
    if isinstance(node, Or):
        return any(_holds_in(c, sentence, cache) for c in node.children)
    if isinstance(node, Not):
        return not _holds_in(node.child, sentence, cache)
    return True  # a filter is about the report, not the sentence: already applied


def _word_in_sentence(word: str, sentence: str, cache: dict) -> bool:
    """The rules of word_query, applied to one sentence."""
    if len(word) >= 2 and word in sentence:
        return True  # several characters side by side match, as in the index
    parts = components(word)
    if parts:
        return all(_word_in_sentence(p, sentence, cache) for p in parts)
    if word not in sentence:
        return False
    if "tokens" not in cache:
        cache["tokens"] = {t.text for t in segment(sentence)}
    return word in cache["tokens"]


# --- facet columns ------------------------------------------------------------------

# Facet codes of fewer matches than a column's values over this are sorted rather than counted.
SORT_CODES_SHARE = 8
# Up to this many matches, a column is tallied in Python: for ten matches a Counter took 2.7 µs
# against 8.6 for np.unique (sort, diff, counts), and a rare term counts six columns.
COUNT_IN_PYTHON = 64


@dataclass(frozen=True)
class Column:
    """One stored value per document number: ``values[codes[docnum]]`` (code 0 is "no value")."""

    values: list
    codes: np.ndarray

    def counts(self, docnums: np.ndarray) -> list[tuple[object, int]]:
        """(value, how many of ``docnums`` have it) for each value present, in code order."""
        if not len(docnums):
            return []
        codes = self.codes[docnums]
        if len(codes) <= COUNT_IN_PYTHON:
            tallies = Counter(codes.tolist())
            return [(self.values[code], tallies[code]) for code in sorted(tallies)]
        if self._few(codes):
            present, tally = np.unique(codes, return_counts=True)
        else:
            tally = np.bincount(codes, minlength=len(self.values))
            # Only the values present are looked at in Python (a county column has thousands).
            present = np.flatnonzero(tally)
            tally = tally[present]
        return [(self.values[code], n) for code, n in zip(present.tolist(), tally.tolist())]

    def distinct(self, docnums: np.ndarray) -> int:
        """How many different codes ``docnums`` have (no value counts as one)."""
        if not len(docnums):
            return 0
        codes = self.codes[docnums]
        if len(codes) <= COUNT_IN_PYTHON:
            return len(set(codes.tolist()))
        return len(np.unique(codes)) if self._few(codes) else int(np.count_nonzero(np.bincount(codes)))

    def _few(self, codes: np.ndarray) -> bool:
        # Sorting a few codes beats counting over every value (33k reports at 1M paragraphs).
        return len(codes) * SORT_CODES_SHARE < len(self.values)
