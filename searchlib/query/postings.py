"""The query evaluator: every query the engine's Compiler builds, evaluated with NumPy.

Whoosh writes the index and keeps its segments; it does not search them. Each term's posting list is two arrays
(document numbers, weights): sliced from the segment's flat posting files (:mod:`searchlib.index.postingstore`), or, for
a segment without them, decoded from Whoosh's posting blocks once per searcher and kept in a bounded cache. A query is
then a few set operations and one vectorized BM25F over whole arrays.

What each query class the Compiler builds means:

* ``Term``: BM25F (``bm25`` of ``whoosh.scoring``: the same idf, average and byte-coded field length), or the posting
  weight for an unscored field; times the boost;
* ``Or``/``And``: union/intersection, the children's scores summed, times the
  boost (a one-child ``Or``/``And`` is its child, boost ignored);
* ``AndMaybe``: the first child's documents, plus the second's score where it matches (always: the title/heading bonus
  never depends on how the sets were walked); ``AndNot``: the first's documents and scores without the second's;
* ``Phrase`` of bigrams: documents whose normalized text contains the string (the bigram phrase means exactly that, see
  :func:`searchlib.analysis.bigrams`): from the text files' suffix arrays (:mod:`searchlib.index.textstore`), or the
  candidates with every bigram checked on their text (or, for a segment without text files, on the bigrams' positions);
  scored as the sum of its bigrams' scores;
* ``NearAnd`` (a long compound as its parts): an ``And`` of words, kept where the text has them close together, in
  order (its pattern), or holds the compound itself as a word;
* ``Prefix`` (a one-character exact string): every document holding the character, each scoring the boost;
* ``NumericRange`` on the report year: the years in range, scoring the boost;
* ``Every``/``NullQuery``.

Any other query is a programming error (TypeError): the Compiler builds no other.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from math import log

import numpy as np
from whoosh import query as wq
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from searchlib.index.postingstore import Lexicon, SegmentPostings
from searchlib.index.storage import field_b, length_bytes, posting_arrays
from searchlib.index.textstore import Texts


# Postings kept in memory per searcher (document number + weight: 8 bytes each).
CACHE_POSTINGS = 16_000_000
# A list sliced from the posting files is kept (within CACHE_POSTINGS) when it is this short: a request asks for a rare
# word's list two or three times, at ~10 µs of converting and joining its segments' slices each time.
KEEP_SLICED_POSTINGS = 4096
# Terms whose per-segment slices of the posting files are kept (a list of views each).
CACHE_SLICED_TERMS = 4096
# Scores equal to this many decimals are ties (then the paragraph id decides): summing the same
# scores in another order changes their last bits, never their sixth decimal.
SCORE_DECIMALS = 6
# byte -> field length, as Whoosh decodes the length column (0: no such field in the document).
_LENGTH_OF_BYTE = np.array([byte_to_length(b) or 0 for b in range(256)], dtype=np.float64)


@dataclass(frozen=True)
class Scored:
    """Matching document numbers (sorted, distinct) and their scores, aligned."""

    docs: np.ndarray
    scores: np.ndarray

    @staticmethod
    def empty() -> "Scored":
        return Scored(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))

    def boosted(self, boost: float) -> "Scored":
        return self if boost == 1.0 else Scored(self.docs, self.scores * boost)

    def scores_at(self, docs: np.ndarray, missing: float = 0.0) -> np.ndarray:
        """The score of each of ``docs`` (sorted), ``missing`` where it is not matched."""
        if not len(self.docs):
            return np.full(len(docs), missing)
        at = np.minimum(np.searchsorted(self.docs, docs), len(self.docs) - 1)
        return np.where(self.docs[at] == docs, self.scores[at], missing)


class Evaluator:
    """Evaluates compiled queries over one searcher (one index version); thread-safe enough to share
    (a race only reads a posting list twice)."""

    def __init__(self, searcher, year_of: np.ndarray, texts: Texts):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.size = self.reader.doc_count_all()
        self.leaves = list(self.reader.leaf_readers())
        self.live = self._live_mask()
        # The report year per document number (NaN: none), from the facet columns.
        self.year_of = year_of
        # The searcher's flat text files, where exact strings are checked.
        self.texts = texts
        weighting = searcher.weighting
        if type(weighting) is not BM25F:
            raise TypeError(f"the evaluator scores with BM25F, not {type(weighting).__name__}")
        self.weighting = weighting
        # Per field, each segment's flat posting files (None: that segment is read through Whoosh).
        self._stores: dict[str, list[SegmentPostings | None]] = {}
        self._postings: OrderedDict[tuple[str, bytes], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cached = 0
        self._lengths: dict[str, np.ndarray] = {}
        self._norms: dict[str, np.ndarray] = {}
        self._slice_cache: OrderedDict[tuple[str, bytes], list] = OrderedDict()
        self._lexicons: dict[str, Lexicon | None] = {}
        # A term is scored several times a request (its documents, then a phrase's candidates ...).
        self._idfs: dict[tuple[str, bytes], float] = {}

    # --- reading the index ----------------------------------------------------

    def _live_mask(self) -> np.ndarray | None:
        if not self.reader.has_deletions():
            return None
        mask = np.ones(self.size, dtype=bool)
        for leaf, offset in self.leaves:
            if leaf.has_deletions():
                deleted = leaf.deleted_docs_set  # the set Whoosh's own matchers filter with
                mask[np.fromiter(deleted, dtype=np.int64, count=len(deleted)) + offset] = False
        return mask

    def postings(self, fieldname: str, text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, weights) of a term over the live documents; empty arrays for an unknown term."""
        key = (fieldname, text if isinstance(text, bytes) else self.schema[fieldname].to_bytes(text))
        with self._cache_lock:  # request threads share the cache (an evicted key made move_to_end raise)
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found, decoded = self._read_postings(*key)
        if not decoded and len(found[0]) > KEEP_SLICED_POSTINGS:
            return found  # sliced from the posting files: cheaper to slice again than to keep
        with self._cache_lock:
            if key not in self._postings:
                self._postings[key] = found
                self._cached += len(found[0])
            while self._cached > CACHE_POSTINGS and len(self._postings) > 1:
                _, (ids, _) = self._postings.popitem(last=False)
                self._cached -= len(ids)
        return found

    def _segment_postings(self, fieldname: str) -> list[SegmentPostings | None]:
        stores = self._stores.get(fieldname)
        if stores is None:
            stores = self._stores[fieldname] = [SegmentPostings.open(leaf.storage(), leaf.segment(), fieldname)
                                                for leaf, _ in self.leaves]
        return stores

    def _lexicon(self, fieldname: str) -> Lexicon | None:
        """The index's lexicon of ``fieldname``, when it was written for these segments (and every
        one has posting files)."""
        if fieldname not in self._lexicons:
            stores = self._segment_postings(fieldname)
            self._lexicons[fieldname] = None if not self.leaves or any(s is None for s in stores) else \
                Lexicon.open(self.leaves[0][0].storage(), [leaf.segment() for leaf, _ in self.leaves], fieldname)
        return self._lexicons[fieldname]

    def _slices(self, fieldname: str, btext: bytes) -> list[tuple[np.ndarray, np.ndarray] | None]:
        """Each segment's (local documents, weights) of the term, as views of its posting files
        (None for a segment without them). Kept for the next few thousand terms: an AND sizes
        its children with them before it evaluates them."""
        key = (fieldname, btext)
        found = self._slice_cache.get(key)
        if found is None:
            stores = self._segment_postings(fieldname)
            lexicon = self._lexicon(fieldname)
            if lexicon is None:
                found = [None if store is None else store.get(btext) for store in stores]
            else:
                spans = lexicon.spans_of(btext)
                # A rare word is in a few of the segments: the rest share their empty views.
                found = [store.empty for store in stores] if spans is None else \
                    [(store.docs[begin:end], store.weights[begin:end]) if end > begin else store.empty
                     for store, (begin, end) in zip(stores, spans)]
            self._slice_cache[key] = found
            if len(self._slice_cache) > CACHE_SLICED_TERMS:
                self._slice_cache.popitem(last=False)
        return found

    def _read_postings(self, fieldname: str, btext: bytes) -> tuple[tuple[np.ndarray, np.ndarray], bool]:
        """The term's (ids, weights), and whether any segment's share was decoded from Whoosh's blocks."""
        ids_parts, weight_parts = [], []
        decoded = False
        for (leaf, offset), found in zip(self.leaves, self._slices(fieldname, btext)):
            if found is not None:
                if len(found[0]):
                    ids_parts.append(found[0].astype(np.int64) + offset)
                    weight_parts.append(found[1].astype(np.float64))
                continue
            if (fieldname, btext) not in leaf:
                continue
            decoded = True
            ids, weights = posting_arrays(leaf, fieldname, btext)  # deleted ones: the live mask takes them out below
            ids_parts.append(ids + offset)
            weight_parts.append(weights)
        if not ids_parts:
            return (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)), decoded
        ids = np.concatenate(ids_parts)
        weights = np.concatenate(weight_parts)
        if self.live is not None:
            keep = self.live[ids]
            ids, weights = ids[keep], weights[keep]
        return (ids, weights), decoded

    def lengths(self, fieldname: str) -> np.ndarray:
        """Per document number, the field length Whoosh scores with (decoded from its length byte)."""
        found = self._lengths.get(fieldname)
        if found is None:
            codes = np.zeros(self.size, dtype=np.uint8)
            for leaf, offset in self.leaves:
                codes[offset:offset + leaf.doc_count_all()] = length_bytes(leaf, fieldname)
            found = self._lengths[fieldname] = _LENGTH_OF_BYTE[codes]
        return found

    # --- evaluating -----------------------------------------------------------

    def evaluate(self, query: wq.Query, memo: dict | None = None) -> Scored:
        """The documents ``query`` matches and the score of each."""
        memo = {} if memo is None else memo
        # Keyed by identity, not equality: hashing a Whoosh query walks its whole tree, on every
        # lookup of every node. The compiler hands out the same object for the same part of a
        # request (see engine.Compiler), and the memo keeps each query alive, so an id is not reused.
        found = memo.get(id(query))
        if found is None or found[0] is not query:
            found = memo[id(query)] = (query, self._evaluate(query, memo))
        return found[1]

    def _evaluate(self, q: wq.Query, memo: dict) -> Scored:
        kind = type(q)
        if kind is wq.Term:
            return self._term(q)
        if kind is wq.Or:
            return self._or(q, memo)
        if kind is wq.And:
            return self._and(q, memo)
        if kind is NearAnd:
            return self._near_and(q, memo)
        if kind is wq.AndMaybe:
            return self._and_maybe(q, memo)
        if kind is wq.AndNot:
            return self._and_not(q, memo)
        if kind is wq.Phrase:
            return self._phrase(q, None)
        if kind is wq.NumericRange:
            return self._numeric_range(q)
        if kind is wq.Prefix:
            return self._prefix(q)
        if kind is wq.Every and q.fieldname in (None, "", "*"):
            docs = self.live_docs()
            return Scored(docs, np.full(len(docs), float(q.boost)))
        if q is wq.NullQuery or kind is type(wq.NullQuery):
            return Scored.empty()
        raise TypeError(f"the Compiler builds no {type(q).__name__} query")

    def live_docs(self) -> np.ndarray:
        """Every live document number, in order."""
        docs = np.arange(self.size, dtype=np.int64)
        return docs if self.live is None else docs[self.live]

    def _term(self, q: wq.Term) -> Scored:
        btext = self._term_bytes(q)
        if btext is None:
            return Scored.empty()
        ids, weights = self.postings(q.fieldname, btext)
        if not len(ids):  # (a rare word is in no title or heading: skip the arithmetic on nothing)
            return Scored.empty()
        scorable = self.schema[q.fieldname].scorable
        scores = self._bm25(q.fieldname, btext, ids, weights) if scorable else weights.astype(np.float64)
        return Scored(ids, scores).boosted(q.boost)

    def _term_bytes(self, q: wq.Term) -> bytes | None:
        """The term as the index holds it; None for a field the schema lacks or a text it cannot hold."""
        if q.fieldname not in self.schema:
            return None
        try:
            return self.schema[q.fieldname].to_bytes(q.text)
        except ValueError:
            return None

    def _prefix(self, q: wq.Prefix) -> Scored:
        """A Prefix (a one-character exact string is one: every bigram it starts): the documents of the terms it expands
        to, each scoring the boost. Through Whoosh, "法" at 20k paragraphs took 1.9 s to match and 7 s to rank."""
        if q.fieldname not in self.schema:
            return Scored.empty()
        words = [w for w in self.reader.expand_prefix(q.fieldname, q.text) if w]
        if len(words) == 1:
            return self._term(wq.Term(q.fieldname, words[0], boost=q.boost))
        if not words:
            return Scored.empty()
        docs = self._holding(q.text) if q.fieldname == "exact" and len(q.text) == 1 else None
        if docs is None:  # (the suffix arrays are one search where the union read 112 lists for "法")
            btexts = [self.schema[q.fieldname].to_bytes(w) for w in words]
            docs = np.unique(np.concatenate([self._read_postings(q.fieldname, b)[0][0] for b in btexts]))
        return Scored(docs, np.full(len(docs), float(q.boost)))

    def _bm25(self, fieldname: str, btext: bytes, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``whoosh.scoring.bm25`` over arrays, operation for operation."""
        idf = self.idf(fieldname, btext)
        K1 = self.weighting.K1
        tf = weights.astype(np.float64, copy=False)
        return idf * ((tf * (K1 + 1)) / (tf + self._length_norms(fieldname)[ids]))

    def idf(self, fieldname: str, btext: bytes) -> float:
        """Whoosh's idf (``WeightingModel.idf``: log(N / (df + 1)) + 1, deleted documents counted as
        Whoosh counts them), with df from the posting files' lengths. Whoosh reads df from its term
        dictionary inside each segment's big compound file: at 1M paragraphs, with the index
        larger than the page cache, a new term cost disk reads in all 20 segments."""
        key = (fieldname, btext)
        found = self._idfs.get(key)
        if found is None:
            if len(self._idfs) >= CACHE_SLICED_TERMS:
                self._idfs.clear()
            slices = self._slices(fieldname, btext) if self.size else []
            if not self.size:
                found = 1.0   # an empty index: nothing to weigh (log(0) would fail in Whoosh's formula too)
            elif any(part is None for part in slices):
                found = self.searcher.idf(fieldname, btext)
            else:
                found = log(self.size / (sum(len(ids) for ids, _ in slices) + 1)) + 1
            self._idfs[key] = found
        return found

    def _length_norms(self, fieldname: str) -> np.ndarray:
        """Per document, bm25's ``K1 * ((1 - B) + B * fl / avgfl)``, the same operations in the same
        order (so the same bits), computed once per field instead of per posting and query (the
        average length too: Whoosh sums it over every segment on each call, 0.2 ms a query at 1M)."""
        found = self._norms.get(fieldname)
        if found is None:
            avgfl = self.searcher.avg_field_length(fieldname) or 1
            w = self.weighting
            B = field_b(w, fieldname)
            fl = self.lengths(fieldname)
            found = self._norms[fieldname] = w.K1 * ((1 - B) + B * fl / avgfl)
        return found

    def _or(self, q: wq.Or, memo: dict) -> Scored:
        subs = q.subqueries
        if not subs:
            return Scored.empty()
        if len(subs) == 1:
            return self.evaluate(subs[0], memo)
        parts = []
        for sub in subs:
            if type(sub) is wq.Phrase:
                parts.append(self._phrase(sub, self._known_containing(sub, subs, memo)))
            else:
                parts.append(self.evaluate(sub, memo))
        return union(parts, self.size).boosted(q.boost)

    def _known_containing(self, phrase: wq.Phrase, siblings, memo: dict) -> np.ndarray | None:
        """Documents certain to contain the phrase's string: a sibling word Term of the same string
        (the segmenter's words are substrings of the normalized text the bigrams come from)."""
        string = phrase_string(phrase)
        for sub in siblings:
            if type(sub) is wq.Term and sub.fieldname == "text" and sub.text == string:
                return self.evaluate(sub, memo).docs
        return None

    def _and(self, q: wq.And, memo: dict, within: np.ndarray | None = None) -> Scored:
        """Each child over the documents still in the running (a phrase then checks only those),
        and nothing more once none are left: an AND that finds nothing costs its first empty child."""
        subs = q.subqueries
        if not subs:
            return Scored.empty()
        if len(subs) == 1:  # (its boost ignored, as Whoosh does)
            return self._over(subs[0], within, memo)
        # The smallest child first: every other one is then looked at only where it still matters.
        subs = sorted(subs, key=self._estimated_size)
        result = self._over(subs[0], within, memo)
        for sub in subs[1:]:
            if not len(result.docs):
                return Scored.empty()
            result = intersection(result, self._restricted(sub, result.docs, memo), self.size)
        return result.boosted(q.boost)

    def _near_and(self, q: "NearAnd", memo: dict, within: np.ndarray | None = None) -> Scored:
        """The documents with every word, where the text has them close together (the texts of those that hold the
        compound itself as a word are not read: nearly all of them, for a compound researchers type)."""
        found = self._and(q, memo, within)
        if not len(found.docs):
            return found
        keep = held_in(found.docs, self.evaluate(q.itself, memo).docs)
        unread = np.flatnonzero(~keep)
        if len(unread):
            keep[unread] = self._near_checked(q, found.docs[unread], memo)
        return Scored(found.docs[keep], found.scores[keep])

    def _near_checked(self, q: "NearAnd", docs: np.ndarray, memo: dict) -> np.ndarray:
        """Which of ``docs`` (sorted) have a text ``near`` finds something in; each text is read once per request
        (the match and the tiers ask for the same compound, over all documents or some)."""
        key = ("near", q.near.pattern)
        checked, passed = memo.get(key, (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)))
        known = held_in(docs, checked)
        result = np.zeros(len(docs), dtype=bool)
        if known.any():
            result[known] = passed[np.searchsorted(checked, docs[known])]
        new = docs[~known]
        if len(new):
            result[~known] = found = self.texts.matching(new, q.near, q.near_bytes)
            merged = np.concatenate([checked, new])
            order = np.argsort(merged, kind="stable")
            memo[key] = (merged[order], np.concatenate([passed, found])[order])
        return result

    def _and_maybe(self, q: wq.AndMaybe, memo: dict, within: np.ndarray | None = None) -> Scored:
        required = self._over(q.a, within, memo)
        if not len(required.docs):
            return required
        optional = self._restricted(q.b, required.docs, memo)
        if not len(optional.docs):
            return required
        in_required, in_optional = common_positions(required.docs, optional.docs, self.size)
        scores = required.scores.copy()
        scores[in_required] += optional.scores[in_optional]
        return Scored(required.docs, scores)

    def _over(self, q: wq.Query, within: np.ndarray | None, memo: dict) -> Scored:
        """``q`` over every document, or restricted to ``within`` when given."""
        return self.evaluate(q, memo) if within is None else self._restricted(q, within, memo)

    def _restricted(self, q: wq.Query, within: np.ndarray, memo: dict) -> Scored:
        """``q`` where it matters for the documents ``within``: every one of those it matches, with its
        score, and maybe others (the caller intersects). A phrase then checks just those candidates."""
        kind = type(q)
        if kind is wq.Phrase:
            return self._phrase(q, None, within)
        if kind is wq.Or and len(q.subqueries) > 1:
            found = union([self._restricted(s, within, memo) for s in q.subqueries], self.size)
            return found.boosted(q.boost) if len(found.docs) else found
        if kind is wq.And:
            return self._and(q, memo, within)
        if kind is NearAnd:
            return self._near_and(q, memo, within)
        if kind is wq.AndMaybe:
            return self._and_maybe(q, memo, within)
        if kind is wq.Term:
            found = self._term_within(q, within)
            if found is not None:
                return found
        return self.evaluate(q, memo)

    def _term_slices(self, q: wq.Term) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """Each segment's (local documents, weights) of the term, sliced from the posting files;
        None when a segment has none."""
        btext = self._term_bytes(q)
        if btext is None:
            return []
        slices = self._slices(q.fieldname, btext)
        return None if any(found is None for found in slices) else slices

    def _estimated_size(self, q: wq.Query) -> int:
        """About how many documents ``q`` matches, from posting-list lengths (no list is read)."""
        kind = type(q)
        if kind is wq.Term:
            slices = self._term_slices(q)
            return self.size if slices is None else sum(len(ids) for ids, _ in slices)
        if kind is wq.Or:
            return min(self.size, sum(self._estimated_size(s) for s in q.subqueries))
        if kind in (wq.And, NearAnd, wq.Phrase):
            parts = q.subqueries if kind is not wq.Phrase else [wq.Term(q.fieldname, w) for w in q.words]
            return min((self._estimated_size(s) for s in parts), default=0)
        if kind in (wq.AndMaybe, wq.AndNot):
            return self._estimated_size(q.a)
        return self.size

    def _term_within(self, q: wq.Term, within: np.ndarray) -> Scored | None:
        """The term over the documents ``within`` only, each looked up in the segment's posting list;
        None when reading the whole list is cheaper (or a segment has no posting files)."""
        slices = self._term_slices(q)
        if slices is None:
            return None
        postings = sum(len(ids) for ids, _ in slices)
        if not postings:
            return Scored.empty()
        if len(within) * RESTRICTED_LOOKUP_SHARE >= postings:
            return None
        docs_parts, weight_parts = [], []
        bounds = np.searchsorted(within, [offset for _, offset in self.leaves] + [self.size]).tolist()
        for (_, offset), (ids, weights), lo, hi in zip(self.leaves, slices, bounds, bounds[1:]):
            if lo == hi or not len(ids):
                continue
            wanted = within[lo:hi]
            local = (wanted - offset).astype(ids.dtype)
            at = np.minimum(np.searchsorted(ids, local), len(ids) - 1)
            hit = ids[at] == local
            docs_parts.append(wanted[hit])
            weight_parts.append(weights[at[hit]])
        if not docs_parts:
            return Scored.empty()
        docs = np.concatenate(docs_parts)
        weights = np.concatenate(weight_parts).astype(np.float64)
        field = self.schema[q.fieldname]
        scores = self._bm25(q.fieldname, field.to_bytes(q.text), docs, weights) if field.scorable else weights
        return Scored(docs, scores).boosted(q.boost)

    def _and_not(self, q: wq.AndNot, memo: dict) -> Scored:
        positive = self.evaluate(q.a, memo)
        negative = self.evaluate(q.b, memo)
        keep = ~held_in(positive.docs, negative.docs)
        return Scored(positive.docs[keep], positive.scores[keep])

    def _phrase(self, q: wq.Phrase, known: np.ndarray | None, within: np.ndarray | None = None) -> Scored:
        """Documents containing the phrase's string, scored as the sum of its bigrams' scores.

        Where no sibling word says which documents hold the string (a quoted string, a literal
        run), the text files' suffix arrays list them outright; otherwise the candidates with
        every bigram are checked on their text, the sibling's documents without looking.
        """
        if q.slop != 1 or q.fieldname != "exact" or any(len(w) != 2 for w in q.words[:-1]):
            raise TypeError("the Compiler builds phrases of bigrams only")
        field = self.schema[q.fieldname]
        grams = [field.to_bytes(w) for w in q.words]
        string = phrase_string(q)
        docs = None
        if within is not None and self._few_to_check(q, within):
            docs = within[self.texts.containing(within, string.encode("utf-8"))]
        if docs is None and (known is None or not self._few_candidates(q.fieldname, grams)):
            docs = self._holding(string)
            if docs is not None and within is not None:
                docs = docs[common_positions(docs, within, self.size)[0]]
        if docs is None:
            docs = self._checked_candidates(q.fieldname, grams, string, known, within)
        scores = np.zeros(len(docs), dtype=np.float64)
        for gram in grams:
            scores += self._bm25(q.fieldname, gram, docs, self._weights_at(q.fieldname, gram, docs))
        return Scored(docs, scores).boosted(q.boost)

    def _few_to_check(self, q: wq.Phrase, within: np.ndarray) -> bool:
        """Whether reading the texts of ``within`` is cheaper than the suffix arrays: ~1 µs a text,
        against ~20 µs a segment plus ~0.016 µs a paragraph found (1M bench index)."""
        return len(within) <= TEXT_CHECK_PER_SEGMENT * len(self.leaves) + self._estimated_size(q) // 32

    def _few_candidates(self, fieldname: str, grams: list[bytes]) -> bool:
        """Whether the bigrams' posting lists are short enough to intersect and check."""
        postings = 0
        for gram in grams:
            slices = self._slices(fieldname, gram)
            if any(found is None for found in slices):
                return True
            postings += sum(len(ids) for ids, _ in slices)
        return postings <= CANDIDATE_POSTINGS_PER_SEGMENT * len(self.leaves)

    def _holding(self, string: str) -> np.ndarray | None:
        """The live documents whose normalized text holds ``string``, from the suffix arrays
        (None where a segment has none: see Texts.holding)."""
        docs = self.texts.holding(string.encode("utf-8"))
        if docs is not None and self.live is not None:
            docs = docs[self.live[docs]]
        return docs

    def _checked_candidates(self, fieldname: str, grams: list[bytes], string: str, known: np.ndarray | None,
                            within: np.ndarray | None) -> np.ndarray:
        """The documents with every bigram (within ``within``), kept where their text holds ``string``."""
        lists = [self.postings(fieldname, g)[0] for g in grams]
        if any(not len(ids) for ids in lists):
            return np.zeros(0, dtype=np.int64)
        candidates = within
        for ids in sorted(lists, key=len):
            candidates = ids if candidates is None else candidates[common_positions(candidates, ids, self.size)[0]]
        if known is None and len(string) > 2 and "text" in self.schema:
            # A paragraph with the string as one of its words holds it: no need to look at its text.
            known = self.postings("text", string)[0]
        return self._containing(fieldname, grams, candidates, known, string)

    def _weights_at(self, fieldname: str, btext: bytes, docs: np.ndarray) -> np.ndarray:
        """The term's weight in each of ``docs`` (sorted live document numbers that all hold it).

        Looked up segment by segment in the posting files: a common bigram's whole list
        (hundreds of thousands of postings at 1M) is not gathered to score a few thousand.
        """
        if not len(docs):  # (not a reason to gather the whole list: a phrase that found nothing)
            return np.zeros(0, dtype=np.float64)
        slices = self._slices(fieldname, btext)
        if (fieldname, btext) in self._postings or any(found is None for found in slices):
            ids, weights = self.postings(fieldname, btext)
            return weights[np.searchsorted(ids, docs)].astype(np.float64)
        out = np.empty(len(docs), dtype=np.float64)
        bounds = np.searchsorted(docs, [offset for _, offset in self.leaves] + [self.size]).tolist()
        for (_, offset), (ids, weights), lo, hi in zip(self.leaves, slices, bounds, bounds[1:]):
            if lo < hi:
                out[lo:hi] = weights[np.searchsorted(ids, (docs[lo:hi] - offset).astype(ids.dtype))]
        return out

    def _containing(self, fieldname: str, grams: list[bytes], candidates: np.ndarray,
                    known: np.ndarray | None, string: str) -> np.ndarray:
        """The candidates whose text holds ``string`` (``known`` ones without looking): a substring
        search in the flat text file, about a microsecond a candidate."""
        if known is not None and len(known):
            certain = held_in(candidates, known)
        else:
            certain = np.zeros(len(candidates), dtype=bool)
        unsure = np.flatnonzero(~certain)
        if len(unsure):
            certain[unsure[self.texts.containing(candidates[unsure], string.encode("utf-8"))]] = True
        return candidates[certain]

    def _numeric_range(self, q: wq.NumericRange) -> Scored:
        if q.fieldname != "report_year" or q.startexcl or q.endexcl:
            raise TypeError("the Compiler builds inclusive ranges of report years only")
        lo = -np.inf if q.start is None else q.start
        hi = np.inf if q.end is None else q.end
        years = self.year_of
        hit = (years >= lo) & (years <= hi)  # NaN (no year) is never in range
        if self.live is not None:
            hit &= self.live
        docs = np.flatnonzero(hit).astype(np.int64)
        return Scored(docs, np.full(len(docs), float(q.boost)))


def rounded(scores):
    """Scores (an array, or one) as they are compared and shown: the one place they are rounded."""
    return np.round(scores, SCORE_DECIMALS)


class NearAnd(wq.And):
    """Every word of ``subqueries`` in the document, close together as ``near`` finds them in its normalized text;
    a document holding ``itself`` (the compound as a word) passes unread."""

    def __init__(self, subqueries: list[wq.Query], itself: wq.Term, near: re.Pattern[str],
                 near_bytes: re.Pattern[bytes] | None = None, boost: float = 1.0):
        super().__init__(subqueries, boost=boost)
        self.itself = itself
        self.near = near
        self.near_bytes = near_bytes   # a necessary condition on the text's bytes (read before decoding)


def phrase_string(q: wq.Phrase) -> str:
    """The string a phrase of overlapping bigrams spells."""
    words = list(q.words)
    return words[0] + "".join(w[1:] for w in words[1:])


# Past these shares of the index, set operations go through arrays as long as the index (a
# bincount or a mask: linear) instead of sorting (np.unique, np.intersect1d). At 1M paragraphs,
# the union of two lists of 400k and 300k took 115 ms by sorting and 22 ms by bincount.
DENSE_UNION_SHARE = 1 / 16
# A term is looked up document by document (a binary search each) for a set this many times smaller
# than its posting list; otherwise its whole list is read and intersected.
RESTRICTED_LOOKUP_SHARE = 4
# A phrase over a set of documents reads their texts when there are at most this many a segment
# (more where the string is common; see Evaluator._few_to_check); otherwise the suffix arrays.
TEXT_CHECK_PER_SEGMENT = 32
# Where a sibling word already gives most of a phrase's documents, the candidates with every bigram
# are checked when their posting lists hold at most this many postings a segment (reading a list
# costs ~0.01 µs a posting, a suffix array ~15 µs a segment); otherwise the suffix arrays.
CANDIDATE_POSTINGS_PER_SEGMENT = 1500
DENSE_INTERSECTION_SHARE = 1 / 64


def union(parts: list[Scored], size: int) -> Scored:
    """Documents in any part (``size``: the index's document count), each part's score summed."""
    parts = [p for p in parts if len(p.docs)]
    if not parts:
        return Scored.empty()
    if len(parts) == 1:
        return parts[0]
    parts = _folded_into_largest(parts)
    if len(parts) == 1:
        return parts[0]
    every = np.concatenate([p.docs for p in parts])
    weights = np.concatenate([p.scores for p in parts])
    if len(every) > size * DENSE_UNION_SHARE:
        present = np.zeros(size, dtype=bool)
        present[every] = True
        docs = np.flatnonzero(present)
        return Scored(docs, np.bincount(every, weights=weights, minlength=size)[docs])
    docs, inverse = np.unique(every, return_inverse=True)
    return Scored(docs, np.bincount(inverse, weights=weights, minlength=len(docs)))


def _folded_into_largest(parts: list[Scored]) -> list[Scored]:
    """The largest part with every part whose documents it holds added in (a binary search per
    document, no sort), then the other parts. A word's own postings are a subset of its
    characters' (the text field's 法治 of the exact field's 法治), so a word's OR is usually one part."""
    parts = sorted(parts, key=lambda p: -len(p.docs))
    base = parts[0]
    scores = None
    rest: list[Scored] = []
    for part in parts[1:]:
        at = np.searchsorted(base.docs, part.docs)
        if np.array_equal(base.docs[np.minimum(at, len(base.docs) - 1)], part.docs):
            scores = base.scores.copy() if scores is None else scores
            scores[at] += part.scores
        else:
            rest.append(part)
    return [base if scores is None else Scored(base.docs, scores)] + rest


def intersection(a: Scored, b: Scored, size: int) -> Scored:
    in_a, in_b = common_positions(a.docs, b.docs, size)
    return Scored(a.docs[in_a], a.scores[in_a] + b.scores[in_b])


def common_positions(a: np.ndarray, b: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Where the documents both sorted, distinct arrays hold sit in ``a`` and in ``b`` (aligned:
    ``a[ia] == b[ib]``), as indices or boolean masks."""
    if min(len(a), len(b)) > size * DENSE_INTERSECTION_SHARE:
        in_b = np.zeros(size, dtype=bool)
        in_b[b] = True
        in_a = np.zeros(size, dtype=bool)
        in_a[a] = True
        return in_b[a], in_a[b]
    # Each document of the shorter looked up in the longer (no sort of both, as np.intersect1d
    # does: ~3 times slower for a rare word's few documents).
    if len(a) > len(b):
        ib, ia = common_positions(b, a, size)
        return ia, ib
    at, held = _looked_up(a, b)
    found = np.flatnonzero(held)
    return found, at[found]


def held_in(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which documents of sorted ``a`` the sorted array ``b`` holds, as a boolean mask over ``a``
    (``np.isin`` without its sort)."""
    return _looked_up(a, b)[1]


def _looked_up(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each document of sorted ``a`` would sit in sorted ``b``, and whether it is there."""
    if not len(b):
        return np.zeros(len(a), dtype=np.intp), np.zeros(len(a), dtype=bool)
    at = np.searchsorted(b, a)
    return at, b[np.minimum(at, len(b) - 1)] == a
