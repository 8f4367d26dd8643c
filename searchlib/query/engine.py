"""The one seam between the query tree and Whoosh.

Everything engine-specific lives here: which fields a word is looked up in, how an exact string becomes a phrase of
character bigrams, how filters map onto indexed values, which documents match a tree exactly (同句 included), and the
per-document facet columns. Nothing outside this module builds a Whoosh query.

How a typed word matches a paragraph is the rulebook's (:mod:`searchlib.query.rules`):
this module turns its plan of a typed run into a Whoosh query.

Title and section-heading words only add to the score: a word that is only in
the report's title must not make every paragraph of the report match.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from searchlib.analysis import normalize
from searchlib.fields import FILTER_TO_FIELD, PLACE_FIELDS
from searchlib.query.postings import Evaluator, NearAnd, Scored
from searchlib.query.parse import (And, Exact, Filter, Node, Not, Or, SameReport, SameSentence, Words, contains,
                                   year_bounds)
from searchlib.query.rules import (Word, parts_near, parts_near_bytes, plan_run, query_words, sentence_match, sentence_strings,
                                   sentence_strings_sure)
from searchlib.index.textstore import Texts

# An unquoted run found as typed (see rules.Run.as_typed) counts extra: 行政复议纠错
# as a phrase ranks above the words scattered.
LITERAL_RUN_BOOST = 2.0
# A word found only as characters across the segmenter's cut counts for less.
LITERAL_WORD_BOOST = 0.4
# A long compound found as its parts, close together (see rules.parts_near), counts for less again.
COMPONENTS_BOOST = 0.3
# Where a word in the title or the section heading lifts a paragraph's score.
CONTEXT_BOOST = 1.0
# PLACE_FIELDS and FILTER_TO_FIELD (query-language filter -> indexed field): searchlib.fields.


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


def word_query(word: Word) -> wq.Query:
    """One segmented word: as a word, or (for less) as characters side by side, or as its parts."""
    itself = wq.Term("text", word.text)
    alternatives: list[wq.Query] = [itself]
    if word.by_characters:
        literal = exact_query(word.text)
        literal.boost = LITERAL_WORD_BOOST
        alternatives.append(literal)
    if word.parts:
        parts = dict.fromkeys(p.text for p in word.parts)
        alternatives.append(NearAnd([wq.Term("text", p) for p in parts], itself, parts_near(word),
                                    parts_near_bytes(word), boost=COMPONENTS_BOOST))
    return alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)


def words_query(text: str) -> wq.Query | None:
    typed = plan_run(Words(text))
    if not typed.words:
        return exact_query(text)
    parts = [word_query(w) for w in typed.words]
    required = wq.And(parts) if len(parts) > 1 else parts[0]
    bonus: list[wq.Query] = []
    if typed.as_typed:
        run = exact_query(text)
        run.boost = LITERAL_RUN_BOOST
        bonus.append(run)
    for fieldname in ("title", "heading"):
        bonus.extend(wq.Term(fieldname, w, boost=CONTEXT_BOOST) for w in typed.word_texts)
    return wq.AndMaybe(required, wq.Or(bonus))


class Compiler:
    """Compiles a query tree for one searcher (place names resolve against its values)."""

    def __init__(self, searcher):
        self.searcher = searcher
        self._lexicons: dict[str, list[str]] = {}
        # Each node's query, by node identity: a request compiles its tree for the matches, again
        # for the ranking and once more per filtered facet, and the evaluator's memo goes by query
        # identity (see postings.Evaluator.evaluate). The node is kept so its id is not reused.
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
            return wq.NumericRange("report_year", *year_bounds(value))
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
        terms = [wq.Term(fieldname, v) for v in self.place_values(fieldname, typed)] or [wq.Term(fieldname, typed)]
        return terms[0] if len(terms) == 1 else wq.Or(terms)

    def place_values(self, fieldname: str, typed: str) -> list[str]:
        """The indexed names a typed place name stands for (exact name first, else the names it begins)."""
        norm = normalize(typed)
        values = self.field_values(fieldname)
        return ([v for v in values if normalize(v) == norm]
                or [v for v in values if normalize(v).startswith(norm)])


# --- exact matching, 同句 included ------------------------------------------------

def has_sentence_clause(node: Node | None) -> bool:
    """Whether the compiled query matches more than the tree (a 同句 or 同篇 clause): then the Matcher decides."""
    return contains(node, (SameSentence, SameReport))


def scoring_tree(node: Node | None) -> Node | None:
    """The tree whose compiled query scores the documents ``node`` matches: ``node`` without the NOTs of
    a 同句/同篇 clause (a NOT adds no score, and compiled, such a NOT excludes more than the tree does)."""
    if isinstance(node, Not) and has_sentence_clause(node.child):
        return None
    if isinstance(node, (And, Or)):
        kept = tuple(c for c in (scoring_tree(child) for child in node.children) if c is not None)
        if len(kept) == len(node.children) and all(k is c for k, c in zip(kept, node.children)):
            return node
        return None if not kept else kept[0] if len(kept) == 1 else type(node)(kept)
    return node


class Matcher:
    """The exact set of documents a tree matches, and their scores, for one request.

    Without a 同句 or 同篇 clause this is the compiled query, evaluated by :class:`searchlib.query.postings.Evaluator`.
    With one, the compiled query narrows the candidates (all members in the paragraph) and only those candidates' text
    is read and split into sentences.
    """

    def __init__(self, compiler: Compiler, texts: Texts, evaluator: Evaluator,
                 memo: dict | None = None, report_of: np.ndarray | None = None):
        # Document number -> a code of its report (for 同篇); None: a 同篇 clause cannot be decided.
        self.report_of = report_of
        self.compiler = compiler
        self.texts = texts  # document number -> its NORMALIZED text (see searchlib.index.textstore)
        # The NumPy evaluator (see searchlib.query.postings) and this request's memo of evaluated subqueries.
        self.evaluator = evaluator
        self.memo = {} if memo is None else memo

    def scored(self, query: wq.Query) -> Scored:
        """The documents a compiled query matches and their scores (memoized for the request)."""
        return self.evaluator.evaluate(query, self.memo)

    def scores_for(self, node: Node | None, docs: np.ndarray) -> np.ndarray:
        """The relevance score of each of ``docs`` (sorted documents ``node`` matches): the one score a
        paragraph has for the request, whatever the sort or grouping."""
        found = self.scored(self.compiler.compile(scoring_tree(node) if has_sentence_clause(node) else node))
        if found.docs is docs or (len(found.docs) == len(docs) and np.array_equal(found.docs, docs)):
            return found.scores
        return found.scores_at(docs)

    def docarray(self, node: Node | None) -> np.ndarray:
        """The documents ``node`` matches, as a sorted int64 array."""
        if not has_sentence_clause(node):
            return self._query_array(node)
        # Reading texts for a 同句/同篇 clause is the dear part (60 ms for 3,000 reports' candidates at 100k
        # paragraphs), and the tiers ask again for what the match stage found: once per request.
        key = ("clause", node)
        if key not in self.memo:
            self.memo[key] = self._clause_docarray(node)
        return self.memo[key]

    def _clause_docarray(self, node: Node) -> np.ndarray:
        if isinstance(node, SameSentence) and sentence_strings(node) is not None:
            # The common 同句 query: candidates and answer stay arrays (a set of 500k costs 100 ms).
            candidates = self._query_array(node)
            return candidates[self._one_sentence(node, candidates)]
        return np.fromiter(sorted(self._docs(node, None)), dtype=np.int64)

    def _one_sentence(self, clause: SameSentence, docs: np.ndarray) -> np.ndarray:
        """Which of ``docs`` have one sentence holding the clause, by substring search (needs sentence_strings). Where
        only a compound's parts are found, the general rule reads the sentence (the parts must stand close)."""
        held = self.texts.in_one_sentence(docs, sentence_strings(clause))
        sure = sentence_strings_sure(clause)
        if sure is not None and held.any():
            at = np.flatnonzero(held)
            unsure = at[~self.texts.in_one_sentence(docs[at], sure)] if sure else at
            held[unsure] = [sentence_match(clause, self.texts.get(int(d)), normalized=True) for d in docs[unsure]]
        return held

    def _query_array(self, node: Node | None) -> np.ndarray:
        return self.scored(self.compiler.compile(node)).docs

    def _query_docs(self, node: Node | None, within: set[int] | None) -> set[int]:
        found = set(self._query_array(node).tolist())
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
        """The paragraphs matching any member (among ``within``), in reports where every member matches some
        paragraph: the report's whole text decides, so a section or NOT beside the clause picks which of its
        paragraphs are shown, as the facet that offered it counted them (章节:下一步 on a /d search)."""
        if self.report_of is None:
            raise TypeError("a 同篇 clause needs the report of each document")
        members = [self._docs(child, None) for child in clause.children]
        reports = set.intersection(*({int(self.report_of[d]) for d in docs} for docs in members))
        found = {d for docs in members for d in docs if int(self.report_of[d]) in reports}
        return found if within is None else found & within

    def _in_one_sentence(self, clause: SameSentence, candidates: set[int]) -> set[int]:
        """The candidates with one sentence that holds the whole clause."""
        strings = sentence_strings(clause)
        if strings is not None and candidates:
            docs = np.fromiter(sorted(candidates), dtype=np.int64, count=len(candidates))
            return set(docs[self._one_sentence(clause, docs)].tolist())
        return {d for d in candidates if sentence_match(clause, self.texts.get(d), normalized=True)}


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
