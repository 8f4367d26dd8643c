"""Each paragraph's stored fields in a flat per-segment file, for the hits a page shows.

Whoosh keeps a document's stored fields as a zlib-compressed pickle inside the
segment's compound file: ~14 µs a document to read, about a third of what a
highlighted hit costs, and the text read is then normalized again (~6 µs) to be
highlighted. Beside each segment the indexer therefore writes:

* ``<segment id>.fields.ctx``: the distinct report-level field sets of the
  segment (title, places, year ...: everything but the paragraph's own fields),
  one marshalled list, read once per searcher;
* ``<segment id>.fields.bin``: per paragraph, one marshalled tuple
  ``(context number, own fields)``, one after another;
* ``<segment id>.fields.off.npy``: the byte offsets of those records (one more
  than there are paragraphs), written last: it marks the set complete.

A paragraph's text is left out of its record when normalizing does not change it
(the great majority): it is then the text file's copy (:mod:`searchlib.textstore`),
and already normalized. A document is then a slice, a ``marshal.loads`` and a
dict merge (~3 µs). Like the other per-segment files they live and die with
their segment; a segment without them (an index written before this module) is
read through Whoosh.
"""
from __future__ import annotations

import marshal
import mmap
from pathlib import Path

import numpy as np

from searchlib.analysis import normalize

FIELDS_SUFFIX = ".fields.bin"
CONTEXTS_SUFFIX = ".fields.ctx"
FIELD_OFFSETS_SUFFIX = ".fields.off.npy"
# A paragraph's own fields; the rest are the same for every paragraph of a report.
PARAGRAPH_FIELDS = frozenset({"pid", "position", "heading", "section_kind", "text"})


def field_files(folder: Path | str, segment) -> tuple[Path, Path, Path]:
    base = Path(folder) / segment.segment_id()
    return tuple(base.with_name(base.name + suffix) for suffix in
                 (FIELDS_SUFFIX, CONTEXTS_SUFFIX, FIELD_OFFSETS_SUFFIX))


def write_segment_fields(folder: Path | str, segment, rows: list[dict]) -> None:
    """Write the field files of a finished segment from its stored rows (segment order)."""
    records_path, contexts_path, offsets_path = field_files(folder, segment)
    contexts: dict[bytes, int] = {}
    records: list[bytes] = []
    for row in rows:
        context = marshal.dumps({k: v for k, v in row.items() if k not in PARAGRAPH_FIELDS})
        own = {k: v for k, v in row.items() if k in PARAGRAPH_FIELDS}
        if isinstance(own.get("text"), str) and normalize(own["text"]) == own["text"]:
            del own["text"]
            own_record = (contexts.setdefault(context, len(contexts)), own, True)
        else:
            own_record = (contexts.setdefault(context, len(contexts)), own, False)
        records.append(marshal.dumps(own_record))
    offsets = np.zeros(len(records) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in records], out=offsets[1:])
    context_list = [marshal.loads(c) for c in contexts]
    for path, content in ((records_path, b"".join(records)), (contexts_path, marshal.dumps(context_list))):
        _write_whole(path, lambda handle, content=content: handle.write(content))
    _write_whole(offsets_path, lambda handle: np.save(handle, offsets))  # last: marks the set complete


def _write_whole(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as handle:
        write(handle)
    tmp.replace(path)  # a killed writer never leaves a half file under the real name


class SegmentFields:
    """One segment's field files, memory-mapped."""

    def __init__(self, records_path: Path, contexts_path: Path, offsets_path: Path):
        self.offsets = np.asarray(np.load(offsets_path, mmap_mode="r"))  # a plain view: see postingstore
        self.contexts: list[dict] = marshal.loads(contexts_path.read_bytes())
        self._file = open(records_path, "rb")
        size = records_path.stat().st_size
        self._records = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    @staticmethod
    def open(folder: Path | str, segment) -> "SegmentFields | None":
        """The segment's field files; None when it has none (or not all of them)."""
        if segment is None:
            return None
        paths = field_files(folder, segment)
        if not all(path.exists() for path in paths):
            return None
        return SegmentFields(*paths)

    def get(self, local: int) -> tuple[dict, bool]:
        """The stored fields of local document ``local``, and whether its text was left out
        because it is already normalized (the caller takes it from the text file)."""
        start, end = int(self.offsets[local]), int(self.offsets[local + 1])
        context, own, normalized = marshal.loads(self._records[start:end])
        return {**self.contexts[context], **own}, normalized

    def close(self) -> None:
        if isinstance(self._records, mmap.mmap):
            self._records.close()
        self._file.close()
