"""Reports -> a Whoosh index of paragraph documents on disk.

Layout of an index directory::

    index/
      current -> gen-20261124T101500-1234   (symlink, swapped atomically)
      gen-20261124T101500-1234/             (a complete Whoosh index)
      .lock                                 (held by the one writer)

Safety. Every job (rebuild, update, delete, optimize) writes a new
generation and only then swaps the ``current`` link with an atomic rename, so
a reader always sees a complete index and a job killed at any moment leaves the
previous generation untouched. An update starts its generation from hard links
to the live one's files (Whoosh never rewrites a file: segments are immutable
and deletions live in the table of contents), so it costs no copying; its new
segment and table of contents are written beside the links. Whatever a killed
job leaves behind (a half-written generation, a stray link) is removed by the
next job, under the lock.

A new generation per job is also what makes an update visible to an open
:class:`searchlib.search.Library`: it reopens the index when ``current`` points
elsewhere. (Whoosh 3.54's ``Searcher.refresh()`` reuses segment readers with
their old deletions and re-adds segments a merge removed, so an in-place
commit would show replaced paragraphs twice.)

Speed. Parsing a report and analysing its paragraphs is pure Python, so a big
job runs it in worker processes (one per core): each worker parses the files
it is handed and writes its own Whoosh segment; the parent only hands out
files, settles duplicates and writes the TOC that makes the segments live.
Small jobs (a few files) run in-process, which is faster than starting workers.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import heapq
import itertools
import multiprocessing
import os
import pickle
import queue
import shutil
import signal
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.reading import SegmentReader
from whoosh.writing import PostingPool, SegmentWriter

from searchlib import sidecars
from searchlib.analysis import BigramTokenizer, WordTokenizer
from searchlib.facetstore import segment_rows, write_segment_facets
from searchlib.report import Report, parse_file
from searchlib.reuse import FILE_NAME as REUSE_FILE
from searchlib.source import SUPPORTED_SUFFIXES, SourceError
from searchlib.storage import read_compound_files_in_place
from searchlib.postingstore import PostingCapture, write_lexicon
from searchlib.fieldstore import write_segment_fields
from searchlib.textstore import write_segment_texts

read_compound_files_in_place()  # before any index is opened: see searchlib.storage

CURRENT = "current"
LOCK_FILE = ".lock"
FACET_FIELDS = ("report_year", "province", "city", "county", "township", "level", "body", "section_kind", "genre")


def make_schema() -> Schema:
    words = WordTokenizer()
    return Schema(
        pid=ID(stored=True, unique=True),
        doc_id=ID(stored=True),
        position=NUMERIC(int, stored=True),
        text=TEXT(analyzer=words, stored=True, phrase=True),
        exact=TEXT(analyzer=BigramTokenizer(), phrase=True),
        title=TEXT(analyzer=words, stored=True, phrase=False, field_boost=2.0),
        heading=TEXT(analyzer=words, stored=True, phrase=False, field_boost=1.5),
        section_kind=ID(stored=True),
        publisher=STORED(),
        publish_date=ID(stored=True),
        report_year=NUMERIC(int, stored=True),
        province=ID(stored=True),
        city=ID(stored=True),
        county=ID(stored=True),
        township=ID(stored=True),
        division_code=ID(stored=True),
        level=ID(stored=True),
        body=ID(stored=True),
        genre=ID(stored=True),
        source=STORED(),
    )


class IndexError_(Exception):
    """A problem with the index itself (missing, locked, unreadable)."""


class IndexMissing(IndexError_):
    pass


class IndexLocked(IndexError_):
    pass


@dataclass
class BuildSummary:
    reports: int = 0
    paragraphs: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    index_dir: str = ""
    reuse: dict | None = None          # the text-reuse pass's figures, when it ran
    notes: list[str] = field(default_factory=list)  # things the researcher should know


def paragraph_documents(report: Report) -> Iterator[dict]:
    """One Whoosh document per paragraph, carrying its report's metadata."""
    for order, section, para in report.paragraphs():
        doc = {
            "pid": para.pid,
            "doc_id": report.doc_id,
            "position": order,
            "text": para.text,
            "exact": para.text,
            "section_kind": section.kind,
            "source": report.source,
        }
        if report.title:
            doc["title"] = report.title
        if section.heading:
            doc["heading"] = section.heading
        if report.report_year is not None:
            doc["report_year"] = report.report_year
        if report.publisher:
            doc["publisher"] = report.publisher
        for key in ("publish_date", "province", "city", "county", "township", "division_code",
                    "level", "body", "genre"):
            value = getattr(report, key)
            if value:
                doc[key] = value
        yield doc


def find_sources(paths: Iterable[Path | str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Report files under ``paths`` (folders are walked), sorted for a stable build order."""
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for p in path.rglob("*"):
                if p.is_symlink() and p.is_dir() and not p.name.startswith("."):
                    # rglob does not walk into it (a link can loop back): say so rather than drop it
                    problems.append((str(p), "symbolic link to a folder, not followed (index that folder "
                                             "by its own path to include it)"))
                    continue
                if p.suffix.lower() not in SUPPORTED_SUFFIXES or p.name.startswith("."):
                    continue
                if p.is_file():
                    files.append(p)
                elif _dangling(p):   # a report the folder promises but cannot give: say so
                    problems.append((str(p), _dangling_reason(p)))
        elif path.exists():
            files.append(path)
        elif _dangling(path):
            problems.append((str(path), _dangling_reason(path)))
        else:
            problems.append((str(path), "no such file or folder"))
    return sorted(set(files)), sorted(problems)


def _dangling(path: Path) -> bool:
    return path.is_symlink() and not path.exists()


def _dangling_reason(path: Path) -> str:
    return f"broken symbolic link (its target {os.readlink(path)} does not exist)"


def resolve_index_dir(index_dir: Path | str) -> Path:
    """The directory holding the live Whoosh index inside ``index_dir``."""
    root = Path(index_dir)
    current = root / CURRENT
    if current.exists():
        return current.resolve()
    if whoosh_index.exists_in(str(root)):
        return root
    raise IndexMissing(f"no index at {root}: build one with `searchlib index` (or set --index / $SEARCHLIB_INDEX)")


def open_index(index_dir: Path | str):
    live = resolve_index_dir(index_dir)
    try:
        return whoosh_index.open_dir(str(live))
    except Exception as exc:  # Whoosh raises several unrelated types for a damaged index
        raise IndexError_(f"cannot open the index at {live}: {exc}") from None


@contextmanager
def writer_lock(index_dir: Path | str):
    """Hold the index's writer lock; a second writer gets :class:`IndexLocked`."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / LOCK_FILE, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise IndexLocked(f"the index at {root} is being written by {holder}; "
                                  "wait for it to finish and try again") from None
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()


# --- generations and leftovers ------------------------------------------------

TEMP_SUFFIX = ".tmp"  # Whoosh's temporary storage (sort runs) inside an index folder


def _new_generation(root: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    gen = root / f"gen-{stamp}-{os.getpid()}-{os.urandom(3).hex()}"
    gen.mkdir(parents=True)
    return gen


def _clone_generation(root: Path, live: Path) -> Path:
    """A new generation holding hard links to the live index's files."""
    gen = _new_generation(root)
    for item in live.iterdir():
        # The lock file is per folder, and Whoosh's temp folders are per job.
        # The reuse file describes the old generation only; the pass writes a new one.
        if item.is_file() and not item.name.endswith("WRITELOCK") and item.name != REUSE_FILE \
                and not _is_reuse_leftover(item.name):
            os.link(item, gen / item.name)
    return gen


def _swap_current(root: Path, gen: Path) -> None:
    tmp_link = root / f".{CURRENT}.{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(gen.name, tmp_link)
    os.replace(tmp_link, root / CURRENT)  # atomic on POSIX


def _live_generation(root: Path) -> Path | None:
    current = root / CURRENT
    return current.resolve() if current.exists() else None


def remove_leftovers(root: Path) -> list[str]:
    """Delete what killed jobs left behind; the caller holds the writer lock.

    Generations other than the live one, stray ``current`` links and Whoosh
    temp folders in the live index. Returns the names removed. A reader still
    using a replaced generation keeps its open files (POSIX unlink semantics).
    """
    removed: list[str] = []
    if not root.is_dir():
        return removed
    live = _live_generation(root)
    for child in root.iterdir():
        if child.name.startswith("gen-") and child.is_dir() and (live is None or child.resolve() != live):
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child.name)
        elif child.name.startswith(f".{CURRENT}.") and child.is_symlink():
            child.unlink(missing_ok=True)
            removed.append(child.name)
    for folder in {live, root} - {None}:
        for child in folder.iterdir():
            if child.is_dir() and child.name.endswith(TEMP_SUFFIX):
                shutil.rmtree(child, ignore_errors=True)
                removed.append(f"{folder.name}/{child.name}")
            elif _is_reuse_leftover(child.name) and child.is_file():
                child.unlink(missing_ok=True)
                removed.append(f"{folder.name}/{child.name}")
    return removed


def _is_reuse_leftover(name: str) -> bool:
    """The temporary file (and SQLite journal) of a reuse pass that was killed before it replaced reuse.sqlite."""
    return name.startswith(f".{REUSE_FILE}.") and (name.endswith(".tmp") or name.endswith(".tmp-journal"))


ProgressFactory = Callable[[int], "Progress"]


class Progress:
    """Minimal progress protocol: ``update(n)`` and ``close()``."""

    def update(self, n: int = 1) -> None:  # pragma: no cover - trivial
        pass

    def close(self) -> None:  # pragma: no cover - trivial
        pass


# --- indexing one file --------------------------------------------------------

# Below this many files a job runs in-process: starting a worker (a fresh
# interpreter that loads the segmenter and the division table) costs ~1 s.
PARALLEL_MIN_FILES = 24
# Files handed to a worker at a time: small enough to balance the workers,
# large enough that queue traffic is negligible.
BATCH_FILES = 8
# Memory for each writer's posting sort before it spills a run to disk.
POOL_LIMIT_MB = 192
# A worker starts a new segment after this many paragraphs. Finishing a segment takes memory in
# proportion to its size: one segment per worker at 1M paragraphs (500k each) grew each worker to
# 12 GB and the kernel killed it; 50k per segment is what the 100k builds (peak 3 GB) used.
# (SEARCHLIB_SEGMENT_PARAGRAPHS overrides it, for tests: the spawned workers read the environment.)
SEGMENT_MAX_PARAGRAPHS = int(os.environ.get("SEARCHLIB_SEGMENT_PARAGRAPHS", "50000"))


@dataclass
class FileOutcome:
    """What indexing one file did: where its paragraphs went, or why it was skipped."""

    order: int          # position of the file in the job's sorted file list
    path: str
    doc_id: str | None = None
    reason: str | None = None   # set when the file was skipped
    worker: tuple[int, int] | int = -1  # (worker, its segment number) holding the paragraphs (-1: the parent's)
    first: int = 0              # segment-local number of the first paragraph
    count: int = 0


def _index_file(writer: SegmentWriter, order: int, path: str, seen: set[str], worker: tuple[int, int] | int,
                replace: bool = False) -> FileOutcome:
    """Parse one file and add its paragraphs; ``replace`` first deletes the report's old ones."""
    outcome = FileOutcome(order=order, path=path, worker=worker)
    try:
        report = parse_file(path)
    except SourceError as exc:
        outcome.reason = exc.reason
        return outcome
    outcome.doc_id = report.doc_id
    if report.doc_id in seen:
        outcome.reason = f"same report as another file (doc_id {report.doc_id})"
        return outcome
    seen.add(report.doc_id)
    if replace:
        writer.delete_by_term("doc_id", report.doc_id)
    outcome.first = writer.docnum
    for doc in paragraph_documents(report):
        writer.add_document(**doc)
    outcome.count = writer.docnum - outcome.first
    return outcome


# --- worker processes ---------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Make this worker die when the indexer dies (``kill -9`` included).

    Otherwise an orphaned worker would go on writing files into a generation
    that the next build deletes, or wait forever on its job queue.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: fall back on the check below
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _segment_worker(worker: int, parent: int, index_dir: str, jobs, results) -> None:
    """Worker process: parse the files it is handed and write them as segments of at most
    SEGMENT_MAX_PARAGRAPHS paragraphs, each reported as soon as it is written."""
    _die_with_parent(parent)
    try:
        ix = whoosh_index.open_dir(index_dir)
        # The parent holds the index's locks; this writer only adds segments.
        writer, part = _new_writer(ix, lock=False), 0
        seen: set[str] = set()
        while (batch := jobs.get()) is not None:
            results.put(("files", [_index_file(writer, order, path, seen, (worker, part)) for order, path in batch]))
            if os.getppid() != parent:
                os._exit(1)
            if writer.docnum >= SEGMENT_MAX_PARAGRAPHS:
                results.put(("segment", (worker, part), _finalize_segment(writer)))
                writer, part = _new_writer(ix, lock=False), part + 1
        if writer._added:
            segment = _finalize_segment(writer)
        else:
            writer._close_segment()
            segment = None
        results.put(("segment", (worker, part), segment))
        results.put(("done", worker))
    except OSError as exc:  # a fault of the machine (full disk, read-only folder): the parent says it in one line
        results.put(("oserror", worker, exc.errno, exc.strerror, exc.filename))
    except BaseException:
        results.put(("error", worker, traceback.format_exc()))


class _WorkerFailed(IndexError_):
    pass


def _run_workers(gen_dir: Path, files: list[Path], procs: int,
                 on_file: Callable[[FileOutcome], None]) -> dict[tuple[int, int], object]:
    """Index ``files`` in ``procs`` worker processes; returns (worker, part) -> its segment (or None)."""
    # "spawn": a fresh interpreter inherits neither the writer lock's file
    # descriptor nor a server's threads (fork would copy both).
    ctx = multiprocessing.get_context("spawn")
    jobs = ctx.Queue()
    results = ctx.Queue()
    numbered = list(enumerate(str(p) for p in files))
    for i in range(0, len(numbered), BATCH_FILES):
        jobs.put(numbered[i:i + BATCH_FILES])
    for _ in range(procs):
        jobs.put(None)
    workers = [ctx.Process(target=_segment_worker, name=f"searchlib-index-{w}",
                           args=(w, os.getpid(), str(gen_dir), jobs, results), daemon=True)
               for w in range(procs)]
    for w in workers:
        w.start()
    segments: dict[tuple[int, int], object] = {}
    done = 0
    try:
        while done < procs:
            try:
                message = results.get(timeout=1.0)
            except queue.Empty:
                dead = [w for w in workers if w.exitcode not in (None, 0)]
                if dead:
                    raise _WorkerFailed(f"an indexing worker died (exit code {dead[0].exitcode})") from None
                continue
            kind = message[0]
            if kind == "files":
                for outcome in message[1]:
                    on_file(outcome)
            elif kind == "segment":
                segments[message[1]] = message[2]
            elif kind == "done":
                done += 1
            elif kind == "oserror":
                raise OSError(*message[2:])
            else:
                if os.environ.get("SEARCHLIB_DEBUG"):
                    print(message[2], file=sys.stderr)
                last = message[2].strip().splitlines()[-1]
                raise _WorkerFailed(f"an indexing worker failed: {last} (set SEARCHLIB_DEBUG=1 for its traceback)")
        for w in workers:
            w.join()
        return segments
    finally:
        for w in workers:
            if w.is_alive():
                w.kill()
                w.join()


# --- the posting pool -----------------------------------------------------------

RUN_CHUNK = 16384  # postings pickled per call when a sort run is spilled to disk


class _ChunkedPostingPool(PostingPool):
    """Whoosh's posting pool, with sort runs written and read in chunks.

    Whoosh pickles and unpickles every posting of a spilled run one call at a
    time and merges the runs with a generator per item: at 100k paragraphs
    (~33M postings, 3.7 GB of runs) that is a quarter of a worker's time.
    Pickling lists of postings and merging with :func:`heapq.merge` over
    C-level chains does the same work in a fraction of it. Same items, same
    order, so the segment written is the same.
    """

    def add(self, item) -> None:
        # The same size estimate as PostingPool.add, without its per-posting
        # type assertions (our documents are built by paragraph_documents).
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


def _new_writer(ix, lock: bool = True) -> SegmentWriter:
    """A segment writer with the chunked posting pool (nothing is pooled yet when it is swapped in)."""
    writer = SegmentWriter(ix, _lk=lock, limitmb=POOL_LIMIT_MB)
    writer.pool = _ChunkedPostingPool(writer._tempstorage, writer.newsegment, limitmb=POOL_LIMIT_MB)
    return writer


# --- merging ------------------------------------------------------------------

# A commit folds small segments together while their total stays under this
# many paragraphs, so repeated small updates do not pile up segments (each one
# a little more work per query) and no update pays for rewriting a big one:
# merging costs about as much per paragraph as indexing it (~3-6 ms on one
# core), and an update should stay well under 5 s. Segments that outgrow the
# budget stay as they are until optimize_index().
SMALL_MERGE_DOCS = 500
MIN_SEGMENTS_TO_MERGE = 3


def merge_small_segments(writer: SegmentWriter, segments: list) -> list:
    """Whoosh merge policy: fold the smallest segments into the new one, within a budget."""
    by_size = sorted(segments, key=lambda s: s.doc_count_all() - s.deleted_count())
    picked, total = [], 0
    for seg in by_size:
        live = seg.doc_count_all() - seg.deleted_count()
        if total + live > SMALL_MERGE_DOCS:
            break
        picked.append(seg)
        total += live
    if len(segments) < MIN_SEGMENTS_TO_MERGE or len(picked) < 2:
        return segments
    for seg in picked:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in picked]


class _LengthsInMemory:
    """Per-paragraph field lengths, decoded once per field.

    Writing postings, Whoosh looks up the paragraph's field length for every
    posting (for block statistics), each time a seek and read in the column
    file: 10% of a worker's time. A list lookup gives the same numbers.
    """

    def __init__(self, reader, doccount: int):
        self._reader = reader
        self._doccount = doccount

    def doc_field_length_reader(self, fieldname: str, default: int = 0):
        get = self._reader.doc_field_length_reader(fieldname, default)
        return [get(docnum) for docnum in range(self._doccount)].__getitem__

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0):
        return self._reader.doc_field_length(docnum, fieldname, default)


def _finalize_segment(writer: SegmentWriter):
    """``SegmentWriter._finalize_segment`` (Whoosh 3.54) with lengths read from memory,
    plus the segment's facet, text, field and posting files (:mod:`searchlib.facetstore`,
    :mod:`searchlib.textstore`, :mod:`searchlib.fieldstore`, :mod:`searchlib.postingstore`)."""
    writer.perdocwriter.close()
    reader = writer.per_document_reader() if writer.codec.length_stats else None
    lengths = _LengthsInMemory(reader, writer.docnum) if reader is not None else None
    capture = PostingCapture()
    writer.fieldwriter.add_postings(writer.schema, lengths, capture.through(writer.pool.iter_postings()))
    writer.fieldwriter.close()
    if reader is not None:
        reader.close()
    writer._close_segment()
    writer._assemble_segment()
    segment = writer.get_segment()
    # After assembly: the compound file would swallow (and delete) them.
    rows = segment_rows(writer.storage, writer.schema, segment)
    write_segment_facets(writer.storage, writer.schema, segment, rows)
    write_segment_texts(writer.storage.folder, segment, rows)
    write_segment_fields(writer.storage.folder, segment, rows)
    capture.write(writer.storage.folder, segment, segment.doc_count_all())
    return segment


def _commit(writer: SegmentWriter, extra_segments: list, optimize: bool = False) -> None:
    """Write ``writer``'s segment, add the workers' segments and make them all live.

    The same steps as ``SegmentWriter.commit`` (Whoosh 3.54), plus segments
    written by other processes, as Whoosh's own multiprocessing writer does.
    """
    try:
        if optimize:
            final = writer._merge_segments(None, True, None)
        else:
            final = merge_small_segments(writer, writer.segments)
        final += extra_segments
        if writer._added:
            final.append(_finalize_segment(writer))
        else:
            writer._close_segment()
        write_lexicon(writer.storage, final)
        writer._commit_toc(final)
    except BaseException:
        writer._cleanup_on_error()
        raise
    writer._finish()


# --- the jobs -----------------------------------------------------------------

def default_procs() -> int:
    """Worker processes for a big job: ``$SEARCHLIB_INDEX_PROCS``, else one per usable core."""
    if os.environ.get("SEARCHLIB_INDEX_PROCS", "").isdigit():
        return max(1, int(os.environ["SEARCHLIB_INDEX_PROCS"]))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def build_index(paths: Iterable[Path | str], index_dir: Path | str, rebuild: bool = False,
                progress: ProgressFactory | None = None, procs: int | None = None,
                reuse: bool | None = None) -> BuildSummary:
    """Parse the report files under ``paths`` and index their paragraphs.

    With ``rebuild`` (or when there is no index yet) a fresh index replaces the
    old one atomically; otherwise the reports are added, replacing any report
    with the same ``doc_id``. Unreadable files are listed in the summary.
    ``procs`` worker processes parse and analyse (default: one per core; 1
    keeps everything in this process). ``reuse`` runs the text-reuse pass on
    the new generation before it goes live: by default on a fresh build, and
    on an update only while the index is small enough for the pass to be quick
    (see :data:`REUSE_ON_UPDATE_MAX_PARAGRAPHS`).
    """
    started = time.perf_counter()
    root = Path(index_dir)
    files, missing = find_sources(paths)
    summary = BuildSummary(skipped=list(missing), index_dir=str(root))
    procs = default_procs() if procs is None else max(1, procs)
    with writer_lock(root):
        remove_leftovers(root)
        fresh = rebuild or not _has_index(root)
        with _next_generation(root, fresh) as gen:
            ix = whoosh_index.create_in(str(gen), make_schema()) if fresh else whoosh_index.open_dir(str(gen))
            _write_files(ix, gen, files, fresh, procs, progress, summary)
            _reuse_pass(gen, fresh, reuse, summary)
    summary.seconds = time.perf_counter() - started
    return summary


# The pass reads every paragraph back (~15 µs each) and runs in about linear
# time; on an update of a big index that would break the few-seconds budget,
# so there it is left to `searchlib reuse --build`.
REUSE_ON_UPDATE_MAX_PARAGRAPHS = 20_000
# Nor does it run by default on a fresh build past this size: it holds every text, its signature
# and the candidate pairs in memory. 100k paragraphs peaked at 3 GB (3.5M candidate pairs); at 1M
# paragraphs of the benchmark corpus it passed 14 GB and was still growing.
REUSE_BY_DEFAULT_MAX_PARAGRAPHS = 120_000


def _reuse_pass(gen: Path, fresh: bool, wanted: bool | None, summary: BuildSummary) -> None:
    """Find paragraphs shared between reports; never fails the index job."""
    from searchlib import reuse

    if wanted is False:
        return
    if wanted is None:
        limit = REUSE_BY_DEFAULT_MAX_PARAGRAPHS if fresh else REUSE_ON_UPDATE_MAX_PARAGRAPHS
        paragraphs = whoosh_index.open_dir(str(gen)).doc_count()
        if paragraphs > limit:
            summary.notes.append(f"text-reuse data not {'built' if fresh else 'updated'} for {paragraphs} "
                                 f"paragraphs (more than {limit}: it takes long and much memory): "
                                 "run `searchlib reuse --build` when convenient")
            return
    try:
        summary.reuse = reuse.build_for_generation(gen)
    except Exception as exc:  # the index itself is fine; reuse views stay off
        summary.notes.append(f"text-reuse pass failed ({type(exc).__name__}: {exc}); "
                             "search works, reuse information is off")


@contextmanager
def _next_generation(root: Path, fresh: bool) -> Iterator[Path]:
    """A generation to write into; it goes live when the block succeeds, else it is removed.

    The caller holds the writer lock.
    """
    gen = _new_generation(root) if fresh else _clone_generation(root, resolve_index_dir(root))
    try:
        yield gen
        sidecars.pass_for_generation(gen)   # the research tools' files beside the index (searchlib.sidecars)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    _swap_current(root, gen)
    remove_leftovers(root)


def _write_files(ix, gen: Path, files: list[Path], fresh: bool, procs: int,
                 progress: ProgressFactory | None, summary: BuildSummary) -> None:
    bar = progress(len(files)) if progress else Progress()
    writer = _new_writer(ix)
    try:
        outcomes: list[FileOutcome] = []
        segments: dict[tuple[int, int], object] = {}
        if procs > 1 and len(files) >= PARALLEL_MIN_FILES:
            def on_file(outcome: FileOutcome) -> None:
                outcomes.append(outcome)
                bar.update(1)
            segments = _run_workers(gen, files, min(procs, len(files)), on_file)
        else:
            seen: set[str] = set()
            for order, path in enumerate(files):
                outcome = _index_file(writer, order, str(path), seen, worker=-1, replace=not fresh)
                outcomes.append(outcome)
                bar.update(1)
        kept = _settle_duplicates(outcomes, segments)
        if not fresh and segments:
            # Replacing: the reports' old paragraphs live in the existing segments.
            for outcome in kept:
                writer.delete_by_term("doc_id", outcome.doc_id)
        _commit(writer, [s for _, s in sorted(segments.items()) if s is not None])
    except BaseException:
        if not writer.is_closed:
            writer._cleanup_on_error()
        raise
    finally:
        bar.close()
    for outcome in sorted(outcomes, key=lambda o: o.order):
        if outcome.reason:
            summary.skipped.append((outcome.path, outcome.reason))
        else:
            summary.reports += 1
            summary.paragraphs += outcome.count


def _settle_duplicates(outcomes: list[FileOutcome], segments: dict[tuple[int, int], object]) -> list[FileOutcome]:
    """The first file (in path order) of each report wins; later copies are deleted again.

    Each worker skips repeats it sees itself; copies that went to different
    workers are only found here. Returns the outcomes that were indexed.
    """
    winners: dict[str, FileOutcome] = {}
    for outcome in sorted(outcomes, key=lambda o: o.order):
        if outcome.reason:
            continue
        if outcome.doc_id in winners:
            if outcome.count:
                segment = segments[outcome.worker]
                for docnum in range(outcome.first, outcome.first + outcome.count):
                    segment.delete_document(docnum)
            outcome.reason = f"same report as another file (doc_id {outcome.doc_id})"
            outcome.count = 0
        else:
            winners[outcome.doc_id] = outcome
    return list(winners.values())


def _has_index(root: Path) -> bool:
    try:
        resolve_index_dir(root)
        return True
    except IndexMissing:
        return False


@dataclass
class DeleteSummary:
    deleted: list[str] = field(default_factory=list)   # doc_ids removed
    missing: list[str] = field(default_factory=list)   # doc_ids not in the index
    paragraphs: int = 0
    seconds: float = 0.0


def delete_reports(index_dir: Path | str, doc_ids: Iterable[str]) -> DeleteSummary:
    """Remove the reports ``doc_ids`` (all their paragraphs) from the index.

    One commit: the next search sees all of them gone, or, if this is killed,
    none. Raises :class:`IndexMissing` / :class:`IndexLocked` like a build.
    """
    started = time.perf_counter()
    root = Path(index_dir)
    summary = DeleteSummary()
    with writer_lock(root):
        remove_leftovers(root)
        resolve_index_dir(root)  # IndexMissing before anything is written
        with _next_generation(root, fresh=False) as gen:
            writer = _new_writer(whoosh_index.open_dir(str(gen)))
            try:
                for doc_id in dict.fromkeys(doc_ids):
                    removed = writer.delete_by_term("doc_id", doc_id)
                    (summary.deleted if removed else summary.missing).append(doc_id)
                    summary.paragraphs += removed
                _commit(writer, [])
            except BaseException:
                if not writer.is_closed:
                    writer._cleanup_on_error()
                raise
    summary.seconds = time.perf_counter() - started
    return summary


def optimize_index(index_dir: Path | str) -> int:
    """Merge every segment into one and drop deleted paragraphs; returns the paragraph count.

    Worth it after many updates (each adds a segment and leaves deleted
    paragraphs behind); it rewrites the whole index, about as long as indexing
    it single-process, and readers see the old index until it commits.
    """
    root = Path(index_dir)
    with writer_lock(root):
        remove_leftovers(root)
        resolve_index_dir(root)
        with _next_generation(root, fresh=False) as gen:
            writer = _new_writer(whoosh_index.open_dir(str(gen)))
            try:
                _commit(writer, [], optimize=True)
            except BaseException:
                if not writer.is_closed:
                    writer._cleanup_on_error()
                raise
        return open_index(root).doc_count()
