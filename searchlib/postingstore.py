"""Posting lists as flat NumPy arrays beside each segment, for the fast path.

Whoosh keeps a posting list in pickled, zlib-compressed blocks. Reading a
term in a third of a million paragraphs through them costs about a
microsecond a posting (unpickle, inflate, convert), which at 1M paragraphs is
most of a common-term query: 0.5–1 s before any scoring. Beside each segment
the indexer therefore writes, for the fields queries search (``text``,
``exact``, ``title``, ``heading``), every term's document numbers and weights
as plain arrays:

* ``<segment id>.post.<field>.terms.npy``: the terms (UTF-8 bytes, sorted);
* ``<segment id>.post.<field>.starts.npy``: where each term's postings begin
  (one more entry than there are terms);
* ``<segment id>.post.<field>.docs.npy``: segment-local document numbers, term
  after term (``uint16`` when the segment has at most 65,536 documents);
* ``<segment id>.post.<field>.weights.npy``: the posting weights (term
  frequencies times the field's boost) in the smallest type that holds them
  exactly: ``uint8``, ``uint16`` or ``float32``.

All four are memory-mapped; a term is a binary search and two slices, with
no copy and no decoding. The postings are captured from the stream the
segment writer consumes (:meth:`PostingCapture.through`), so nothing is read
back. Like the text files they live and die with their segment; a segment
without them (an index written before this module) is read through Whoosh.
"""
from __future__ import annotations

from array import array
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from searchlib.facetstore import storage_folder

# The fields whose postings are written: the ones the query engine searches.
POSTING_FIELDS = ("text", "exact", "title", "heading")
_KINDS = ("docs", "weights", "starts", "terms")  # "terms" last: its presence marks a complete set


def posting_files(folder: Path | str, segment, fieldname: str) -> dict[str, Path]:
    base = f"{segment.segment_id()}.post.{fieldname}"
    return {kind: Path(folder) / f"{base}.{kind}.npy" for kind in _KINDS}


class PostingCapture:
    """Records the postings of chosen fields as they stream into a segment writer.

    Whoosh's pool yields ``(field, term bytes, docnum, weight, value)`` sorted
    by field, term and document number; :meth:`through` passes every item on
    unchanged and keeps, for the chosen fields, the term boundaries, document
    numbers and weights.
    """

    def __init__(self, fieldnames: Iterable[str] = POSTING_FIELDS):
        self.fieldnames = frozenset(fieldnames)
        self._terms: dict[str, list[bytes]] = {f: [] for f in self.fieldnames}
        self._starts: dict[str, array] = {f: array("q") for f in self.fieldnames}
        self._docs: dict[str, array] = {f: array("l") for f in self.fieldnames}
        self._weights: dict[str, array] = {f: array("d") for f in self.fieldnames}

    def through(self, items: Iterable[tuple]) -> Iterator[tuple]:
        wanted = self.fieldnames
        field = term = None
        terms = starts = docs = weights = None
        for item in items:
            fieldname, btext, docnum, weight, _ = item
            if fieldname in wanted:
                if fieldname != field:
                    field = fieldname
                    terms, starts = self._terms[field], self._starts[field]
                    docs, weights = self._docs[field], self._weights[field]
                    term = None
                if btext != term:
                    term = btext
                    terms.append(btext)
                    starts.append(len(docs))
                docs.append(docnum)
                weights.append(weight)
            yield item

    def write(self, folder: Path | str, segment, doc_count: int) -> None:
        """Write the captured postings as ``segment``'s posting files."""
        for fieldname in sorted(self.fieldnames):
            arrays = self._arrays(fieldname, doc_count)
            if arrays is None:
                continue
            for kind, path in posting_files(folder, segment, fieldname).items():
                tmp = path.with_name(path.name + ".part")
                with open(tmp, "wb") as handle:
                    np.save(handle, arrays[kind])
                tmp.replace(path)  # a killed writer never leaves a half file under the real name

    def _arrays(self, fieldname: str, doc_count: int) -> dict[str, np.ndarray] | None:
        """The four arrays of a field; None when a weight has no exact small type or a term ends in NUL
        (NumPy's byte strings drop it): Whoosh then stays the reader."""
        terms = self._terms[fieldname]
        if any(term.endswith(b"\x00") for term in terms):
            return None
        if any(a >= b for a, b in zip(terms, terms[1:])):
            raise ValueError(f"postings of {fieldname!r} did not arrive sorted by term")
        docs = np.frombuffer(self._docs[fieldname], dtype=np.int64) if len(self._docs[fieldname]) else \
            np.zeros(0, dtype=np.int64)
        weights = np.frombuffer(self._weights[fieldname], dtype=np.float64) if len(self._weights[fieldname]) else \
            np.zeros(0, dtype=np.float64)
        stored_weights = _exact_small(weights)
        if stored_weights is None:
            return None
        starts = np.empty(len(terms) + 1, dtype=np.int64)
        starts[:-1] = np.frombuffer(self._starts[fieldname], dtype=np.int64) if terms else []
        starts[-1] = len(docs)
        term_array = np.array(terms, dtype=bytes) if terms else np.zeros(0, dtype="S1")
        return {
            "docs": docs.astype(np.uint16 if doc_count <= 1 << 16 else np.uint32),
            "weights": stored_weights,
            "starts": starts,
            "terms": term_array,
        }


def _exact_small(weights: np.ndarray) -> np.ndarray | None:
    """``weights`` in the smallest of uint8, uint16, float32 that gives every value back exactly."""
    for dtype in (np.uint8, np.uint16, np.float32):
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
        if btext.endswith(b"\x00"):  # never written (see PostingCapture._arrays), and 'S' would drop it
            return self.docs[:0], self.weights[:0]
        terms = self.terms
        at = int(np.searchsorted(terms, btext))
        if at == len(terms) or terms[at] != btext:
            return self.docs[:0], self.weights[:0]
        begin, end = int(self.starts[at]), int(self.starts[at + 1])
        return self.docs[begin:end], self.weights[begin:end]
