"""Posting lists as flat NumPy arrays beside each segment, for the query evaluator.

Whoosh keeps a posting list in pickled, zlib-compressed blocks. Reading a term in a third of a million paragraphs
through them costs about a microsecond a posting (unpickle, inflate, convert), which at 1M paragraphs is most of a
common-term query: 0.5–1 s before any scoring. Beside each segment the indexer therefore writes, for the fields queries
search (``text``, ``exact``, ``title``, ``heading``), every term's document numbers and weights as plain arrays:

* ``<segment id>.post.<field>.terms.npy``: the terms (UTF-8 bytes, sorted);
* ``<segment id>.post.<field>.starts.npy``: where each term's postings begin (one more entry than there are terms);
* ``<segment id>.post.<field>.docs.npy``: segment-local document numbers, term after term (``uint16`` when the segment
  has at most 65,536 documents);
* ``<segment id>.post.<field>.weights.npy``: the posting weights (term frequencies times the field's boost) in the
  smallest type that holds them exactly: ``uint8``, ``uint16`` or ``float32``.

All four are memory-mapped; a term is a binary search and two slices, with no copy and no decoding.

A term is looked up in every segment, ~2 µs each: at 1M paragraphs (20 segments) ~40 µs a term, and a rare word asks for
six (its word, its bigrams, its title and heading). Each commit therefore also writes, per field, one lexicon of the
whole index (:func:`write_lexicon`):

* ``lexicon.<field>.terms.npy``: every term of any segment, sorted;
* ``lexicon.<field>.spans.npy``: per term and segment, where its postings begin and end in that segment's files
  (begin = end where it has none);
* ``lexicon.<field>.segments.npy``: the segment ids, in the index's order (written last: it marks the set complete, and
  a reader uses the lexicon only for exactly these segments).

The postings are captured from the stream the segment writer consumes (:meth:`PostingCapture.through`), so nothing is
read back. Like the text files they live and die with their segment. A field's files are left out only where they could
not say what Whoosh says (a weight no packed type holds exactly, a term ending in NUL: :meth:`_FieldCapture.writable`);
such a segment's postings are read from Whoosh's blocks (:func:`searchlib.index.storage.posting_arrays`).
"""
from __future__ import annotations

from array import array
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from searchlib.index.storage import atomic_write, storage_folder

# The fields whose postings are written: the ones the query engine searches.
POSTING_FIELDS = ("text", "exact", "title", "heading")
_KINDS = ("docs", "weights", "starts", "terms")  # "terms" last: its presence marks a complete set


def posting_files(folder: Path | str, segment, fieldname: str) -> dict[str, Path]:
    base = f"{segment.segment_id()}.post.{fieldname}"
    return {kind: Path(folder) / f"{base}.{kind}.npy" for kind in _KINDS}


# Captured postings are packed into compact arrays every this many (a posting held as Python
# array items costs 16 bytes; packed, 5-8): a 50k-paragraph segment holds ~16M postings.
PACK_POSTINGS = 1 << 20
# Packed weights, from narrowest: each type holds every value of the ones before it exactly.
_WEIGHT_TYPES = (np.uint8, np.uint16, np.float32)


class PostingCapture:
    """Records the postings of chosen fields as they stream into a segment writer.

    Whoosh's pool yields ``(field, term bytes, docnum, weight, value)`` sorted by field, term and document number;
    :meth:`through` passes every item on unchanged and keeps, for the chosen fields, the term boundaries, document
    numbers and weights, packed as it goes so that a big merge stays small.
    """

    def __init__(self, fieldnames: Iterable[str] = POSTING_FIELDS):
        self.fieldnames = frozenset(fieldnames)
        self._fields = {f: _FieldCapture() for f in self.fieldnames}

    def through(self, items: Iterable[tuple]) -> Iterator[tuple]:
        wanted = self.fieldnames
        field = term = None
        capture = terms = starts = docs = weights = None
        for item in items:
            fieldname, btext, docnum, weight, _ = item
            if fieldname in wanted:
                if fieldname != field:
                    field = fieldname
                    capture = self._fields[field]
                    terms, starts = capture.terms, capture.starts
                    docs, weights = capture.docs, capture.weights
                    term = None
                if btext != term:
                    if len(docs) >= PACK_POSTINGS:
                        capture.pack()
                        docs, weights = capture.docs, capture.weights
                    term = btext
                    terms.append(btext)
                    starts.append(capture.packed + len(docs))
                docs.append(docnum)
                weights.append(weight)
            yield item

    def write(self, folder: Path | str, segment, doc_count: int) -> None:
        """Write the captured postings as ``segment``'s posting files."""
        for fieldname in sorted(self.fieldnames):
            capture = self._fields[fieldname]
            capture.pack()
            if not capture.writable():
                continue
            files = posting_files(folder, segment, fieldname)
            doc_type = np.uint16 if doc_count <= 1 << 16 else np.uint32
            _write_array(files["docs"], capture.packed, doc_type, capture.doc_chunks)
            _write_array(files["weights"], capture.packed, capture.weight_type(), capture.weight_chunks)
            starts = np.append(np.frombuffer(capture.starts, dtype=np.int64) if capture.terms else
                               np.zeros(0, dtype=np.int64), capture.packed)
            _write_array(files["starts"], len(starts), np.int64, [starts])
            terms = np.array(capture.terms, dtype=bytes) if capture.terms else np.zeros(0, dtype="S1")
            _write_array(files["terms"], len(terms), terms.dtype, [terms])  # last: marks the set complete


class _FieldCapture:
    """One field's captured postings: recent ones as Python arrays, older ones packed."""

    def __init__(self):
        self.terms: list[bytes] = []
        self.starts = array("q")
        self.docs = array("l")
        self.weights = array("d")
        self.packed = 0  # postings moved into the chunks
        self.doc_chunks: list[np.ndarray] = []
        self.weight_chunks: list[np.ndarray] = []
        self.inexact = False  # a weight no packed type holds exactly: Whoosh stays the reader

    def pack(self) -> None:
        count = len(self.docs)
        if count and not self.inexact:
            weights = _exact_small(np.frombuffer(self.weights, dtype=np.float64))
            if weights is None:
                self.inexact = True
                self.doc_chunks, self.weight_chunks = [], []
            else:
                self.doc_chunks.append(np.frombuffer(self.docs, dtype=np.int64).astype(np.uint32))
                self.weight_chunks.append(weights)
        self.packed += count
        self.docs, self.weights = array("l"), array("d")

    def writable(self) -> bool:
        """Whether the files can say what Whoosh says: exact weights, and no term ending in NUL
        (NumPy's byte strings drop it)."""
        if self.inexact or any(term.endswith(b"\x00") for term in self.terms):
            return False
        if any(a >= b for a, b in zip(self.terms, self.terms[1:])):
            raise ValueError("postings did not arrive sorted by term")
        return True

    def weight_type(self):
        used = {chunk.dtype for chunk in self.weight_chunks}
        return next((t for t in reversed(_WEIGHT_TYPES) if np.dtype(t) in used), _WEIGHT_TYPES[0])


def _write_array(path: Path, length: int, dtype, chunks: Iterable[np.ndarray]) -> None:
    """Write ``chunks`` (``length`` values in all) as one .npy file, filled in place: no whole copy in memory."""
    with atomic_write(path) as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=(length,))
        at = 0
        for chunk in chunks:
            out[at:at + len(chunk)] = chunk
            at += len(chunk)
        if at != length:
            raise ValueError(f"{path.name}: {at} values written of {length}")
        out.flush()
        del out


def _exact_small(weights: np.ndarray) -> np.ndarray | None:
    """``weights`` in the smallest of uint8, uint16, float32 that gives every value back exactly."""
    for dtype in _WEIGHT_TYPES:
        if not len(weights):
            return weights.astype(dtype)
        if np.issubdtype(dtype, np.integer) and (weights.min() < 0 or weights.max() > np.iinfo(dtype).max):
            continue
        small = weights.astype(dtype)
        if np.array_equal(small.astype(np.float64), weights):
            return small
    return None


class SegmentPostings:
    """One segment's posting files for one field, memory-mapped."""

    def __init__(self, files: dict[str, Path]):
        # Plain ndarray views of the maps: slicing a np.memmap builds a memmap object each time
        # (~10 µs of __array_finalize__ per term and segment, for nothing).
        self.terms = np.asarray(np.load(files["terms"], mmap_mode="r"))
        self.starts = np.asarray(np.load(files["starts"], mmap_mode="r"))
        self.docs = np.asarray(np.load(files["docs"], mmap_mode="r"))
        self.weights = np.asarray(np.load(files["weights"], mmap_mode="r"))
        self.empty = (self.docs[:0], self.weights[:0])

    @staticmethod
    def open(storage, segment, fieldname: str) -> "SegmentPostings | None":
        """The segment's posting files for ``fieldname``; None when it has none."""
        if segment is None:
            return None
        files = posting_files(storage_folder(storage), segment, fieldname)
        if not all(path.exists() for path in files.values()):
            return None
        return SegmentPostings(files)

    def get(self, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The term's (local document numbers, weights); empty arrays when the segment lacks it."""
        at = _term_number(self.terms, btext)
        if at is None:
            return self.empty
        begin, end = int(self.starts[at]), int(self.starts[at + 1])
        return self.docs[begin:end], self.weights[begin:end]


def _term_number(terms: np.ndarray, btext: bytes) -> int | None:
    """Where ``btext`` is in the sorted ``terms``; None when it is not there."""
    if btext.endswith(b"\x00"):  # never written (see _FieldCapture.writable), and 'S' would drop it
        return None
    at = int(np.searchsorted(terms, btext))
    return at if at < len(terms) and terms[at] == btext else None


# --- one lexicon for the whole index -------------------------------------------------------

_LEXICON_KINDS = ("terms", "spans", "segments")  # "segments" last: its presence marks a complete set


def lexicon_files(folder: Path | str, fieldname: str) -> dict[str, Path]:
    return {kind: Path(folder) / f"lexicon.{fieldname}.{kind}.npy" for kind in _LEXICON_KINDS}


def write_lexicon(storage, segments: list) -> None:
    """Write each posting field's lexicon over ``segments`` (the index's, in its order). A field
    that some segment has no posting files for gets none, and an older one is removed."""
    folder = storage_folder(storage)
    for fieldname in POSTING_FIELDS:
        files = lexicon_files(folder, fieldname)
        for path in reversed(files.values()):  # the completeness mark first
            path.unlink(missing_ok=True)
        stores = [SegmentPostings.open(storage, segment, fieldname) for segment in segments]
        if not stores or any(store is None for store in stores):
            continue
        terms = np.unique(np.concatenate([store.terms for store in stores]))
        if not len(terms):
            continue
        spans = np.zeros((len(terms), len(stores), 2), dtype=np.int64)
        for i, store in enumerate(stores):
            at = np.searchsorted(terms, store.terms)
            spans[at, i, 0] = store.starts[:-1]
            spans[at, i, 1] = store.starts[1:]
        ids = np.array([segment.segment_id().encode() for segment in segments], dtype=bytes)
        for kind, values in (("terms", terms), ("spans", spans), ("segments", ids)):
            with atomic_write(files[kind]) as tmp, open(tmp, "wb") as handle:
                np.save(handle, values)


class Lexicon:
    """One field's lexicon of the whole index, memory-mapped: a term's postings in every segment
    from one binary search."""

    def __init__(self, files: dict[str, Path]):
        self.terms = np.asarray(np.load(files["terms"], mmap_mode="r"))
        self.spans = np.asarray(np.load(files["spans"], mmap_mode="r"))

    @staticmethod
    def open(storage, segments: list, fieldname: str) -> "Lexicon | None":
        """The field's lexicon if it was written for exactly ``segments``; None otherwise."""
        files = lexicon_files(storage_folder(storage), fieldname)
        if not all(path.exists() for path in files.values()):
            return None
        written = np.load(files["segments"]).tolist()
        if written != [None if s is None else s.segment_id().encode() for s in segments]:
            return None
        lexicon = Lexicon(files)
        return lexicon if lexicon.spans.shape[1:] == (len(segments), 2) else None

    def spans_of(self, btext: bytes) -> list[list[int]] | None:
        """Per segment, [begin, end) of the term's postings in its files; None for a term no segment has."""
        at = _term_number(self.terms, btext)
        return None if at is None else self.spans[at].tolist()
