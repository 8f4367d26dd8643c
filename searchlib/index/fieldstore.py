"""Each paragraph's stored fields in a flat per-segment file, for the hits a page shows.

Whoosh keeps a document's stored fields as a zlib-compressed pickle inside the segment's compound file: ~14 µs a
document to read, about a third of what a highlighted hit costs, and the text read is then normalized again (~6 µs) to
be highlighted. Beside each segment the indexer therefore writes:

* ``<segment id>.fields.ctx``: the distinct report-level field sets of the segment (title, places, year ...: everything
  but the paragraph's own fields), each marshalled, one after another, and ``<segment id>.fields.ctx-off.npy`` their
  byte offsets (read when a hit needs one: held as dicts, a 1M index's 33k sets took 79 MB of the server's memory);
* ``<segment id>.fields.bin``: per paragraph, one marshalled tuple
  ``(context number, own fields, text left out, packed word ends)``, one after another
  (the word ends spare a highlight segmenting the text again: ~6 of a hit's ~25 µs);
* ``<segment id>.fields.off.npy``: the byte offsets of those records (one more
  than there are paragraphs), written last: it marks the set complete.

A paragraph's text is left out of its record when normalizing does not change it (the great majority): it is then the
text file's copy (:mod:`searchlib.index.textstore`), and already normalized. A document is then a ``pread`` and a
``marshal.loads``, its report's set (read the same way, unless it is one of the last few hundred), and a dict merge
(~3 µs). Like the other per-segment files they live and die with their segment; every segment of an index of this format
(:mod:`searchlib.index.storage`) has them.
"""
from __future__ import annotations

import marshal
import os
from pathlib import Path

import numpy as np

from searchlib.analysis import normalize, packed_word_ends
from searchlib.index.storage import atomic_write, require

FIELDS_SUFFIX = ".fields.bin"
CONTEXTS_SUFFIX = ".fields.ctx"
CONTEXT_OFFSETS_SUFFIX = ".fields.ctx-off.npy"
FIELD_OFFSETS_SUFFIX = ".fields.off.npy"
# A paragraph's own fields; the rest are the same for every paragraph of a report.
PARAGRAPH_FIELDS = frozenset({"pid", "position", "heading", "section_kind", "text"})
# Report-level field sets kept per segment once read (each a dict of ~1 KB).
RECENT_CONTEXTS = 256


def field_files(folder: Path | str, segment) -> tuple[Path, Path, Path, Path]:
    base = Path(folder) / segment.segment_id()
    return tuple(base.with_name(base.name + suffix) for suffix in
                 (FIELDS_SUFFIX, CONTEXTS_SUFFIX, CONTEXT_OFFSETS_SUFFIX, FIELD_OFFSETS_SUFFIX))


def write_segment_fields(folder: Path | str, segment, rows: list[dict]) -> None:
    """Write the field files of a finished segment from its stored rows (segment order)."""
    records_path, contexts_path, context_offsets_path, offsets_path = field_files(folder, segment)
    contexts: dict[bytes, int] = {}
    records: list[bytes] = []
    for row in rows:
        context = contexts.setdefault(
            marshal.dumps({k: v for k, v in row.items() if k not in PARAGRAPH_FIELDS}), len(contexts))
        own = {k: v for k, v in row.items() if k in PARAGRAPH_FIELDS}
        text = own.get("text")
        norm = normalize(text) if isinstance(text, str) else ""
        normalized = isinstance(text, str) and norm == text
        if normalized:
            del own["text"]
        records.append(marshal.dumps((context, own, normalized, packed_word_ends(norm))))
    _write_whole(records_path, lambda handle: handle.write(b"".join(records)))
    _write_whole(contexts_path, lambda handle: handle.write(b"".join(contexts)))
    _write_whole(context_offsets_path, lambda handle: np.save(handle, _offsets(contexts)))
    _write_whole(offsets_path, lambda handle: np.save(handle, _offsets(records)))  # last: marks the set complete


def _offsets(pieces) -> np.ndarray:
    offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([len(piece) for piece in pieces], out=offsets[1:])
    return offsets


def _write_whole(path: Path, write) -> None:
    with atomic_write(path) as tmp, open(tmp, "wb") as handle:
        write(handle)


class SegmentFields:
    """One segment's field files (the offsets memory-mapped, the records read in place)."""

    def __init__(self, records_path: Path, contexts_path: Path, context_offsets_path: Path, offsets_path: Path):
        self.offsets = np.asarray(np.load(offsets_path, mmap_mode="r"))  # a plain view: see postingstore
        self.context_offsets = np.asarray(np.load(context_offsets_path, mmap_mode="r"))
        # Read with pread, not mapped: a fault in a mapping brings in the whole folio around it
        # (2 MB here for one record), which a 1M server then counts as ~100 MB of its RSS.
        self._records = os.open(records_path, os.O_RDONLY)
        self._contexts = os.open(contexts_path, os.O_RDONLY)
        # The last few hundred report-level sets read: a page's hits often share reports, and a
        # set read again costs a pread and a marshal.loads (~2.5 µs of a hit's ~5).
        self._recent_contexts: dict[int, dict] = {}

    @staticmethod
    def open(folder: Path | str, segment) -> "SegmentFields":
        """The segment's field files (:class:`searchlib.index.storage.IndexDamaged` when one is missing)."""
        paths = field_files(folder, segment)
        require(paths, "the stored-field files", segment)
        return SegmentFields(*paths)

    def get(self, local: int) -> tuple[dict, bool, bytes]:
        """The stored fields of local document ``local``, whether its text was left out because
        it is already normalized (the caller takes it from the text file), and its packed word
        ends (:func:`searchlib.analysis.packed_word_ends`)."""
        start, end = int(self.offsets[local]), int(self.offsets[local + 1])
        context, own, normalized, ends = marshal.loads(os.pread(self._records, end - start, start))
        return {**self._context(context), **own}, normalized, ends

    def _context(self, context: int) -> dict:
        found = self._recent_contexts.get(context)
        if found is None:
            if len(self._recent_contexts) >= RECENT_CONTEXTS:
                self._recent_contexts.clear()
            start, end = int(self.context_offsets[context]), int(self.context_offsets[context + 1])
            found = self._recent_contexts[context] = marshal.loads(os.pread(self._contexts, end - start, start))
        return found

    def close(self) -> None:
        for descriptor in (self._records, self._contexts):
            os.close(descriptor)
