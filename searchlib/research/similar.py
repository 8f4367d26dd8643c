"""Similar passages: the paragraphs most like a pasted one (or like a paragraph given by its pid).

Built on the analyzer and on the reuse pass's measure (:mod:`searchlib.research.reuse`): similarity is the
Jaccard similarity of the two texts' 5-character shingles after normalization (full/half width,
traditional -> simplified, white space removed), so a lightly edited copy (a number changed, a word
swapped, 繁體) scores high. Containment (the share of the given text's shingles a paragraph holds)
is given too, and a paragraph that contains (>= 80%) a pasted sentence is listed whatever its Jaccard. Candidates come from the index, not from a scan: the analyzer cuts the
text into words, the ``CANDIDATE_WORDS`` rarest of them (fewest paragraphs) are looked up with the
search layer under the request's filters, and the paragraphs holding most of them are compared
exactly. For a pid, the reuse pass's verified copies (Jaccard >= 0.8) are always among them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from searchlib import fields
from searchlib.research import reuse
from searchlib.analysis import is_word, main_words, normalize
from searchlib.query.parse import QueryError

CANDIDATE_WORDS = 10       # the text's rarest words looked up in the index
MAX_CANDIDATES = 400       # paragraphs compared exactly (those holding most of those words)
MAX_TEXT_CHARS = 5000      # a pasted passage longer than this is a report, not a paragraph
DEFAULT_LIMIT = 20
DEFAULT_MIN_SIMILARITY = 0.3
# A paragraph holding (nearly) all of a pasted sentence is listed whatever its Jaccard: a sentence
# copied into a longer paragraph shares few of that paragraph's shingles.
CONTAINED = 0.8
ORDERS = ("similarity", "earliest")


@dataclass
class Passage:
    pid: str
    url: str
    doc_id: str
    title: str | None
    place: str
    year: int | None
    publish_date: str | None
    similarity: float          # Jaccard of 5-character shingles, 0..1
    containment: float         # share of the given text's shingles found in this paragraph, 0..1
    text: str

    def to_dict(self) -> dict:
        return dict(vars(self))


@dataclass
class Similar:
    source_pid: str | None
    source_text: str
    words: list[str]           # the rare words the candidates were found by
    candidates: int            # paragraphs compared exactly
    passages: list[Passage]

    def to_dict(self) -> dict:
        return asdict(self)


def similar(library, request, text: str | None = None, pid: str | None = None, limit: int = DEFAULT_LIMIT,
            min_similarity: float = DEFAULT_MIN_SIMILARITY, order: str = "similarity") -> Similar:
    """Paragraphs like ``text`` (or like paragraph ``pid``) among those ``request``'s filters allow. ``request.q`` is
    ignored (the words come from the text); its filters and boilerplate choice apply."""
    from dataclasses import replace

    from searchlib.research.population import is_empty, matched_docnums

    if order not in ORDERS:
        raise QueryError(f"order by one of {', '.join(ORDERS)}")
    if not 0 <= min_similarity <= 1:
        raise QueryError("the least similarity is between 0 and 1")
    if pid:
        stored = library.paragraph(pid)
        if stored is None:
            raise QueryError(f"no paragraph with pid {pid!r} in the index")
        text = stored.get("text", "")
    text = (text or "").strip()
    if not text:
        raise QueryError("give a passage (or a pid) to compare")
    if len(text) > MAX_TEXT_CHARS:
        raise QueryError(f"a passage of at most {MAX_TEXT_CHARS} characters (this one has {len(text)})")
    own = reuse.shingles(reuse.canonical(text))
    searcher = library.searcher()
    words = _rare_words(searcher, text)
    filters = replace(request, q="")
    allowed = None if is_empty(filters) else matched_docnums(library, filters)[1]
    hits = [np.asarray(library.matching(replace(request, q=word)).docnums, dtype=np.int64) for word in words]
    candidates = _most_shared(hits)
    if pid:
        store = library.reuse_store()
        copies = [o.pid for o in store.also_in(pid)] if store is not None else []
        extra = [d for d in (searcher.document_number(pid=p) for p in copies) if d is not None]
        if allowed is not None:
            extra = np.intersect1d(np.asarray(extra, dtype=np.int64), allowed).tolist()
        candidates = np.union1d(candidates, np.asarray(extra, dtype=np.int64))
    own_docnum = searcher.document_number(pid=pid) if pid else None
    texts = library.texts(searcher)
    stored_fields = library.stored_fields(searcher)
    scored = []
    for docnum in candidates.tolist():
        if docnum == own_docnum:
            continue
        other = reuse.shingles(reuse.canonical(texts.get(docnum)))
        sim = reuse.jaccard(own, other)
        contained = len(own & other) / len(own) if own else 0.0
        if (sim >= min_similarity and sim > 0) or contained >= CONTAINED:
            scored.append((sim, contained, docnum))
    scored.sort(key=lambda item: (-item[0], -item[1], stored_fields.pid(item[2])))
    passages = []
    for sim, contained, docnum in scored[:limit] if order == "similarity" else scored:
        stored = stored_fields[docnum]
        passages.append(Passage(stored["pid"], f"/p/{stored['pid']}", stored["doc_id"], stored.get("title"),
                                fields.place(stored, sep=""), stored.get("report_year"), stored.get("publish_date"),
                                round(sim, 4), round(contained, 4), stored.get("text", "")))
    if order == "earliest":
        passages.sort(key=lambda p: (p.year is None, p.year or 0, p.publish_date or "9999", -p.similarity, p.pid))
        passages = passages[:limit]
    return Similar(pid, text, words, len(candidates), passages)


def _rare_words(searcher, text: str) -> list[str]:
    """The text's ``CANDIDATE_WORDS`` words found in the fewest paragraphs (two characters or more)."""
    reader = searcher.reader()
    seen: dict[str, int] = {}
    for word, _, _ in main_words(normalize(text)):
        if len(word) >= 2 and is_word(word) and word not in seen:
            df = reader.doc_frequency("text", word)
            if df:
                seen[word] = df
    return [w for w, _ in sorted(seen.items(), key=lambda item: (item[1], item[0]))[:CANDIDATE_WORDS]]


def _most_shared(hits: list[np.ndarray]) -> np.ndarray:
    """The paragraphs holding most of the looked-up words (at most MAX_CANDIDATES of them)."""
    if not hits:
        return np.zeros(0, dtype=np.int64)
    joined = np.concatenate(hits)
    if not len(joined):
        return joined
    docs, shared = np.unique(joined, return_counts=True)
    # A copy holds most of the text's rare words; a paragraph holding a third of them is worth comparing.
    need = max(1, -(-len(hits) // 3))
    keep = shared >= need
    docs, shared = docs[keep], shared[keep]
    if len(docs) > MAX_CANDIDATES:
        top = np.lexsort((docs, -shared))[:MAX_CANDIDATES]
        docs = np.sort(docs[top])
    return docs


CSV_COLUMNS = ("similarity", "containment", "year", "place", "title", "publish_date", "doc_id", "pid", "url", "text")
