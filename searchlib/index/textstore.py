"""Paragraph texts in a flat per-segment file, for checks that must read many texts.

Same-sentence (同句) clauses are verified on the normalized text of every candidate paragraph. Whoosh's stored fields
cost ~170 µs a document at 100k paragraphs (a pickled dict with the title, heading and more), which made a common 同句
query take seconds. Beside each segment the indexer writes ``<segment id>.text.bin`` (the paragraphs' normalized text as
UTF-8 bytes, one after another: :func:`searchlib.analysis.normalize` runs once, at index time) and
``<segment id>.text.off.npy`` (the byte offsets, one more than there are paragraphs). A text is one ``pread`` and a
decode (a few µs); scans over many texts map the file (see below for why single reads do not).

A third file, ``<segment id>.text.cut.npy``, holds the sorted byte positions where a sentence begins or ends (each
paragraph's start, each terminator of :data:`searchlib.analysis.SENTENCE_END_CHARS`), so that "one sentence holds all
these strings" is decided for thousands of paragraphs at once in NumPy (:func:`in_one_sentence`).

A fourth, ``<segment id>.text.sa.npy``, is a suffix array of the text file: the byte positions where a character starts,
sorted by the text from there on (built with divsufsort); ``<segment id>.text.sa-par.npy`` holds the paragraph of each.
Every occurrence of a string is then one contiguous run of both, found by binary search, so "which paragraphs contain
this string" costs the occurrences, not a check of every paragraph holding its characters: at 1M paragraphs an exact
string in 17k paragraphs had 18k candidates to check one by one. A segment past :data:`SUFFIX_ARRAY_MAX_BYTES` of text
gets none (sorting needs ~5 bytes of memory a byte) and is checked the old way.

Another, ``<segment id>.text.sa-top256.npy``, is the top of that binary search: the first 24 bytes of every 256th
suffix, held in memory once read. A string's run is then found in a window of a few hundred entries, and the suffix
array and the text file are read there with ``pread``, never mapped. On a big index this is what keeps the server's
memory bounded and its first answer quick: probing mapped files maps a whole folio a probe (the kernel keeps files just
written, or read in sequence, in folios of up to megabytes), and a cold probe is a disk read; twenty segments times
44 probes were 0.95 s of a 1M-paragraph server's first answer. For the same reason single texts are read with ``pread``,
and the text files scans map are let go of past a budget (``madvise(MADV_DONTNEED)``: the page cache keeps them, the
process does not).

Like the facet files, they live and die with their segment; every segment of an
index of this format (:mod:`searchlib.index.storage`) has them (the suffix array and its
top only up to :data:`SUFFIX_ARRAY_MAX_BYTES` of text).
"""
from __future__ import annotations

import bisect
import functools
import mmap
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from pydivsufsort import divsufsort

from searchlib.analysis import SENTENCE_END_CHARS, normalize
from searchlib.index.storage import atomic_write, require, segment_leaves, storage_folder

TEXT_SUFFIX = ".text.bin"
OFFSETS_SUFFIX = ".text.off.npy"
CUTS_SUFFIX = ".text.cut.npy"
SUFFIX_ARRAY_SUFFIX = ".text.sa.npy"
SUFFIX_PARAGRAPHS_SUFFIX = ".text.sa-par.npy"
# Every TOP_STRIDE-th suffix's first TOP_PREFIX_BYTES are the in-memory top of the binary search:
# at 1M paragraphs ~1M of them, 24 MB. (The stride is in the file name: another stride is another file.)
TOP_STRIDE = 256
TOP_PREFIX_BYTES = 24
SUFFIX_TOP_SUFFIX = f".text.sa-top{TOP_STRIDE}.npy"
# ~5 bytes of memory a byte of text while sorting: a 50k-paragraph segment has ~40 MB.
SUFFIX_ARRAY_MAX_BYTES = 1 << 28
# Paragraphs gathered per step of in_one_sentence: bounds its copy of their text (~750 bytes each).
GATHER_PARAGRAPHS = 16_384


def text_files(folder: Path | str, segment) -> tuple[Path, Path, Path, Path, Path, Path]:
    base = Path(folder) / segment.segment_id()
    return tuple(base.with_name(base.name + suffix) for suffix in
                 (TEXT_SUFFIX, OFFSETS_SUFFIX, CUTS_SUFFIX, SUFFIX_PARAGRAPHS_SUFFIX, SUFFIX_TOP_SUFFIX,
                  SUFFIX_ARRAY_SUFFIX))


def write_segment_texts(folder: Path | str, segment, rows: list[dict]) -> None:
    """Write the text files of a finished segment from its stored rows (segment order)."""
    blob_path, offsets_path, cuts_path, paragraphs_path, top_path, suffixes_path = text_files(folder, segment)
    encoded = [normalize(row.get("text") or "").encode("utf-8") for row in rows]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    blob = b"".join(encoded)
    cuts = sentence_cuts(blob, offsets)
    files = [(blob_path, lambda h: h.write(blob)),
             (offsets_path, lambda h: np.save(h, offsets)),
             (cuts_path, lambda h: np.save(h, cuts))]
    if len(blob) <= SUFFIX_ARRAY_MAX_BYTES:
        suffixes = suffix_array(blob)
        paragraphs = paragraph_of_each(offsets, suffixes)
        top = suffix_array_top(blob, suffixes)
        files += [(paragraphs_path, lambda h: np.save(h, paragraphs)), (top_path, lambda h: np.save(h, top)),
                  (suffixes_path, lambda h: np.save(h, suffixes))]
    # The optional files come last: a reader requires the first three, and takes the suffix array
    # when it is there (its paragraphs and top are written before it).
    for path, write in files:
        with atomic_write(path) as tmp, open(tmp, "wb") as handle:
            write(handle)


def suffix_array(blob: bytes) -> np.ndarray:
    """The byte positions where a character of UTF-8 ``blob`` starts, sorted by the bytes from there on.

    Byte order is code point order in UTF-8, and a UTF-8 string can only match
    where a character starts, so the positions of one string form one run.
    """
    data = np.frombuffer(blob, dtype=np.uint8)
    if not len(data):
        return np.zeros(0, dtype=np.uint32)
    order = divsufsort(data.copy())  # (it refuses a read-only array)
    starts = order[(data[order] & 0xC0) != 0x80]  # not a continuation byte
    return starts.astype(np.uint32)


def suffix_array_top(blob: bytes, suffixes: np.ndarray, stride: int = TOP_STRIDE,
                     width: int = TOP_PREFIX_BYTES) -> np.ndarray:
    """The first ``width`` bytes of every ``stride``-th suffix (NumPy ``S`` strings: zero-padded where
    the text ends, and compared as zero-padded), sorted as the suffixes are."""
    picked = np.asarray(suffixes[::stride], dtype=np.int64)
    data = np.frombuffer(bytes(blob) + bytes(width), dtype=np.uint8)
    rows = data[picked[:, None] + np.arange(width)]
    return np.ascontiguousarray(rows).view(f"S{width}").ravel()


def paragraph_of_each(offsets: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The paragraph (local number, the smallest unsigned type that holds it) of each byte position."""
    count = len(offsets) - 1
    dtype = np.uint16 if count <= np.iinfo(np.uint16).max + 1 else np.uint32
    # A lookup table by byte: searchsorted over millions of unsorted positions is several times slower.
    of_byte = np.repeat(np.arange(count, dtype=dtype), np.diff(offsets))
    return of_byte[positions]


def paragraphs_holding(blob, offsets: np.ndarray, suffixes: np.ndarray, paragraphs: np.ndarray,
                       needle: bytes) -> np.ndarray:
    """The local numbers (sorted, distinct) of the paragraphs whose text holds ``needle``."""
    size = len(needle)
    if not size or not len(suffixes):
        return np.zeros(0, dtype=np.int64)

    def prefix(at) -> bytes:
        return blob[int(at):int(at) + size]
    lo = bisect.bisect_left(suffixes, needle, key=prefix)
    hi = bisect.bisect_right(suffixes, needle, lo=lo, key=prefix)
    return paragraphs_of(offsets, suffixes[lo:hi], paragraphs[lo:hi], size)


def paragraphs_of(offsets: np.ndarray, positions: np.ndarray, paragraph: np.ndarray, size: int) -> np.ndarray:
    """The distinct, sorted paragraphs of occurrences of a ``size``-byte string at byte ``positions``
    (in ``paragraph``), leaving out those that run on into the next paragraph."""
    if not len(positions):
        return np.zeros(0, dtype=np.int64)
    paragraph = paragraph.astype(np.int64)
    # The file is the paragraphs one after another: an occurrence may run on into the next one.
    inside = positions + size <= offsets[paragraph + 1]
    paragraph = paragraph[inside]
    count = len(offsets) - 1
    if len(paragraph) * 16 < count:
        return _distinct_sorted(np.sort(paragraph))  # (np.unique's fixed cost is ~40 µs, by hashing)
    present = np.zeros(count, dtype=bool)  # many occurrences: a mask is linear where sorting is not
    present[paragraph] = True
    return np.flatnonzero(present)


def occurrences(data: np.ndarray, needle: bytes) -> np.ndarray:
    """Sorted start positions of ``needle`` in the byte array ``data`` (overlapping ones included)."""
    if not needle or len(data) < len(needle):
        return np.zeros(0, dtype=np.int64)
    last = len(needle) - 1
    # Start from the last byte: in UTF-8 Chinese a continuation byte, far rarer than a lead byte.
    found = np.flatnonzero(data[last:] == needle[last])
    for k in range(last):
        found = found[data[found + k] == needle[k]]
    return found


def sentence_cuts(blob, offsets: np.ndarray) -> np.ndarray:
    """Sorted byte positions where a sentence starts: each paragraph's start and each terminator.

    A terminator's own bytes start the next sentence; no searched string holds
    one, so none of them is ever counted in a sentence.
    """
    data = np.frombuffer(blob, dtype=np.uint8) if len(blob) else np.zeros(0, dtype=np.uint8)
    parts = [np.asarray(offsets[:-1], dtype=np.int64)]
    parts += [occurrences(data, char.encode("utf-8")) for char in SENTENCE_END_CHARS]
    return np.unique(np.concatenate(parts))


# Past this share of a segment's paragraphs, 同句 candidates are searched where they lie in the
# memory-mapped file (a window at a time, nothing copied) instead of being copied side by side.
DENSE_CANDIDATE_SHARE = 1 / 3


def in_one_sentence(blob, offsets: np.ndarray, cuts: np.ndarray, local: np.ndarray,
                    alternatives: Sequence[Sequence[bytes]]) -> np.ndarray:
    """Which paragraphs ``local`` (sorted numbers into ``offsets``) have a sentence holding every
    string of one of the ``alternatives`` (non-empty UTF-8 strings without a terminator).

    Each string's occurrences are found with NumPy, in the paragraphs' bytes copied side by side or, when the candidates
    are most of the segment, in place; every occurrence is mapped to its sentence through ``cuts``: a sentence matches
    when it has an occurrence of every string.
    """
    found = np.zeros(len(local), dtype=bool)
    if not len(local):
        return found
    if len(local) > DENSE_CANDIDATE_SHARE * (len(offsets) - 1):
        first, last = int(local[0]), int(local[-1]) + 1
        for window in range(first, last, GATHER_PARAGRAPHS):
            lo, hi = np.searchsorted(local, [window, window + GATHER_PARAGRAPHS])
            if lo < hi:
                locate = _in_place(blob, offsets, window, min(window + GATHER_PARAGRAPHS, last))
                found[lo:hi] = _in_one_sentence(offsets, cuts, local[lo:hi], alternatives, locate)
    else:
        for start in range(0, len(local), GATHER_PARAGRAPHS):
            part = local[start:start + GATHER_PARAGRAPHS]
            found[start:start + len(part)] = _in_one_sentence(offsets, cuts, part, alternatives,
                                                              _side_by_side(blob, offsets, part))
    return found


def _side_by_side(blob, offsets: np.ndarray, local: np.ndarray) -> Callable[[bytes], np.ndarray]:
    """A function giving a string's occurrences (positions in ``blob``) in the paragraphs ``local``,
    found in a copy of their bytes."""
    begins = np.asarray(offsets[local], dtype=np.int64)
    ends = np.asarray(offsets[local + 1], dtype=np.int64)
    # A newline between paragraphs: no string spans two of them (none holds a terminator).
    gathered = b"\n".join([blob[b:e] for b, e in zip(begins.tolist(), ends.tolist())])
    starts = np.zeros(len(local), dtype=np.int64)
    np.cumsum(ends[:-1] - begins[:-1] + 1, out=starts[1:])
    data = np.frombuffer(gathered, dtype=np.uint8) if gathered else np.zeros(0, dtype=np.uint8)

    def locate(string: bytes) -> np.ndarray:
        at = occurrences(data, string)
        paragraph = np.searchsorted(starts, at, side="right") - 1
        return at - starts[paragraph] + begins[paragraph]
    return locate


def _in_place(blob, offsets: np.ndarray, first: int, last: int) -> Callable[[bytes], np.ndarray]:
    """A function giving a string's occurrences (positions in ``blob``) in paragraphs first..last-1,
    found in the mapped file itself."""
    base, end = int(offsets[first]), int(offsets[last])
    data = np.frombuffer(blob, dtype=np.uint8, count=end - base, offset=base) if end > base else \
        np.zeros(0, dtype=np.uint8)

    def locate(string: bytes) -> np.ndarray:
        at = occurrences(data, string) + base
        # Paragraphs lie end to end in the file: drop an occurrence that runs into the next one.
        paragraph = np.searchsorted(offsets, at, side="right") - 1
        return at[at + len(string) <= offsets[paragraph + 1]]
    return locate


def _in_one_sentence(offsets, cuts, local, alternatives, locate: Callable[[bytes], np.ndarray]) -> np.ndarray:
    sentences_with: dict[bytes, np.ndarray] = {}

    def sentences(string: bytes) -> np.ndarray:
        if string not in sentences_with:
            sentences_with[string] = _distinct_sorted(np.searchsorted(cuts, locate(string), side="right"))
        return sentences_with[string]

    matched = []
    for strings in alternatives:
        common = None
        for string in strings:
            common = sentences(string) if common is None else np.intersect1d(common, sentences(string),
                                                                             assume_unique=True)
        if common is not None:
            matched.append(common)
    if not matched:
        return np.zeros(len(local), dtype=bool)
    sentence = matched[0] if len(matched) == 1 else np.unique(np.concatenate(matched))
    # The cut that opens a sentence lies in its paragraph (paragraph starts are cuts).
    paragraph = _distinct_sorted(np.searchsorted(offsets, cuts[sentence - 1], side="right") - 1)
    at = np.minimum(np.searchsorted(paragraph, local), max(len(paragraph) - 1, 0))
    return paragraph[at] == local if len(paragraph) else np.zeros(len(local), dtype=bool)


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """np.unique for an already sorted array (occurrences come sorted, and so do their sentences)."""
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


class NpyFile:
    """A one-dimensional .npy file read with ``pread``: nothing of it is mapped into the process."""

    def __init__(self, path: Path):
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, _, self.dtype = read_header(handle)
            self._start = handle.tell()
        if len(shape) != 1:
            raise ValueError(f"{path.name}: {len(shape)} dimensions, expected 1")
        self.length = shape[0]
        self._file = open(path, "rb", buffering=0)  # (a file object: closed when collected, as the maps are)
        self._fd = self._file.fileno()

    def read(self, lo: int, hi: int) -> np.ndarray:
        """Values ``lo`` to ``hi`` (not included)."""
        size = self.dtype.itemsize
        return np.frombuffer(os.pread(self._fd, (hi - lo) * size, self._start + lo * size), dtype=self.dtype)

    def close(self) -> None:
        self._file.close()


class SuffixSearch:
    """A segment's suffix array searched from its in-memory top (``.text.sa-top256.npy``), the
    array and the text read with ``pread`` in the one window the top leaves."""

    def __init__(self, suffixes_path: Path, paragraphs_path: Path, top_path: Path, text_fd: int,
                 stride: int = TOP_STRIDE):
        self.stride = stride  # the top holds suffixes 0, stride, 2 * stride ...
        self.suffixes = NpyFile(suffixes_path)
        self.paragraphs = NpyFile(paragraphs_path)
        self._top_path = top_path
        self._top: np.ndarray | None = None
        self._text_fd = text_fd

    def occurrences(self, needle: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The byte positions of every occurrence of ``needle`` (non-empty), and the paragraph of each."""
        top = self._read_top()
        width = top.dtype.itemsize
        head = needle[:width]
        # With p(s) the zero-padded first W bytes of a string s (monotone in s): a sampled suffix with
        # p below p(needle) is below the needle; one with p above p(needle) followed by W bytes of
        # 0xFF (never in UTF-8) is past every string starting with the needle. Sampled suffixes in
        # between start with the needle's first W bytes: with the needle, when it is that short.
        below = int(np.searchsorted(top, head, side="left"))
        through = int(np.searchsorted(top, head + b"\xff" * (width - len(head)), side="right"))
        stride, count = self.stride, self.suffixes.length
        lo, hi = max(0, (below - 1) * stride + 1), min(count, through * stride)
        if lo >= hi:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32)
        window = self.suffixes.read(lo, hi)
        fd, size = self._text_fd, len(needle)

        def prefix(at) -> bytes:
            return os.pread(fd, size, int(at))
        if size <= width:  # each end is within one stride of a sampled suffix
            first = bisect.bisect_left(window, needle, hi=min(len(window), below * stride + 1 - lo), key=prefix)
            last = bisect.bisect_right(window, needle, lo=max(first, (through - 1) * stride + 1 - lo), key=prefix)
        else:
            first = bisect.bisect_left(window, needle, key=prefix)
            last = bisect.bisect_right(window, needle, lo=first, key=prefix)
        return window[first:last], self.paragraphs.read(lo + first, lo + last)

    def _read_top(self) -> np.ndarray:
        if self._top is None:
            self._top = np.load(self._top_path)
        return self._top

    def close(self) -> None:
        self.suffixes.close()
        self.paragraphs.close()


def _release(blob) -> None:
    """Let go of the pages of the mapped file ``blob`` this process has mapped: the page cache keeps
    them, and the next touch maps them again."""
    if isinstance(blob, mmap.mmap) and len(blob) and hasattr(mmap, "MADV_DONTNEED"):
        blob.madvise(mmap.MADV_DONTNEED)


class _SegmentTexts:
    def __init__(self, blob_path: Path, offsets_path: Path, cuts_path: Path, paragraphs_path: Path,
                 top_path: Path, suffixes_path: Path):
        self.offsets = np.asarray(np.load(offsets_path, mmap_mode="r"))  # a plain view: see postingstore
        size = blob_path.stat().st_size
        self._file = open(blob_path, "rb")
        self._fd = self._file.fileno()
        self.blob = mmap.mmap(self._fd, 0, access=mmap.ACCESS_READ) if size else b""
        self._cuts_path = cuts_path
        self._cuts: np.ndarray | None = None
        # A segment past SUFFIX_ARRAY_MAX_BYTES of text has no suffix array: its strings are found by reading its texts.
        self.search = SuffixSearch(suffixes_path, paragraphs_path, top_path, self._fd) \
            if suffixes_path.exists() else None

    @property
    def cuts(self) -> np.ndarray:
        if self._cuts is None:
            self._cuts = np.load(self._cuts_path, mmap_mode="r")
        return self._cuts

    def get(self, local: int) -> str:
        return self.raw(local).decode("utf-8")

    def char_counts(self) -> np.ndarray:
        """Each paragraph's length in characters: its UTF-8 bytes that start a character."""
        offsets = np.asarray(self.offsets, dtype=np.int64)
        counts = np.zeros(len(offsets) - 1, dtype=np.int64)
        if not len(self.blob) or not len(counts):
            return counts
        leads = (np.frombuffer(self.blob, dtype=np.uint8, count=int(offsets[-1])) & 0xC0) != 0x80
        starts = offsets[:-1]
        filled = starts < offsets[1:]
        counts[filled] = np.add.reduceat(leads, starts[filled], dtype=np.int64)
        _release(self.blob)
        return counts

    def raw(self, local: int) -> bytes:
        start, end = int(self.offsets[local]), int(self.offsets[local + 1])
        return os.pread(self._fd, end - start, start)

    def holding(self, needle: bytes) -> np.ndarray:
        """The local numbers (sorted, distinct) of the paragraphs holding ``needle``; needs a suffix array."""
        if not needle:
            return np.zeros(0, dtype=np.int64)
        positions, paragraphs = self.search.occurrences(needle)
        return paragraphs_of(self.offsets, positions, paragraphs, len(needle))

    def release(self) -> None:
        """Let go of the text file's pages mapped by scans (see :data:`MAPPED_TEXT_BUDGET`)."""
        _release(self.blob)

    def close(self) -> None:
        if self.search is not None:
            self.search.close()
        if isinstance(self.blob, mmap.mmap):
            self.blob.close()
        self._file.close()


# How much of the text files same-sentence scans may leave mapped (all of a scanned file is counted: a touch maps the
# whole folio around it, up to megabytes in a file just written or read in sequence). Past it, the scanned files are let
# go of. At 100k paragraphs (74 MB of text) it is never reached, so a scan finds the pages of the last one mapped (let
# go of after every scan, 同句 took 13.8 ms p50 instead of 8.0); at 1M (735 MB) it is what keeps the server's memory
# bounded (664 MB of text file mapped after the server bench's queries, without it).
MAPPED_TEXT_BUDGET = 256 << 20


class Texts:
    """The normalized text of every document number of one searcher."""

    def __init__(self, searcher):
        self.mapped_budget = MAPPED_TEXT_BUDGET
        self._mapped: set[int] = set()  # segments scans have touched since they were last let go of
        self._mapped_lock = threading.Lock()
        self._starts: list[int] = []
        self._segments: list[_SegmentTexts] = []
        for leaf, offset in segment_leaves(searcher):
            segment = leaf.segment()
            files = text_files(storage_folder(leaf.storage()), segment)
            require(files[:3], "the text files", segment)
            if files[5].exists():  # (written last: see write_segment_texts)
                require(files[3:5], "the suffix array files", segment)
            self._starts.append(offset)
            self._segments.append(_SegmentTexts(*files))

    def get(self, docnum: int) -> str:
        index = bisect.bisect_right(self._starts, docnum) - 1
        return self._segments[index].get(docnum - self._starts[index])

    def containing(self, docs: np.ndarray, needle: bytes) -> np.ndarray:
        """Which of ``docs`` (sorted document numbers) hold ``needle`` (UTF-8) in their normalized text.

        Each paragraph's bytes are read (``pread``) and searched: nothing is decoded, about a microsecond a paragraph,
        where reading and splitting a text costs ten.
        """
        mask = np.zeros(len(docs), dtype=bool)
        for index, segment, lo, hi in self._spans(docs):
            local = docs[lo:hi] - self._starts[index]
            raw = segment.raw
            mask[lo:hi] = [needle in raw(at) for at in local.tolist()]
        return mask

    def matching(self, docs: np.ndarray, pattern: re.Pattern[str],
                 necessary: re.Pattern[bytes] | None = None) -> np.ndarray:
        """Which of ``docs`` (sorted document numbers) have a normalized text that ``pattern`` finds something in
        (each read and decoded: about four microseconds a paragraph; ``necessary``, a condition on the bytes that
        ``pattern`` implies, spares the decoding of most texts it then does not find anything in)."""
        def found(data: bytes) -> bool:
            if necessary is not None and necessary.search(data) is None:
                return False
            return pattern.search(data.decode("utf-8")) is not None

        mask = np.zeros(len(docs), dtype=bool)
        for index, segment, lo, hi in self._spans(docs):
            local = docs[lo:hi] - self._starts[index]
            mask[lo:hi] = [found(segment.raw(at)) for at in local.tolist()]
        return mask

    def holding(self, needle: bytes) -> np.ndarray | None:
        """Every document number (sorted; deleted ones included) whose normalized text holds ``needle`` (UTF-8), from
        the suffix arrays; None when a segment has none (past SUFFIX_ARRAY_MAX_BYTES: the caller checks another way)."""
        if any(segment.search is None for segment in self._segments):
            return None
        found = [segment.holding(needle) + start for start, segment in zip(self._starts, self._segments)]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def in_one_sentence(self, docs: np.ndarray, alternatives: Sequence[Sequence[bytes]]) -> np.ndarray:
        """Which of ``docs`` (sorted document numbers) have one sentence that holds every string of one
        alternative (see :func:`in_one_sentence`)."""
        spans = list(self._spans(docs))
        found = np.zeros(len(docs), dtype=bool)

        def decide(span) -> None:
            index, segment, lo, hi = span
            local = docs[lo:hi] - self._starts[index]
            found[lo:hi] = in_one_sentence(segment.blob, segment.offsets, segment.cuts, local, alternatives)
            self._count_mapped(index)
        # NumPy lets go of the GIL while it scans: segments side by side use every core.
        list(_segment_pool().map(decide, spans))
        return found

    def char_counts(self) -> np.ndarray:
        """Every document number's text length in characters (normalizing keeps lengths, so it is the
        stored text's too). UTF-8 lead bytes are counted in NumPy, a segment at a time: reading every
        stored paragraph took 2.3 s at 20k paragraphs."""
        counts = [segment.char_counts() for segment in self._segments]
        return np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)

    def _count_mapped(self, scanned: int) -> None:
        """Count the ``scanned`` segment as mapped whole, and let go of every mapped one past the budget."""
        with self._mapped_lock:
            self._mapped.add(scanned)
            if sum(len(self._segments[index].blob) for index in self._mapped) <= self.mapped_budget:
                return
            released, self._mapped = self._mapped, set()
        for index in released:
            self._segments[index].release()

    def _spans(self, docs: np.ndarray):
        """(segment number, its texts, lo, hi) for each segment holding ``docs[lo:hi]``."""
        bounds = np.searchsorted(docs, self._starts + [np.iinfo(np.int64).max])
        for index, segment in enumerate(self._segments):
            lo, hi = int(bounds[index]), int(bounds[index + 1])
            if lo < hi:
                yield index, segment, lo, hi

    def close(self) -> None:
        for segment in self._segments:
            segment.close()


@functools.lru_cache(maxsize=1)
def _segment_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="searchlib-text")
