"""Whoosh's compound segment files, read in place from the memory map instead of copied.

A segment is one ``.seg`` file that Whoosh memory-maps; each part of it (the
postings, the terms, the stored fields) is opened as a ``BufferFile`` over a
slice of the map. whoosh3 3.54.0's ``BufferFile`` wraps that slice in
``io.BytesIO``, which copies it: opening a 100k-paragraph index put 420 MB of
postings on the heap (tracemalloc), and a reader at 1M paragraphs would need
gigabytes before its first answer. :class:`MappedFile` reads the slice through
the map, so only the pages a query touches are read, and the operating system
can drop them again.

:func:`read_compound_files_in_place` installs it; :mod:`searchlib.indexing`
calls it on import, before any index is opened.
"""
from __future__ import annotations

import io
import pickle
import threading

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile


class _ViewReader:
    """The file methods StructFile uses (read, readline, seek, tell, close), over a memoryview.

    The read position is each thread's own. Whoosh opens a segment's postings,
    terms and stored fields once per reader and reads them with ``seek`` then
    ``read``; the web server's request threads share that reader, so with one
    position a thread's seek moved another's read: under eight concurrent
    clients, one answer in seven failed with ``zlib.error``, ``UnpicklingError``
    or ``CorruptIndexError`` on a sound index. The bytes are immutable, so a
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
        """One pickled object at the position. pickle.load on this reader would call read() ~20 times
        per object from C (a posting block header: 125k Python calls, 140 ms, for one common term at
        1M paragraphs); a block header is ~100 bytes, so copy a little and let BytesIO serve it."""
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
