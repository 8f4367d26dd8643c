"""The one seam between the query tree and Whoosh.

Everything engine-specific about matching lives here: which fields a word is
looked up in, how an exact string becomes a phrase of character bigrams, how
filters map onto stored values. :func:`sentence_match` re-checks 同句
(same-sentence) clauses against the stored text, which the index cannot do.
"""
from __future__ import annotations

import re

from whoosh import query as wq

from searchlib.analysis import normalize, segment
from searchlib.query import And, Exact, Filter, Node, Not, Or, SameSentence, Words

# An unquoted run this long is also matched as the literal string: it catches
# paragraphs where context made the segmenter cut the run differently, and
# ranks the run as typed above its words scattered.
LITERAL_RUN_MIN_CHARS = 3
LITERAL_RUN_BOOST = 2.0
SENTENCE_END = re.compile(r"[。！？；!?;\n]")
_PLACE_FIELDS = ("province", "city", "county", "township")


def query_words(text: str) -> list[str]:
    """Main words of a typed run, normalized, in order, without repeats."""
    seen: dict[str, None] = {}
    for tok in segment(normalize(text)):
        if not tok.sub:
            seen.setdefault(tok.text, None)
    return list(seen)


def exact_query(text: str, fieldname: str = "exact") -> wq.Query | None:
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


def words_query(text: str) -> wq.Query | None:
    words = query_words(text)
    if not words:
        return exact_query(text)
    required: wq.Query = wq.And([wq.Term("text", w) for w in words]) if len(words) > 1 else wq.Term("text", words[0])
    if len(normalize(text).strip()) >= LITERAL_RUN_MIN_CHARS and " " not in text.strip():
        literal = exact_query(text)
        if literal is not None:
            literal.boost = LITERAL_RUN_BOOST
            required = wq.Or([required, literal])
    context = [wq.Term("title", w) for w in words] + [wq.Term("heading", w) for w in words]
    return wq.AndMaybe(required, wq.Or(context))


class Compiler:
    """Compiles a query tree for one searcher (place names resolve against its values)."""

    def __init__(self, searcher):
        self.searcher = searcher
        self._lexicons: dict[str, list[str]] = {}

    def field_values(self, fieldname: str) -> list[str]:
        if fieldname not in self._lexicons:
            reader = self.searcher.reader()
            self._lexicons[fieldname] = [t.decode("utf-8") if isinstance(t, bytes) else t
                                         for t in reader.lexicon(fieldname)]
        return self._lexicons[fieldname]

    def compile(self, node: Node | None) -> wq.Query:
        if node is None:
            return wq.Every()
        return self._compile(node) or wq.NullQuery

    def _compile(self, node: Node) -> wq.Query | None:
        if isinstance(node, Words):
            return words_query(node.text)
        if isinstance(node, Exact):
            return exact_query(node.text)
        if isinstance(node, Filter):
            return self.filter_query(node)
        if isinstance(node, (And, SameSentence)):
            return self._and(node.children)
        if isinstance(node, Or):
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
        name, value = node.field, node.value
        if name == "year":
            lo, _, hi = value.partition("-")
            return wq.NumericRange("report_year", int(lo), int(hi or lo))
        if name == "section":
            return wq.Term("section_kind", value)
        if name in ("level", "body", "genre"):
            terms = [wq.Term(name, v) for v in value.split("|")]
            return terms[0] if len(terms) == 1 else wq.Or(terms)
        if name == "title":
            words = query_words(value)
            return wq.And([wq.Term("title", w) for w in words]) if words else wq.NullQuery
        if name in _PLACE_FIELDS:
            return self.place_query(name, value)
        raise ValueError(f"unknown filter field {name}")

    def place_query(self, fieldname: str, typed: str) -> wq.Query:
        """四川 finds 四川省; the index's own values decide what a short form means."""
        norm = normalize(typed)
        values = self.field_values(fieldname)
        matches = [v for v in values if normalize(v) == norm]
        if not matches:
            matches = [v for v in values if normalize(v).startswith(norm)]
        if not matches:
            return wq.Term(fieldname, typed)
        return wq.Or([wq.Term(fieldname, v) for v in matches]) if len(matches) > 1 else wq.Term(fieldname, matches[0])


def sentence_clauses(node: Node | None) -> list[SameSentence]:
    """同句 clauses that every hit must satisfy (those ANDed at the top)."""
    if isinstance(node, SameSentence):
        return [node]
    if isinstance(node, And):
        return [c for c in node.children if isinstance(c, SameSentence)]
    return []


def _member_in_sentence(member: Words | Exact, sentence: str, sentence_words: set[str]) -> bool:
    if isinstance(member, Exact):
        return normalize(member.text) in sentence
    words = query_words(member.text)
    return all(w in sentence_words for w in words) or normalize(member.text) in sentence


def sentence_match(clause: SameSentence, text: str) -> bool:
    """True when one sentence of ``text`` holds every member of the clause."""
    norm = normalize(text)
    for sentence in SENTENCE_END.split(norm):
        if not sentence.strip():
            continue
        sentence_words = {t.text for t in segment(sentence)}
        if all(_member_in_sentence(m, sentence, sentence_words) for m in clause.children):
            return True
    return False
