"""Paragraph texts in a flat per-segment file, for checks that must read many texts.

Same-sentence (同句) clauses are verified on the normalized text of every
candidate paragraph. Whoosh's stored fields cost ~170 µs a document at 100k paragraphs
(a pickled dict with the title, heading and more), which made a common 同句
query take seconds. Beside each segment the indexer writes
``<segment id>.text.bin`` (the paragraphs' normalized text as UTF-8 bytes, one
after another: :func:`searchlib.analysis.normalize` runs once, at index time)
and ``<segment id>.text.off.npy`` (the byte offsets, one more than there are
paragraphs). Both are memory-mapped: a text is a slice and a decode (~2 µs),
and the operating system keeps only the pages in use.

Like the facet files, they live and die with their segment; a segment without
them (an index built before this module) is read from stored fields.
"""
from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np

from searchlib.analysis import normalize
from searchlib.facetstore import storage_folder

TEXT_SUFFIX = ".text.bin"
OFFSETS_SUFFIX = ".text.off.npy"


def text_files(folder: Path | str, segment) -> tuple[Path, Path]:
    base = Path(folder) / segment.segment_id()
    return base.with_name(base.name + TEXT_SUFFIX), base.with_name(base.name + OFFSETS_SUFFIX)


def write_segment_texts(folder: Path | str, segment, rows: list[dict]) -> None:
    """Write the text files of a finished segment from its stored rows (segment order)."""
    blob_path, offsets_path = text_files(folder, segment)
    encoded = [normalize(row.get("text") or "").encode("utf-8") for row in rows]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    for path, write in ((blob_path, lambda h: h.write(b"".join(encoded))),
                        (offsets_path, lambda h: np.save(h, offsets))):
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "wb") as handle:
            write(handle)
        tmp.replace(path)  # a killed writer never leaves a half file under the real name


class _SegmentTexts:
    def __init__(self, blob_path: Path, offsets_path: Path):
        self.offsets = np.load(offsets_path, mmap_mode="r")
        size = blob_path.stat().st_size
        self._file = open(blob_path, "rb")
        self.blob = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def get(self, local: int) -> str:
        start, end = int(self.offsets[local]), int(self.offsets[local + 1])
        return self.blob[start:end].decode("utf-8")

    def close(self) -> None:
        if isinstance(self.blob, mmap.mmap):
            self.blob.close()
        self._file.close()


class Texts:
    """The normalized text of every document number of one searcher."""

    def __init__(self, searcher):
        self._searcher = searcher
        self._starts: list[int] = []
        self._segments: list[_SegmentTexts | None] = []
        for leaf, offset in searcher.reader().leaf_readers():
            segment = leaf.segment()
            files = text_files(storage_folder(leaf.storage()), segment) if segment is not None else None
            self._starts.append(offset)
            if files and files[0].exists() and files[1].exists():
                self._segments.append(_SegmentTexts(*files))
            else:
                self._segments.append(None)

    def get(self, docnum: int) -> str:
        index = _segment_of(self._starts, docnum)
        segment = self._segments[index] if index >= 0 else None
        if segment is None:
            return normalize(self._searcher.stored_fields(docnum).get("text", ""))
        return segment.get(docnum - self._starts[index])

    def close(self) -> None:
        for segment in self._segments:
            if segment is not None:
                segment.close()


def _segment_of(starts: list[int], docnum: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= docnum:
            lo = mid
        else:
            hi = mid - 1
    return lo if starts else -1
