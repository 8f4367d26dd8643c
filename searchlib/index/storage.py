"""The one module that knows how searchlib's index sits on disk, and the only one touching Whoosh's internals.

An index generation is a Whoosh index (the index of record: schema, segments, table of contents) plus files of our own
beside each segment (texts, stored fields, postings, facet codes: :mod:`searchlib.index.textstore`,
:mod:`searchlib.index.fieldstore`, :mod:`searchlib.index.postingstore`, :mod:`searchlib.index.facetstore`) and a format
file. This module holds what those share:

* **The format** (:data:`FORMAT_VERSION`, in the generation's ``searchlib-format`` file). A reader opens only an index
  of this format; an older one gets :class:`IndexOutdated`, one line naming the rebuild command, *before* Whoosh
  unpickles its schema (whose analyzer classes may have moved since it was written). So every segment of an index that
  opens has every file of ours: no reader keeps a path for indexes written before one of them existed. A file missing
  from an index of this format is damage (:func:`require`, :class:`IndexDamaged`).
* **Writing a file whole** (:func:`atomic_write`): a temporary name, then an atomic rename, so a killed writer never
  leaves half a file under the real name.
* **Segment writing** (:func:`new_writer`, :func:`finalize_segment`, :func:`finished_segment`, :func:`commit`,
  :func:`discard`) and **segment reading** (:func:`posting_arrays`, :func:`length_bytes`, :func:`field_b`): the small
  API the indexer and the query engine use instead of Whoosh's private names.
* **Compound files read in place** (:class:`MappedFile`).

What of Whoosh's private surface remains, all of it here (whoosh3 == 3.54.0, pinned for it):

* ``SegmentWriter``: ``_added`` (whether a writer holds documents), ``_tempstorage`` (where its pool spills),
  ``_close_segment``, ``_assemble_segment``, ``_merge_segments``, ``_commit_toc``, ``_finish``, ``_cleanup_on_error``:
  the steps of ``SegmentWriter.commit``, taken one by one because a segment's own files are written between assembling
  it and making it live, and because workers' segments join the parent's commit (as Whoosh's own multiprocessing writer
  does it).
* ``PostingPool._write_run`` / ``_read_run`` / ``_merge_runs`` / ``_open_run`` / ``_remove_run``: overridden by
  :class:`_ChunkedPostingPool` (runs spilled in chunks).
* ``W3LeafMatcher._data`` / ``_read_data`` / ``_byteids`` / ``_lastblock`` / ``_goto`` / ``_nextoffset``: a posting list
  read a block at a time into arrays, for a field whose weights our posting files cannot hold exactly.
* ``SegmentReader._perdoc`` with ``_cached_reader``, and the length column's ``_count`` / ``_dbfile`` / ``_basepos``: a
  segment's field lengths as one byte array.
* ``BM25F._field_B``: a field's B.
* ``CompoundStorage.open_file`` (replaced), ``BufferFile``'s attributes: :class:`MappedFile`.
* Whoosh's file naming: a table of contents is ``_MAIN_<generation>.toc`` (:func:`holds_index` asks whether a folder
  holds an index without reading it, so the format check comes first).

Whoosh 3's codec seam (``WrappingCodec``) was weighed for the per-segment files: its field writer sees the postings as
they stream, but our files are written from the finished segment's stored rows after the compound file is assembled
(which would swallow files written earlier), which is past what a codec is handed.
"""
from __future__ import annotations

import heapq
import io
import itertools
import os
import pickle
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from whoosh import index as whoosh_index
from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile
from whoosh.writing import PostingPool, SegmentWriter


class _ViewReader:
    """The file methods StructFile uses (read, readline, seek, tell, close), over a memoryview.

    The read position is each thread's own. Whoosh opens a segment's postings, terms and stored fields once per reader
    and reads them with ``seek`` then ``read``; the web server's request threads share that reader, so with one position
    a thread's seek moved another's read: under eight concurrent clients, one answer in seven failed with
    ``zlib.error``, ``UnpicklingError`` or ``CorruptIndexError`` on a sound index. The bytes are immutable, so a
    position per thread is all a thread needs to read them on its own.
    """

    def __init__(self, view: memoryview):
        self._view = view
        self._local = threading.local()

    def _at(self) -> int:
        return getattr(self._local, "pos", 0)

    def read(self, size: int = -1) -> bytes:
        start = self._at()
        end = len(self._view) if size is None or size < 0 else min(len(self._view), start + size)
        self._local.pos = max(start, end)
        return bytes(self._view[start:end])

    def readline(self, size: int = -1) -> bytes:
        pos = self._at()
        end = len(self._view) if size is None or size < 0 else min(len(self._view), pos + size)
        end = max(end, pos)  # at or past the end: an empty line, and the position stays
        scan = pos
        while scan < end:
            chunk = bytes(self._view[scan:min(end, scan + 4096)])
            found = chunk.find(b"\n")
            if found >= 0:
                end = scan + found + 1
                break
            scan += len(chunk)
        line = bytes(self._view[pos:end])
        self._local.pos = end
        return line

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = 0 if whence == io.SEEK_SET else self._at() if whence == io.SEEK_CUR else len(self._view)
        pos = self._local.pos = max(0, base + offset)
        return pos

    def tell(self) -> int:
        return self._at()

    def close(self) -> None:
        self._view = memoryview(b"")

    def read_pickle(self):
        """One pickled object at the position. pickle.load on this reader would call read() ~20 times per object from C
        (a posting block header: 125k Python calls, 140 ms, for one common term at 1M paragraphs); a block header is
        ~100 bytes, so copy a little and let BytesIO serve it."""
        pos = self._at()
        size = 4096
        while True:
            piece = io.BytesIO(bytes(self._view[pos:pos + size]))
            try:
                found = pickle.load(piece)
            except (EOFError, pickle.UnpicklingError):
                if pos + size >= len(self._view):
                    raise
                size *= 16
                continue
            self._local.pos = pos + piece.tell()
            return found


class MappedFile(BufferFile):
    """A BufferFile whose reads go to the memory map (BufferFile copies its buffer into a BytesIO)."""

    def __init__(self, buf, name: str | None = None, onclose=None) -> None:
        self._buf = buf
        self._name = name
        self.file = _ViewReader(buf if isinstance(buf, memoryview) else memoryview(buf))
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    def read_pickle(self):
        return self.file.read_pickle()


def _open_file_in_place(self, name, *args, **kwargs):
    if self.is_closed:
        raise compound.StorageError("Storage was closed")
    offset, length = self.range(name)
    if self._source:
        return MappedFile(compound.memoryview_(self._source, offset, length), name=name)
    return _ORIGINAL_OPEN_FILE(self, name, *args, **kwargs)


_ORIGINAL_OPEN_FILE = compound.CompoundStorage.open_file


def read_compound_files_in_place() -> None:
    """Make every compound segment part open as a MappedFile (idempotent)."""
    compound.CompoundStorage.open_file = _open_file_in_place


# --- the format -----------------------------------------------------------------------------------

FORMAT_FILE = "searchlib-format"
# 2: report ids include who reported (body, place); reports carry their sources and a digest of their text.
# 3: every segment has all of its own files (texts with sentence cuts and suffix-array tops, stored fields with word
#    ends, facet codes with the report fields, postings); readers keep no path for segments without them.
FORMAT_VERSION = 3
REBUILD_COMMAND = "searchlib index --rebuild PATH..."
# What a reader of an older format would get wrong, by the version that changed it.
_CHANGES = {2: "report ids now also name who reported and where, and reports keep their sources",
            3: "every segment now carries all of its own text, field, posting and facet files"}


def cut_short(exc: BaseException) -> bool:
    """Whether ``exc`` is how reading a file of the index fails when the file ends before its own contents say it
    does (cut by a full disk or a bad copy): the index is damaged, and only a rebuild mends it."""
    return isinstance(exc, EOFError) or (isinstance(exc, ValueError) and any(
        words in str(exc) for words in ("mmap length is greater", "EOF: reading")))


class IndexError_(Exception):
    """A problem with the index itself (missing, locked, unreadable, of an older format)."""


class IndexMissing(IndexError_):
    pass


class IndexOutdated(IndexError_):
    """An index written in an older format: rebuild it."""


class IndexDamaged(IndexError_):
    """An index of the current format that lacks a file every segment has."""


def index_format(generation: Path | str) -> int:
    """The format version of an index generation (1: written before the version was recorded)."""
    try:
        return int((Path(generation) / FORMAT_FILE).read_text().strip())
    except (OSError, ValueError):
        return 1


def write_format(generation: Path | str) -> None:
    """Record that ``generation`` is written in this format (a new file: never through a hard link)."""
    with atomic_write(Path(generation) / FORMAT_FILE) as tmp:
        tmp.write_text(f"{FORMAT_VERSION}\n")


# The digest of the segmenter's domain vocabulary the generation's text was cut with (searchlib.analysis).
DICTIONARY_FILE = "searchlib-dictionary"
DICTIONARY_CHANGED = ("the segmenter's vocabulary (data/dict/domain.txt) has changed since this index was built: "
                      f"words added since are matched only as characters; rebuild with `{REBUILD_COMMAND}`")


def write_dictionary(generation: Path | str, digest: str) -> None:
    """Record the vocabulary digest ``generation`` was cut with (a new file: never through a hard link)."""
    with atomic_write(Path(generation) / DICTIONARY_FILE) as tmp:
        tmp.write_text(f"{digest}\n")


def index_dictionary(generation: Path | str) -> str | None:
    """The vocabulary digest ``generation`` was cut with; None for an index built before it was recorded."""
    try:
        return (Path(generation) / DICTIONARY_FILE).read_text().strip() or None
    except OSError:
        return None


def check_format(generation: Path | str, root: Path | str | None = None) -> None:
    """:class:`IndexOutdated` unless ``generation`` is of this format; reads only the format file."""
    found = index_format(generation)
    if found == FORMAT_VERSION:
        return
    where = root if root is not None else generation
    if found > FORMAT_VERSION:
        raise IndexOutdated(f"the index at {where} has format {found}, newer than this searchlib's "
                            f"({FORMAT_VERSION}): upgrade searchlib, or rebuild it with `{REBUILD_COMMAND}`")
    changed = "; ".join(text for version, text in sorted(_CHANGES.items()) if version > found)
    raise IndexOutdated(f"the index at {where} has format {found}; this searchlib reads format {FORMAT_VERSION} "
                        f"({changed}): rebuild it with `{REBUILD_COMMAND}` (paragraph links may change once)")


def holds_index(folder: Path | str) -> bool:
    """Whether ``folder`` holds a Whoosh index (its table of contents), judged without reading it."""
    return any(Path(folder).glob("_MAIN_*.toc"))


def open_generation(generation: Path | str, root: Path | str | None = None):
    """The Whoosh index of ``generation``, once its format is checked (before Whoosh unpickles its schema)."""
    check_format(generation, root)
    try:
        return whoosh_index.open_dir(str(generation))
    except Exception as exc:  # Whoosh raises several unrelated types for a damaged index
        raise IndexError_(f"cannot open the index at {generation}: {exc}") from None


def require(paths: Iterable[Path], what: str, segment) -> None:
    """:class:`IndexDamaged` unless every one of ``paths`` exists (a segment's own files)."""
    missing = [path for path in paths if not path.exists()]
    if missing:
        raise IndexDamaged(f"the index at {missing[0].parent} lacks {what} of segment {segment.segment_id()} "
                           f"({missing[0].name}): rebuild it with `{REBUILD_COMMAND}`")


def segment_leaves(searcher) -> list[tuple[object, int]]:
    """(segment reader, its first document number) for each segment of ``searcher``; an empty index
    has none (Whoosh then gives one reader without a segment)."""
    return [(leaf, offset) for leaf, offset in searcher.reader().leaf_readers() if leaf.segment() is not None]


def storage_folder(storage) -> str:
    """The folder of a Whoosh storage (a compound segment's reader wraps it in an overlay, ``.b``)."""
    while not hasattr(storage, "folder"):
        storage = storage.b
    return storage.folder


# --- writing a file whole -------------------------------------------------------------------------

@contextmanager
def atomic_write(path: Path | str) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; it replaces ``path`` in one rename, or is removed on failure."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- writing segments -----------------------------------------------------------------------------

# Memory for each writer's posting sort before it spills a run to disk.
POOL_LIMIT_MB = 192
RUN_CHUNK = 16384  # postings pickled per call when a sort run is spilled to disk


class _ChunkedPostingPool(PostingPool):
    """Whoosh's posting pool, with sort runs written and read in chunks.

    Whoosh pickles and unpickles every posting of a spilled run one call at a time and merges the runs with a generator
    per item: at 100k paragraphs (~33M postings, 3.7 GB of runs) that is a quarter of a worker's time. Pickling lists of
    postings and merging with :func:`heapq.merge` over C-level chains does the same work in a fraction of it. Same
    items, same order, so the segment written is the same.
    """

    def add(self, item) -> None:
        # PostingPool.add's size estimate, without its per-posting type assertions (paragraph_documents builds ours).
        self.currentsize += 150 + 2 * len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)

    def _write_run(self, f, items) -> None:
        items = items if isinstance(items, list) else list(items)
        for start in range(0, len(items), RUN_CHUNK):
            pickle.dump(items[start:start + RUN_CHUNK], f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _chunks(self, path: str) -> Iterator[list]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    yield pickle.load(f)
                except EOFError:
                    return
        finally:
            f.close()
            self._remove_run(path)

    def _read_run(self, path: str) -> Iterator:
        return itertools.chain.from_iterable(self._chunks(path))

    def _merge_runs(self, paths) -> Iterator:
        return heapq.merge(*(self._read_run(path) for path in paths))


def new_writer(ix, lock: bool = True) -> SegmentWriter:
    """A segment writer with the chunked posting pool (nothing is pooled yet when it is swapped in)."""
    writer = SegmentWriter(ix, _lk=lock, limitmb=POOL_LIMIT_MB)
    writer.pool = _ChunkedPostingPool(writer._tempstorage, writer.newsegment, limitmb=POOL_LIMIT_MB)
    return writer


class _LengthsInMemory:
    """Per-paragraph field lengths, decoded once per field.

    Writing postings, Whoosh looks up the paragraph's field length for every posting (for block statistics), each time a
    seek and read in the column file: 10% of a worker's time. A list lookup gives the same numbers.
    """

    def __init__(self, reader, doccount: int):
        self._reader = reader
        self._doccount = doccount

    def doc_field_length_reader(self, fieldname: str, default: int = 0):
        get = self._reader.doc_field_length_reader(fieldname, default)
        return [get(docnum) for docnum in range(self._doccount)].__getitem__

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0):
        return self._reader.doc_field_length(docnum, fieldname, default)


def finalize_segment(writer: SegmentWriter, through: Callable[[Iterator[tuple]], Iterator[tuple]]):
    """Finish ``writer``'s segment and return it: ``SegmentWriter._finalize_segment`` (Whoosh 3.54) with
    lengths read from memory, every posting passed ``through`` the caller's function on its way (which
    yields each item on). The caller then writes the segment's own files beside it."""
    writer.perdocwriter.close()
    reader = writer.per_document_reader() if writer.codec.length_stats else None
    lengths = _LengthsInMemory(reader, writer.docnum) if reader is not None else None
    writer.fieldwriter.add_postings(writer.schema, lengths, through(writer.pool.iter_postings()))
    writer.fieldwriter.close()
    if reader is not None:
        reader.close()
    writer._close_segment()
    writer._assemble_segment()
    return writer.get_segment()


def finished_segment(writer: SegmentWriter, finalize: Callable[[SegmentWriter], object]):
    """``finalize(writer)``, its finished segment, when the writer was given documents; else None, the
    writer closed (its pool and files go)."""
    if writer._added:
        return finalize(writer)
    writer._close_segment()
    return None


def commit(writer: SegmentWriter, extra_segments: list, optimize: bool,
           keep: Callable[[SegmentWriter, list], list], finalize: Callable[[SegmentWriter], object],
           before_live: Callable[[list], None]) -> None:
    """Make ``writer``'s segment and ``extra_segments`` (other processes') live with the index's others.

    The steps of ``SegmentWriter.commit`` (Whoosh 3.54): ``keep(writer, segments)`` (a merge policy) picks the existing
    segments that stay as they are (``optimize`` merges them all instead), ``finalize`` finishes the writer's own
    segment, ``before_live(segments)`` writes what covers the whole index, and the table of contents makes them live.
    """
    try:
        final = writer._merge_segments(None, True, None) if optimize else keep(writer, writer.segments)
        final += extra_segments
        own = finished_segment(writer, finalize)
        if own is not None:
            final.append(own)
        before_live(final)
        writer._commit_toc(final)
    except BaseException:
        writer._cleanup_on_error()
        raise
    writer._finish()


def discard(writer: SegmentWriter) -> None:
    """Give up ``writer``'s work after a failure (its files and its lock go)."""
    if not writer.is_closed:
        writer._cleanup_on_error()


# --- reading segments -----------------------------------------------------------------------------

def posting_arrays(leaf, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """All (local ids, weights) of one segment's posting list of a term it has, deleted documents
    included, decoded from Whoosh's blocks a block at a time."""
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.matching.wrappers import FilterMatcher

    matcher = leaf.postings(fieldname, btext)
    if isinstance(matcher, FilterMatcher):  # deleted documents: the caller's live mask takes them out
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher):  # inlined short lists and others: the generic way
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)
    ids_parts, weight_parts = [], []
    while True:
        if matcher._data is None:
            matcher._read_data()
        raw_ids, raw_weights = matcher._data[0], matcher._data[1]
        ids = np.asarray(raw_ids, dtype=np.int64)
        if not matcher._byteids:
            ids = np.cumsum(ids)
        ids_parts.append(ids)
        if raw_weights is None:
            weight_parts.append(np.ones(len(ids)))
        elif isinstance(raw_weights, float):
            weight_parts.append(np.full(len(ids), raw_weights))
        else:
            weight_parts.append(np.asarray(raw_weights, dtype=np.float64))
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return np.concatenate(ids_parts), np.concatenate(weight_parts)


def length_bytes(leaf, fieldname: str) -> np.ndarray:
    """One segment's length column (one byte per document; 0 where the field is absent)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    count = leaf.doc_count_all()
    column = leaf._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    out = np.zeros(count, dtype=np.uint8)
    if column is None:
        return out
    stored = min(column._count, count)
    out[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
    return out


def field_b(weighting, fieldname: str) -> float:
    """BM25F's B for ``fieldname`` (its per-field B, else the model's)."""
    return weighting._field_B.get(fieldname, weighting.B)
