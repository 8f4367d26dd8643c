"""Words under the filters: frequency lists, keyness of one part of the corpus against another, and
the collocates of a query (log-likelihood and mutual information, with the counts), as CQPweb and
Sketch Engine give them, over our metadata.

Tokens are the segmenter's main words as the indexer cut them (the word ends each paragraph's record keeps; sub-words
such as 法治 inside 法治政府 are not extra tokens), normalized (full/half width, traditional -> simplified), punctuation
and white space left out. The whole index's tokens are read once per searcher into one array of word ids (CSR by
document number); a request then counts with NumPy over the paragraphs it selects.

Statistics (the 2 x 2 contingency table of Dunning 1993; Church & Hanks 1990):

- keyness of word w in target T against reference R: a = f(w, T), b = f(w, R), c = |T|, d = |R| tokens;
  E1 = c (a + b) / (c + d), E2 = d (a + b) / (c + d); LL = 2 (a ln(a/E1) + b ln(b/E2)), signed + when
  w is relatively more frequent in T. 3.84 is p < 0.05, 6.63 p < 0.01, 10.83 p < 0.001 (1 d.f.).
- collocate w of node n within +-span words of the same paragraph: O = co-occurrences, R = the window
  slots around every node occurrence, C = f(w) in the population, N = its tokens. E = R C / N;
  MI = log2(O / E); LL over O, R - O, C - O, N - R - C + O.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

# _WORD_CHAR is is_word's own test: called as a method it skips a Python call a token (15M at 100k).
from searchlib.analysis import _WORD_CHAR, is_word, main_words, normalize, word_ends
from searchlib.research.population import PerSearcher, is_empty, matched_docnums
from searchlib.query.concepts import as_chinese
from searchlib.query.parse import QueryError, parse, positive_terms
from searchlib.index.storage import atomic_write

MAX_SPAN = 10
DEFAULT_SPAN = 5
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
COLLOCATE_SORTS = ("ll", "mi", "count")


@dataclass
class Tokens:
    """Every token of one searcher: ``ids[offsets[d]:offsets[d + 1]]`` are document d's word ids."""
    vocab: list[str]
    ids: np.ndarray
    offsets: np.ndarray
    seconds: float

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def mask_of(self, docnums: np.ndarray) -> np.ndarray:
        """A boolean over all tokens: those of ``docnums``."""
        chosen = np.zeros(len(self.offsets) - 1, dtype=bool)
        chosen[docnums] = True
        return np.repeat(chosen, self.lengths())

    def counts(self, docnums: np.ndarray) -> np.ndarray:
        """Per word id, its tokens in ``docnums``."""
        if not len(docnums):
            return np.zeros(len(self.vocab), dtype=np.int64)
        return np.bincount(self.ids[self.mask_of(docnums)], minlength=len(self.vocab))


TOKEN_SUFFIXES = (".tokens.ids.npy", ".tokens.offsets.npy", ".tokens.vocab.txt")


def token_files(folder: Path, segment_name: str) -> tuple[Path, Path, Path]:
    return tuple(Path(folder) / f"{segment_name}{suffix}" for suffix in TOKEN_SUFFIXES)


def segment_tokens(texts, store, first: int, count: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(vocabulary, word ids, per-document offsets) of documents first .. first + count - 1. The words are the
    indexer's own cut (the word ends each paragraph's record keeps), so nothing is segmented again."""
    vocab: dict[str, int] = {}
    number = vocab.setdefault
    ids: list[int] = []
    offsets = np.zeros(count + 1, dtype=np.int64)
    for local in range(count):
        norm = texts.get(first + local)
        ends = word_ends(norm, store.packed_word_ends(first + local)).tolist()
        words = [norm[a:b] for a, b in zip([0] + ends, ends)]
        for word in filter(_WORD_CHAR.search, words):
            ids.append(number(word, len(vocab)))
        offsets[local + 1] = len(ids)
    return list(vocab), np.array(ids, dtype=np.int32), offsets


def pass_for_generation(gen_dir: Path | str) -> dict:
    """Write each new segment's tokens beside it (segments an earlier job wrote keep theirs: the
    new generation holds hard links to them), and drop the files of segments no longer there."""
    from searchlib.query.search import Library

    started = time.perf_counter()
    gen = Path(gen_dir)
    library = Library(gen)
    written = 0
    try:
        searcher = library.searcher()
        texts, store = library.texts(searcher), library.stored_fields(searcher)
        live = set()
        for leaf, offset in searcher.reader().leaf_readers():
            name = leaf.segment().segment_id()
            live.add(name)
            files = token_files(gen, name)
            if all(f.exists() for f in files):
                continue
            vocab, ids, offsets = segment_tokens(texts, store, offset, leaf.doc_count_all())
            for path, write in zip(files, (lambda f: np.save(f, ids), lambda f: np.save(f, offsets),
                                           lambda f: f.write("\n".join(vocab).encode("utf-8")))):
                with atomic_write(path) as tmp, open(tmp, "wb") as f:
                    write(f)
            written += 1
    finally:
        library.close()
    for path in gen.glob("*.tokens.*"):
        if path.name.split(".tokens.")[0] not in live:
            path.unlink(missing_ok=True)
    return {"segments_written": written, "seconds": time.perf_counter() - started}


def _read_tokens(library, searcher) -> Tokens:
    """The searcher's tokens: each segment's from the files the index job wrote beside it
    (:func:`pass_for_generation`), or read from its texts when it has none (an older index)."""
    from searchlib.index.facetstore import storage_folder

    started = time.perf_counter()
    texts, store = library.texts(searcher), library.stored_fields(searcher)
    vocab: dict[str, int] = {}
    parts: list[np.ndarray] = []
    offsets = [np.zeros(1, dtype=np.int64)]
    total = 0
    for leaf, offset in searcher.reader().leaf_readers():
        files = token_files(storage_folder(leaf.storage()), leaf.segment().segment_id())
        if all(f.exists() for f in files):
            words = files[2].read_bytes().decode("utf-8").split("\n") if files[2].stat().st_size else []
            ids, local = np.load(files[0]), np.load(files[1])
        else:
            words, ids, local = segment_tokens(texts, store, offset, leaf.doc_count_all())
        mapping = np.array([vocab.setdefault(w, len(vocab)) for w in words], dtype=np.int32)
        parts.append(mapping[ids] if len(ids) else ids)
        offsets.append(local[1:] + total)
        total += len(ids)
    ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    return Tokens(list(vocab), ids, np.concatenate(offsets), time.perf_counter() - started)


tokens = PerSearcher(_read_tokens)


# --- frequency -----------------------------------------------------------------------------------

@dataclass
class WordCount:
    word: str
    count: int
    per_10k: float            # per 10,000 tokens of the selection


@dataclass
class Frequency:
    tokens: int               # tokens of the selected paragraphs
    types: int                # distinct words among them
    paragraphs: int
    words: list[WordCount]

    def to_dict(self) -> dict:
        return asdict(self)


def _all_counts(library, searcher) -> np.ndarray:
    from searchlib.query.search import SearchRequest

    _, everything = matched_docnums(library, SearchRequest())
    return tokens(library, searcher).counts(everything)


_counts_of_everything = PerSearcher(_all_counts)


def population_counts(library, searcher, request) -> np.ndarray:
    """Per word id, its tokens in the paragraphs ``request`` selects (those of the whole index kept)."""
    if is_empty(request):
        return _counts_of_everything(library, searcher)
    return tokens(library, searcher).counts(matched_docnums(library, request)[1])


def frequency(library, request, limit: int = DEFAULT_LIMIT, min_chars: int = 1) -> Frequency:
    """The most frequent words of the paragraphs ``request`` selects (words, filters, boilerplate)."""
    _check_limit(limit)
    searcher, docnums = matched_docnums(library, request)
    table = tokens(library, searcher)
    # The paragraphs just found, counted on the same searcher (population_counts would search again).
    counts = _counts_of_everything(library, searcher) if is_empty(request) else table.counts(docnums)
    total = int(counts.sum())
    order = _top(counts, limit, table.vocab, min_chars)
    words = [WordCount(table.vocab[i], int(counts[i]), _rate(int(counts[i]), total)) for i in order]
    return Frequency(total, int(np.count_nonzero(counts)), len(docnums), words)


# --- keyness -----------------------------------------------------------------------------------------

@dataclass
class KeyWord:
    word: str
    target: int
    reference: int
    target_per_10k: float
    reference_per_10k: float
    ll: float                  # signed: + more frequent in the target, - in the reference


@dataclass
class Keyness:
    target_tokens: int
    reference_tokens: int
    target_paragraphs: int
    reference_paragraphs: int
    reference_is_rest: bool    # no reference given: the rest of the corpus
    words: list[KeyWord]

    def to_dict(self) -> dict:
        return asdict(self)


def keyness(library, target, reference=None, limit: int = DEFAULT_LIMIT, min_count: int = 3,
            min_chars: int = 1) -> Keyness:
    """Words key to ``target`` (a request) against ``reference`` (another; None = the rest of the corpus).

    ``min_count``: a word must occur this often in the target and reference together. Both
    directions are listed, positive (key to the target) first, each by |LL|.
    """
    _check_limit(limit)
    searcher, in_target = matched_docnums(library, target)
    table = tokens(library, searcher)
    if reference is None:
        _, everything = matched_docnums(library, type(target)())
        in_reference = np.setdiff1d(everything, in_target, assume_unique=True)
    else:
        _, in_reference = matched_docnums(library, reference)
    a_all = table.counts(in_target).astype(np.float64)
    b_all = table.counts(in_reference).astype(np.float64)
    c, d = a_all.sum(), b_all.sum()
    if not c or not d:
        return Keyness(int(c), int(d), len(in_target), len(in_reference), reference is None, [])
    ll = log_likelihood(a_all, b_all, c, d)
    ok = (a_all + b_all) >= min_count
    if min_chars > 1:
        ok &= np.array([len(w) >= min_chars for w in table.vocab], dtype=bool)
    sign = np.where(a_all / c >= b_all / d, 1.0, -1.0)
    signed = np.where(ok, ll * sign, 0.0)
    positive = np.flatnonzero(signed > 0)
    negative = np.flatnonzero(signed < 0)
    chosen = list(positive[np.lexsort((positive, -signed[positive]))][:limit]) + \
        list(negative[np.lexsort((negative, signed[negative]))][:limit])
    words = [KeyWord(table.vocab[i], int(a_all[i]), int(b_all[i]), _rate(a_all[i], c), _rate(b_all[i], d),
                     round(float(signed[i]), 2) + 0.0) for i in chosen]
    return Keyness(int(c), int(d), len(in_target), len(in_reference), reference is None, words)


def log_likelihood(a, b, c, d):
    """Dunning's LL for word counts a (of c tokens) against b (of d tokens); arrays or numbers."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    e1 = c * (a + b) / (c + d)
    e2 = d * (a + b) / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, a * np.log(a / e1), 0.0)
        t2 = np.where(b > 0, b * np.log(b / e2), 0.0)
    return 2 * (t1 + t2)


# --- collocates ---------------------------------------------------------------------------------------

@dataclass
class Collocate:
    word: str
    together: int              # O: times within the window of the node
    frequency: int             # C: in the population (the filters' paragraphs)
    expected: float            # E = R C / N
    mi: float
    ll: float


@dataclass
class Collocates:
    query: str
    nodes: list[str]           # the node words (the query's words)
    node_count: int            # node occurrences in the matching paragraphs
    span: int
    window_tokens: int         # R
    population_tokens: int     # N
    collocates: list[Collocate]

    def to_dict(self) -> dict:
        return asdict(self)


def node_words(q: str) -> list[str]:
    """The query's positive words, as the analyzer cuts them (an exact string counts as its words)."""
    parsed = parse(q or "")
    if parsed.fatal:
        raise QueryError(parsed.fatal)
    out: list[str] = []
    for term in positive_terms(as_chinese(parsed.tree)):
        for word, _, _ in main_words(normalize(term.text)):
            if is_word(word) and word not in out:
                out.append(word)
    return out


def collocates(library, request, span: int = DEFAULT_SPAN, sort: str = "ll", limit: int = DEFAULT_LIMIT,
               min_together: int = 2) -> Collocates:
    """Words most associated with the query's words within +-``span`` words, under the request's filters."""
    if not 1 <= span <= MAX_SPAN:
        raise QueryError(f"the window is 1 to {MAX_SPAN} words on each side")
    if sort not in COLLOCATE_SORTS:
        raise QueryError(f"sort collocates by one of {', '.join(COLLOCATE_SORTS)}")
    _check_limit(limit)
    nodes = node_words(request.q)
    if not nodes:
        raise QueryError("collocates need a query with at least one word")
    from dataclasses import replace

    searcher, matching = matched_docnums(library, request)
    table = tokens(library, searcher)
    freq = population_counts(library, searcher, replace(request, q=""))
    n_tokens = int(freq.sum())
    wanted = set(nodes)
    node_ids = np.array([i for i, w in enumerate(table.vocab) if w in wanted], dtype=np.int32)
    if not len(matching) or not len(node_ids):
        return Collocates(request.q, nodes, 0, span, 0, n_tokens, [])
    # The node's occurrences anywhere, then those in the matching paragraphs: no pass over every token of the selection.
    anywhere = np.flatnonzero(table.ids == node_ids[0]) if len(node_ids) == 1 else \
        np.flatnonzero(np.isin(table.ids, node_ids))
    in_matching = np.zeros(len(table.offsets) - 1, dtype=bool)
    in_matching[matching] = True
    doc_of = np.searchsorted(table.offsets, anywhere, side="right") - 1
    keep = in_matching[doc_of]
    positions, doc_of = anywhere[keep], doc_of[keep]
    lo, hi = table.offsets[doc_of], table.offsets[doc_of + 1]
    neighbours = []
    for k in range(1, span + 1):
        for other in (positions - k, positions + k):
            inside = (other >= lo) & (other < hi)
            neighbours.append(other[inside])
    # Each token once, however many node occurrences it is near: overlapping windows had counted 专家库 twice
    # where the corpus holds it once (O above C).
    slots = np.unique(np.concatenate(neighbours)) if neighbours else np.zeros(0, dtype=np.int64)
    window = len(slots)
    together = np.bincount(table.ids[slots], minlength=len(table.vocab))
    candidates = np.flatnonzero(together >= min_together)
    candidates = candidates[~np.isin(candidates, node_ids)]
    o = together[candidates].astype(np.float64)
    c = freq[candidates].astype(np.float64)
    expected = window * c / n_tokens
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = np.log2(o / expected)
    ll = _ll_2x2(o, window, c, n_tokens)
    key = {"ll": -ll, "mi": -mi, "count": -o}[sort]
    # Ties (equal MI is common: every word seen only beside the node) go to the more frequent pair.
    order = candidates[np.lexsort((candidates, -o, key))][:limit]
    index = {w: j for j, w in enumerate(candidates.tolist())}
    out = [Collocate(table.vocab[i], int(together[i]), int(freq[i]), round(float(expected[index[i]]), 3),
                     round(float(mi[index[i]]), 3), round(float(ll[index[i]]), 2)) for i in order.tolist()]
    return Collocates(request.q, nodes, len(positions), span, window, n_tokens, out)


def _ll_2x2(o, r, c, n):
    """LL of the 2 x 2 table with O11 = o, row total r, column total c, grand total n."""
    cells = [(o, r * c / n), (r - o, r * (n - c) / n), (c - o, (n - r) * c / n),
             (n - r - c + o, (n - r) * (n - c) / n)]
    total = np.zeros_like(o)
    with np.errstate(divide="ignore", invalid="ignore"):
        for obs, exp in cells:
            obs = np.asarray(obs, dtype=np.float64)
            total += np.where(obs > 0, obs * np.log(obs / exp), 0.0)
    return 2 * total


# --- shared ---------------------------------------------------------------------------------------

def _rate(count, total) -> float:
    return round(count / total * 10_000, 2) if total else 0.0


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"list 1 to {MAX_LIMIT} words")


def _top(counts: np.ndarray, limit: int, vocab: list[str], min_chars: int) -> list[int]:
    present = np.flatnonzero(counts)
    if min_chars > 1:
        present = np.array([i for i in present.tolist() if len(vocab[i]) >= min_chars], dtype=np.int64)
    if not len(present):
        return []
    order = present[np.lexsort((present, -counts[present]))]
    return order[:limit].tolist()


FREQUENCY_COLUMNS = tuple(f.name for f in fields(WordCount))
KEYNESS_COLUMNS = tuple(f.name for f in fields(KeyWord))
COLLOCATE_COLUMNS = tuple(f.name for f in fields(Collocate))
