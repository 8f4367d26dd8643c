"""Text reuse: paragraphs that appear verbatim or nearly verbatim in other reports.

Two paragraphs are *the same text* when the Jaccard similarity of their sets of 5-character shingles (on normalized
text, whitespace removed) is at least 0.8. Finding such pairs among a million paragraphs without comparing every pair:

1. Identical texts are grouped first by exact key (boilerplate is mostly verbatim, and a group of 5,000 copies then
   costs one signature, not 12.5 million comparisons).
2. Each distinct text gets a MinHash signature (126 hash functions of the
   multiply-shift family over 64-bit shingle hashes; numpy, batched).
3. LSH banding (18 bands of 7 rows) makes candidate pairs: two texts are candidates when one band agrees. At Jaccard 0.8
   a pair becomes a candidate with probability 1-(1-0.8^7)^18 = 0.985, at 0.85 0.9994, at 0.9 >0.99999; at 0.5 only 0.13
   (those are rejected in step 4).
4. Every candidate pair is verified with the *exact* Jaccard of the shingle
   strings, so no reported pair is a hashing accident.

Similarity is not transitive (A~B and B~C with A !~ C), so reuse is stored as a graph of verified edges between distinct
texts, and "also in" means: the other reports holding this text, or a text verified similar to it.

The result is a SQLite file (``reuse.sqlite``) beside the Whoosh index in the
live generation directory, read by :class:`ReuseStore`.
"""
from __future__ import annotations

import functools
import sqlite3
import time
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from searchlib import fields
from searchlib.analysis import normalize
from searchlib.index.storage import atomic_write

SHINGLE_CHARS = 5      # 5 characters: short enough to survive small edits, long enough not to match topic words
THRESHOLD = 0.8
MIN_CHARS = 20         # shorter paragraphs (slogans, headings) match by chance and say nothing about copying
BANDS, ROWS = 18, 7
NUM_PERM = BANDS * ROWS
FILE_NAME = "reuse.sqlite"
SCHEMA_VERSION = "1"
_SEED = 20261124
# Shingles per numpy batch: 126 x 8192 x 8 bytes = 8 MB stays in cache; batches
# of 131k (130 MB of temporaries) measured 16 times slower.
_BATCH_SHINGLES = 8192


# --- records in, result out ---------------------------------------------------------

@dataclass(frozen=True)
class ParagraphRecord:
    pid: str
    doc_id: str
    text: str
    position: int = 0


@dataclass(frozen=True)
class ReportMeta:
    """A report as the report table of reuse.sqlite keeps it: its fields are the table's columns, in order."""
    doc_id: str
    title: str | None = None
    year: int | None = None
    publish_date: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None

    @property
    def locality(self) -> str:
        return fields.place(self, sep="")


@dataclass
class ReuseResult:
    """Distinct texts (nodes), their paragraphs, and verified similar pairs."""
    node_of: dict[str, int]                          # pid -> node (only paragraphs long enough)
    members: list[list[tuple[str, str, int]]]        # node -> [(pid, doc_id, position)]
    edges: list[tuple[int, int, float]]              # (node a < node b, exact Jaccard)
    stats: dict[str, float] = field(default_factory=dict)


def canonical(text: str) -> str:
    """What is compared: normalized (full-width, traditional folded) and without whitespace."""
    return "".join(normalize(text).split())


def shingles(canon: str) -> frozenset[str]:
    k = SHINGLE_CHARS
    return frozenset(canon[i:i + k] for i in range(len(canon) - k + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


# --- MinHash and LSH -----------------------------------------------------------------

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix64(z: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads a polynomial rolling hash over all 64 bits."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def shingle_hashes(canon: str) -> np.ndarray:
    """Distinct 64-bit hashes of the text's shingles, computed without a Python loop per shingle."""
    codes = np.frombuffer(canon.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    m = len(codes) - SHINGLE_CHARS + 1
    if m <= 0:
        return np.empty(0, dtype=np.uint64)
    h = codes[:m].copy()
    with np.errstate(over="ignore"):
        for j in range(1, SHINGLE_CHARS):
            h = h * np.uint64(1_000_003) + codes[j:j + m]
    return np.unique(_mix64(h))


# A whole report's bottom-k sketch: the SKETCH_SIZE smallest of its shingle hashes (2 KB a report, whatever its
# length). Two sketches estimate their texts' Jaccard similarity with a standard error of about
# sqrt(J(1-J)/k), 0.025 near the 0.8 threshold, so an estimate further than SKETCH_MARGIN from it decides alone.
SKETCH_SIZE = 256
SKETCH_MARGIN = 0.1


def text_sketch(canon: str) -> np.ndarray:
    return shingle_hashes(canon)[:SKETCH_SIZE]


def sketch_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The Jaccard similarity of two texts estimated from their sketches (exact, but for hash collisions,
    when the two texts have at most SKETCH_SIZE distinct shingles between them)."""
    if not len(a) and not len(b):
        return 1.0
    # The union's k smallest hashes are a uniform sample of it; one of them is in both texts exactly when
    # it is in both sketches (a hash among the union's k smallest is among each text's k smallest).
    sample = np.union1d(a, b)[:SKETCH_SIZE]
    return float(np.isin(sample, np.intersect1d(a, b, assume_unique=True)).mean())


@functools.lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEED)
    a = rng.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)   # odd multipliers
    b = rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)
    return a[:, None], b[:, None]


def signatures(texts: list[str]) -> np.ndarray:
    """MinHash signatures (len(texts) x NUM_PERM, uint32) of canonical texts, batched through numpy."""
    a, b = _permutations()
    out = np.empty((len(texts), NUM_PERM), dtype=np.uint32)
    start = 0
    while start < len(texts):
        hashes, lengths = [], []
        total = 0
        stop = start
        while stop < len(texts) and (total < _BATCH_SHINGLES or stop == start):
            hs = shingle_hashes(texts[stop])
            hashes.append(hs)
            lengths.append(len(hs))
            total += len(hs)
            stop += 1
        flat = np.concatenate(hashes)
        # Multiply-shift hashing: the high 32 bits of a*x+b mod 2^64 form a universal
        # family. In place, so no batch allocates more than one buffer.
        permuted = np.empty((NUM_PERM, len(flat)), dtype=np.uint64)
        np.multiply(a, flat[None, :], out=permuted)
        permuted += b
        permuted >>= np.uint64(32)
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        out[start:stop] = np.minimum.reduceat(permuted, offsets, axis=1).T.astype(np.uint32)
        start = stop
    return out


def band_keys(sig: np.ndarray) -> np.ndarray:
    """One 64-bit key per (text, band): equal band rows give equal keys."""
    keys = np.empty((sig.shape[0], BANDS), dtype=np.uint64)
    wide = sig.astype(np.uint64)
    with np.errstate(over="ignore"):
        for band in range(BANDS):
            h = np.full(sig.shape[0], band + 1, dtype=np.uint64)
            for col in wide[:, band * ROWS:(band + 1) * ROWS].T:
                h = _mix64(h * np.uint64(0x100000001B3) + col)
            keys[:, band] = h
    return keys


def candidate_pairs(keys: np.ndarray) -> set[tuple[int, int]]:
    """Pairs of texts sharing at least one band key (sort per band: linear-logarithmic, no n^2 table)."""
    pairs: set[tuple[int, int]] = set()
    for band in range(keys.shape[1]):
        column = keys[:, band]
        order = np.argsort(column, kind="stable")
        ordered = column[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        ends = np.concatenate((starts[1:], [len(ordered)]))
        for s, e in zip(starts[(ends - starts) > 1], ends[(ends - starts) > 1]):
            group = sorted(order[s:e].tolist())
            for i, x in enumerate(group):
                for y in group[i + 1:]:
                    pairs.add((x, y))
    return pairs


# --- the pass ----------------------------------------------------------------------------

def find_reuse(records: Iterable[ParagraphRecord], threshold: float = THRESHOLD) -> ReuseResult:
    """Group identical texts, find similar ones by LSH, keep pairs whose exact Jaccard >= threshold."""
    t0 = time.perf_counter()
    node_by_text: dict[str, int] = {}
    texts: list[str] = []
    members: list[list[tuple[str, str, int]]] = []
    node_of: dict[str, int] = {}
    paragraphs = 0
    for rec in records:
        paragraphs += 1
        canon = canonical(rec.text)
        if len(canon) < MIN_CHARS:
            continue
        node = node_by_text.get(canon)
        if node is None:
            node = node_by_text[canon] = len(texts)
            texts.append(canon)
            members.append([])
        members[node].append((rec.pid, rec.doc_id, rec.position))
        node_of[rec.pid] = node
    del node_by_text
    t1 = time.perf_counter()
    sig = signatures(texts)
    t2 = time.perf_counter()
    keys = band_keys(sig)
    del sig
    pairs = candidate_pairs(keys)
    del keys
    t3 = time.perf_counter()

    shingle_set = functools.lru_cache(maxsize=65_536)(lambda node: shingles(texts[node]))
    edges = []
    for x, y in sorted(pairs):
        sim = jaccard(shingle_set(x), shingle_set(y))
        if sim >= threshold:
            edges.append((x, y, round(sim, 4)))
    t4 = time.perf_counter()
    stats = {"paragraphs": paragraphs, "compared_paragraphs": len(node_of), "distinct_texts": len(texts),
             "candidate_pairs": len(pairs), "verified_pairs": len(edges),
             "seconds_group": t1 - t0, "seconds_minhash": t2 - t1, "seconds_lsh": t3 - t2,
             "seconds_verify": t4 - t3}
    return ReuseResult(node_of=node_of, members=members, edges=edges, stats=stats)


def shared_reports(result: ReuseResult) -> list[set[str]]:
    """Per node: every report holding this text or a text verified similar to it."""
    docs = [{doc for _, doc, _ in m} for m in result.members]
    closed = [set(d) for d in docs]
    for x, y, _ in result.edges:
        closed[x] |= docs[y]
        closed[y] |= docs[x]
    return closed


# --- storage -----------------------------------------------------------------------

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE report (doc_id TEXT PRIMARY KEY, title TEXT, year INTEGER, publish_date TEXT,
                     province TEXT, city TEXT, county TEXT, township TEXT);
CREATE TABLE para (pid TEXT PRIMARY KEY, doc_id TEXT NOT NULL, node INTEGER NOT NULL,
                   position INTEGER, shared INTEGER NOT NULL);
CREATE INDEX para_node ON para (node);
CREATE INDEX para_doc ON para (doc_id);
CREATE INDEX para_shared ON para (shared);
CREATE TABLE edge (a INTEGER NOT NULL, b INTEGER NOT NULL, jaccard REAL NOT NULL, PRIMARY KEY (a, b))
    WITHOUT ROWID;
"""


def write_reuse(result: ReuseResult, reports: dict[str, ReportMeta], path: Path | str,
                meta: dict[str, str] | None = None) -> Path:
    """Write only paragraphs that some other report shares; atomically replace ``path``."""
    path = Path(path)
    with atomic_write(path) as tmp:
        closed = shared_reports(result)
        kept = {n for n, docs in enumerate(closed) if len(docs) > 1}
        con = sqlite3.connect(tmp)
        try:
            con.executescript(SCHEMA)
            con.executemany("INSERT INTO para VALUES (?, ?, ?, ?, ?)",
                            ((pid, doc, n, pos, len(closed[n] - {doc}))
                             for n in sorted(kept) for pid, doc, pos in result.members[n]))
            con.executemany("INSERT INTO edge VALUES (?, ?, ?)",
                            (row for x, y, j in result.edges if x in kept
                             for row in ((x, y, j), (y, x, j))))
            used = {doc for n in kept for doc in closed[n]}
            con.executemany("INSERT INTO report VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (astuple(reports.get(d) or ReportMeta(d)) for d in sorted(used)))
            info = {"schema": SCHEMA_VERSION, "shingle_chars": SHINGLE_CHARS, "threshold": THRESHOLD,
                    "min_chars": MIN_CHARS, "bands": BANDS, "rows": ROWS,
                    **result.stats, **(meta or {})}
            con.executemany("INSERT INTO meta VALUES (?, ?)", ((k, str(v)) for k, v in info.items()))
            con.commit()
        finally:
            con.close()
    return path


# --- front ends: over an index, or over parsed reports -------------------------------

def read_index(live_dir: Path | str) -> tuple[list[ParagraphRecord], dict[str, ReportMeta], int]:
    """Every paragraph and report of a Whoosh index directory, and its generation number."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(live_dir))
    records: list[ParagraphRecord] = []
    reports: dict[str, ReportMeta] = {}
    with ix.reader() as reader:
        for _, stored in reader.iter_docs():
            doc = stored["doc_id"]
            records.append(ParagraphRecord(stored["pid"], doc, stored.get("text", ""), stored.get("position", 0)))
            if doc not in reports:
                place = [stored.get(key) for key in fields.PLACE_FIELDS]
                reports[doc] = ReportMeta(doc, stored.get("title"), stored.get("report_year"),
                                          stored.get("publish_date"), *place)
    return records, reports, ix.latest_generation()


def build_for_generation(live_dir: Path | str) -> dict:
    """Run the pass over the Whoosh index in ``live_dir`` and write ``reuse.sqlite`` there.

    This is the index-time hook: call it on a new generation directory after ``writer.commit()`` and before the
    ``current`` link is swapped, so the reuse file is born with its index and never describes another one.
    """
    started = time.perf_counter()
    live = Path(live_dir)
    records, reports, generation = read_index(live)
    read_seconds = time.perf_counter() - started
    result = find_reuse(records)
    write_reuse(result, reports, live / FILE_NAME,
                meta={"index_generation": generation, "seconds_read": round(read_seconds, 3),
                      "built_at": time.strftime("%Y-%m-%dT%H:%M:%S")})
    return result.stats | {"seconds_read": read_seconds, "seconds_total": time.perf_counter() - started}


def build(index_dir: Path | str) -> dict:
    """The pass over the live index under ``index_dir`` (for ``searchlib reuse --build``).

    It takes the index's writer lock (an index job beside it would clone the live generation with the pass's temporary
    file in it) and first removes what killed jobs left, its own temporary files included.
    """
    from searchlib.index.indexing import remove_leftovers, resolve_index_dir, writer_lock

    resolve_index_dir(index_dir)  # no index: IndexMissing, before a lock file is made
    with writer_lock(index_dir):
        remove_leftovers(Path(index_dir))
        return build_for_generation(resolve_index_dir(index_dir))


def records_from_reports(reports) -> Iterator[ParagraphRecord]:
    """Paragraph records straight from parsed :class:`searchlib.ingest.report.Report` objects."""
    for report in reports:
        for order, _, para in report.paragraphs():
            yield ParagraphRecord(para.pid, report.doc_id, para.text, order)


# --- reading ---------------------------------------------------------------------------

@dataclass
class Occurrence:
    """A paragraph in another report that holds the same (or nearly the same) text."""
    pid: str
    doc_id: str
    year: int | None
    locality: str
    title: str | None
    publish_date: str | None
    jaccard: float          # 1.0 for the identical text
    url: str

    def to_dict(self) -> dict:
        return dict(vars(self))   # flat fields: asdict's deep copy cost 17 µs a row on a results page


@dataclass
class ParagraphReuse:
    pid: str
    position: int
    shared_count: int
    earliest: Occurrence            # may be this paragraph itself
    also_in: list[Occurrence]


def _chronological(o: Occurrence) -> tuple:
    return (o.year is None, o.year or 0, o.publish_date is None, o.publish_date or "", o.doc_id, o.pid)


class ReuseStore:
    """Reader over ``reuse.sqlite``; a paragraph absent from it is shared with no other report."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        # One connection per store, usable from the web server's threads (reads only).
        self._con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        self.meta = dict(self._con.execute("SELECT key, value FROM meta"))
        self._reports: dict[str, ReportMeta] | None = None

    def close(self) -> None:
        self._con.close()

    def _row(self, pid: str):
        return self._con.execute("SELECT doc_id, node, position, shared FROM para WHERE pid = ?", (pid,)).fetchone()

    def _report(self, doc_id: str) -> ReportMeta:
        # Read once: a template shared by 1,000 reports would otherwise cost 1,000 queries a paragraph.
        if self._reports is None:
            self._reports = {row[0]: ReportMeta(*row) for row in self._con.execute(
                "SELECT doc_id, title, year, publish_date, province, city, county, township FROM report")}
        return self._reports.get(doc_id) or ReportMeta(doc_id)

    def _occurrence(self, pid: str, doc_id: str, sim: float) -> Occurrence:
        meta = self._report(doc_id)
        return Occurrence(pid, doc_id, meta.year, meta.locality, meta.title, meta.publish_date, sim, f"/p/{pid}")

    def shared_count(self, pid: str) -> int:
        """How many other reports hold this paragraph's text (or a text >= 80% like it)."""
        row = self._row(pid)
        return row[3] if row else 0

    def also_in(self, pid: str) -> list[Occurrence]:
        """One occurrence per other report (its most similar paragraph), earliest first."""
        row = self._row(pid)
        if row is None:
            return []
        own_doc, node = row[0], row[1]
        found = [(p, d, 1.0) for p, d in self._con.execute("SELECT pid, doc_id FROM para WHERE node = ?", (node,))]
        found += self._con.execute(
            "SELECT p.pid, p.doc_id, e.jaccard FROM edge e JOIN para p ON p.node = e.b WHERE e.a = ?",
            (node,)).fetchall()
        best: dict[str, tuple[float, str]] = {}
        for p, d, sim in found:
            if d != own_doc and (d not in best or (-sim, p) < (-best[d][0], best[d][1])):
                best[d] = (sim, p)
        return sorted((self._occurrence(p, d, sim) for d, (sim, p) in best.items()), key=_chronological)

    def earliest(self, pid: str, others: list[Occurrence] | None = None) -> Occurrence | None:
        """The earliest report (by report year, then publication date) holding this text, itself included
        (``others``: ``also_in(pid)``, when the caller already has it)."""
        row = self._row(pid)
        if row is None:
            return None
        return min([self._occurrence(pid, row[0], 1.0)] + (self.also_in(pid) if others is None else others),
                   key=_chronological)

    def report_reuse(self, doc_id: str) -> list[ParagraphReuse]:
        """This report's paragraphs that appear in other reports, in reading order."""
        rows = self._con.execute("SELECT pid, position, shared FROM para WHERE doc_id = ? ORDER BY position, pid",
                                 (doc_id,)).fetchall()
        out = []
        for pid, position, shared in rows:
            if shared:
                others = self.also_in(pid)
                out.append(ParagraphReuse(pid, position, shared, self.earliest(pid, others), others))
        return out

    def boilerplate_pids(self, min_reports: int) -> set[str]:
        """Paragraphs shared with at least ``min_reports`` other reports (for a hide/show-only filter)."""
        return {p for (p,) in self._con.execute("SELECT pid FROM para WHERE shared >= ?", (min_reports,))}


def open_store(index_dir: Path | str, allow_stale: bool = False) -> ReuseStore | None:
    """The reuse store of the live index generation, or None when the pass has not run on it.

    Reports added to an index in place (without --rebuild) make a new Whoosh generation that the stored pass has not
    seen; such a store is stale and is not returned unless ``allow_stale``.
    """
    from whoosh import index as whoosh_index

    from searchlib.index.indexing import resolve_index_dir

    live = resolve_index_dir(index_dir)
    path = live / FILE_NAME
    if not path.exists():
        return None
    store = ReuseStore(path)
    if not allow_stale and store.meta.get("index_generation") != str(whoosh_index.open_dir(str(live)).latest_generation()):
        store.close()
        return None
    return store


# --- helpers for the search layer and the pages ------------------------------------

def boilerplate_docnums(store: ReuseStore, searcher, min_reports: int) -> set[int]:
    """Document numbers of paragraphs shared with >= ``min_reports`` other reports: the search layer's boilerplate
    filter (a mask made once per index generation, as document numbers change with the index)."""
    out = set()
    for pid in store.boilerplate_pids(min_reports):
        docnum = searcher.document_number(pid=pid)
        if docnum is not None:
            out.add(docnum)
    return out


def paragraph_summary(store: ReuseStore | None, pid: str, limit: int | None = None) -> dict:
    """What a result row or permalink page shows: "also in N other reports", the list, the earliest. ``limit`` keeps
    the first (earliest) entries of the list; ``more`` says how many were left out."""
    if store is None:
        return {"available": False, "shared_count": 0, "earliest": None, "also_in": [], "more": 0}
    others = store.also_in(pid)
    earliest = store.earliest(pid, others)
    shown = others if limit is None else others[:max(0, limit)]
    return {"available": True, "shared_count": store.shared_count(pid),
            "earliest": earliest.to_dict() if earliest else None,
            "also_in": [o.to_dict() for o in shown], "more": len(others) - len(shown)}
