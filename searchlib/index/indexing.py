"""Reports -> a Whoosh index of paragraph documents on disk.

Layout of an index directory::

    index/
      current -> gen-20261124T101500-1234   (symlink, swapped atomically)
      gen-20261124T101500-1234/             (a complete Whoosh index)
      .lock                                 (held by the one writer)

Safety. Every job (rebuild, update, delete, optimize) writes a new generation and only then swaps the ``current`` link
with an atomic rename, so a reader always sees a complete index and a job killed at any moment leaves the previous
generation untouched. An update starts its generation from hard links to the live one's files (Whoosh never rewrites a
file: segments are immutable and deletions live in the table of contents), so it costs no copying; its new segment and
table of contents are written beside the links. Whatever a killed job leaves behind (a half-written generation, a stray
link) is removed by the next job, under the lock.

A new generation per job is also what makes an update visible to an open :class:`searchlib.query.search.Library`: it
reopens the index when ``current`` points elsewhere. (Whoosh 3.54's ``Searcher.refresh()`` reuses segment readers with
their old deletions and re-adds segments a merge removed, so an in-place commit would show replaced paragraphs twice.)

Speed. Parsing a report and analysing its paragraphs is pure Python, so a big job runs it in worker processes (one per
core): each worker parses the files it is handed and writes its own Whoosh segment; the parent only hands out files,
settles duplicates and writes the TOC that makes the segments live. Small jobs (a few files) run in-process, which is
faster than starting workers.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import multiprocessing
import os
import queue
import re
import shutil
import signal
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from whoosh import index as whoosh_index
from whoosh.fields import Schema
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from searchlib.index import sidecars
from searchlib.analysis import BigramTokenizer, WordTokenizer, dictionary_digest
from searchlib.index.facetstore import segment_rows, write_segment_facets
from searchlib.fields import whoosh_fields
from searchlib.ingest.inputs import Item, find_inputs
from searchlib.ingest.places import host_of
from searchlib.ingest.report import Report, distinct_doc_id, parse_item, place_of, reidentify
from searchlib.research.reuse import FILE_NAME as REUSE_FILE
from searchlib.research.reuse import THRESHOLD as SAME_TEXT_THRESHOLD
from searchlib.research.reuse import SKETCH_MARGIN, canonical, jaccard, shingles, sketch_jaccard, text_sketch
from searchlib.ingest.source import SourceError
from searchlib.index import storage
from searchlib.index.storage import (FORMAT_FILE, FORMAT_VERSION, IndexDamaged, IndexError_, IndexMissing,  # noqa: F401
                               IndexOutdated, index_format, read_compound_files_in_place)
from searchlib.index.postingstore import PostingCapture, write_lexicon
from searchlib.index.fieldstore import write_segment_fields
from searchlib.index.textstore import write_segment_texts

read_compound_files_in_place()  # before any index is opened: see searchlib.index.storage

CURRENT = "current"
LOCK_FILE = ".lock"


def make_schema() -> Schema:
    return Schema(**whoosh_fields(WordTokenizer(), BigramTokenizer()))


class IndexLocked(IndexError_):
    pass


class NothingToIndex(IndexError_):
    """A rebuild with nothing to read: it would replace the index with an empty one."""


class NotAnIndexFolder(IndexError_):
    """--index names a file, or a folder of other things: an index is never written over them."""


# What an index folder holds besides its generations (see writer_lock, _publish).
_INDEX_FOLDER_FILES = (LOCK_FILE, CURRENT)


def _nothing_to_index(what: str, skipped: list[tuple[str, str]], root: Path) -> NothingToIndex:
    """The refusal of a build that would make (or leave) an empty index, naming the first files skipped."""
    named = "; ".join(f"{path}: {why}" for path, why in skipped[:3])
    return NothingToIndex(what + (f" (skipped {named}{' …' if len(skipped) > 3 else ''})" if named else "")
                          + (f"; nothing was rebuilt, the index at {root} is as it was" if _has_index(root)
                             else "; no index was made"))


def _check_index_folder(root: Path) -> None:
    """Refuse to write an index where it would mix with, or be taken for, something else."""
    if root.exists() and not root.is_dir():
        raise NotAnIndexFolder(f"{root} is a file, not a folder: give --index a folder (new or empty, or an index)")
    if not root.is_dir() or _has_index(root):
        return
    # Hidden files (the repository's index/.gitkeep, a .DS_Store) are nobody's documents, and nothing removes them.
    others = [c.name for c in root.iterdir()
              if c.name not in _INDEX_FOLDER_FILES and not GENERATION_NAME.match(c.name) and not c.name.startswith(".")]
    if others:
        raise NotAnIndexFolder(f"{root} is not a searchlib index and is not empty ({', '.join(sorted(others)[:3])}"
                               f"{' …' if len(others) > 3 else ''}): give --index a new or empty folder")


@dataclass
class BuildSummary:
    """What an index job did. Every input is accounted for: ``inputs`` = ``reports`` (indexed) +
    ``merged`` + ``replaced`` + ``skipped``, each of those three naming its file and why."""
    reports: int = 0
    paragraphs: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    index_dir: str = ""
    reuse: dict | None = None          # the text-reuse pass's figures, when it ran
    notes: list[str] = field(default_factory=list)  # things the researcher should know
    inputs: int = 0                    # files (and WARC records) found, readable or not
    # (path, what happened): a copy kept as a source of another report; an older version dropped
    merged: list[tuple[str, str]] = field(default_factory=list)
    replaced: list[tuple[str, str]] = field(default_factory=list)
    # (path, why): indexed, but under an id of its own (same body, title and year, another text),
    # or replacing a version that was already in the index
    separate: list[tuple[str, str]] = field(default_factory=list)
    updated: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"reports": self.reports, "paragraphs": self.paragraphs, "seconds": round(self.seconds, 3),
                "inputs": self.inputs, "index_dir": self.index_dir,
                "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
                "merged": [{"path": p, "into": r} for p, r in self.merged],
                "replaced": [{"path": p, "by": r} for p, r in self.replaced],
                "separate": [{"path": p, "why": r} for p, r in self.separate],
                "updated": [{"path": p, "what": r} for p, r in self.updated],
                "notes": self.notes, "reuse": self.reuse}


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
            "sources": report.sources,
            "text_digest": report.text_digest,
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
                    "level", "body", "genre", "url", "fetched_at"):
            value = getattr(report, key)
            if value:
                doc[key] = value
        yield doc


def find_sources(paths: Iterable[Path | str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Report files under ``paths`` (folders are walked), sorted, and the files not read with why. WARC files are
    listed as files here; :func:`searchlib.ingest.inputs.find_inputs` opens them."""
    found = find_inputs(paths)
    return sorted({Path(item.path) for item in found.items}), found.problems


def resolve_index_dir(index_dir: Path | str) -> Path:
    """The directory holding the live Whoosh index inside ``index_dir``."""
    root = Path(index_dir)
    current = root / CURRENT
    if current.exists():
        return current.resolve()
    if storage.holds_index(root):  # a generation itself (or an index written before generations)
        return root
    raise IndexMissing(f"no index at {root}: build one with `searchlib index` (or set --index / $SEARCHLIB_INDEX)")


def open_index(index_dir: Path | str):
    """The live Whoosh index; :class:`IndexOutdated` (naming the rebuild command) for an older format."""
    return storage.open_generation(resolve_index_dir(index_dir), root=index_dir)


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


# The names _new_generation gives (gen-20240101T120000-4242-a1b2c3), and older ones without the random part: only
# folders named so are ever removed as a killed job's leftovers, never a researcher's own gen-notes/.
GENERATION_NAME = re.compile(r"^gen-\d{8}T\d{6}-\d+(-[0-9a-f]{6})?$")


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
    with storage.atomic_write(root / CURRENT) as tmp_link:  # a rename over the link: atomic on POSIX
        os.symlink(gen.name, tmp_link)


def _live_generation(root: Path) -> Path | None:
    current = root / CURRENT
    return current.resolve() if current.exists() else None


def remove_leftovers(root: Path) -> list[str]:
    """Delete what killed jobs left behind; the caller holds the writer lock.

    Generations other than the live one, stray ``current`` links and Whoosh temp folders in the live index. Returns the
    names removed. A reader still using a replaced generation keeps its open files (POSIX unlink semantics).
    """
    removed: list[str] = []
    if not root.is_dir():
        return removed
    live = _live_generation(root)
    for child in root.iterdir():
        if GENERATION_NAME.match(child.name) and child.is_dir() and (live is None or child.resolve() != live):
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
# Told what a build does once its files are read: the commit, the text-reuse pass and the research tables each take
# minutes at 100k paragraphs, with the files' bar already full.
StageReporter = Callable[[str], None]

# The stages, as the command line says them.
STAGE_COMMIT = "writing the index"
STAGE_REUSE = "finding paragraphs shared between reports (text reuse)"
STAGE_TABLES = "writing the research tools' tables"


class Progress:
    """Minimal progress protocol: ``update(n)`` and ``close()``."""

    def update(self, n: int = 1) -> None:  # pragma: no cover - trivial
        pass

    def close(self) -> None:  # pragma: no cover - trivial
        pass


# --- indexing one file --------------------------------------------------------

# Below this many files a job runs in-process: starting a worker (a fresh interpreter that loads the segmenter and the
# division table) costs ~1 s.
PARALLEL_MIN_FILES = 24
# Files handed to a worker at a time: small enough to balance the workers, big enough to make queue traffic negligible.
BATCH_FILES = 8
# A worker starts a new segment after this many paragraphs. Finishing a segment takes memory in proportion to its size:
# one segment per worker at 1M paragraphs (500k each) grew each worker to 12 GB and the kernel killed it; 50k per
# segment is what the 100k builds (peak 3 GB) used. (SEARCHLIB_SEGMENT_PARAGRAPHS overrides it, for tests: the spawned
# workers read the environment.)
SEGMENT_MAX_PARAGRAPHS = int(os.environ.get("SEARCHLIB_SEGMENT_PARAGRAPHS", "50000"))


@dataclass
class FileOutcome:
    """What indexing one input did: where its paragraphs went, or why it was skipped."""

    order: int          # position of the input in the job's sorted list
    path: str           # the input's label (a file, or a WARC file's record)
    doc_id: str | None = None
    reason: str | None = None   # set when the input was skipped
    worker: tuple[int, int] | int = -1  # (worker, its segment number) holding the paragraphs
    first: int = 0              # segment-local number of the first paragraph
    count: int = 0
    text_digest: str = ""
    version: str = ""           # capture date, else the file's modification time: the newer copy wins
    sketch: np.ndarray | None = None   # the body's shingle sketch (reuse.text_sketch): versions near-identical?
    unread: tuple[str, ...] = ()       # what a filter needs and could not be read from it: "year", "place"
    place: str = ""                    # where it reports on, as read from its own text (see different_reporters)


def different_places(a: str, b: str) -> bool:
    """Whether two texts that are the same word for word are two places' reports: both name a place, and not the same
    one. Two townships that publish one template's text are two reports; a county office's copy of a township's report,
    or a mirror that names no place, is a copy of it."""
    return bool(a) and bool(b) and a != b


def unread_metadata(report) -> tuple[str, ...]:
    """What a year or place filter needs and could not be read from the report: a page that is not a report
    at all, or one whose year and place the page does not say."""
    missing = {"year": report.report_year is None, "place": not (report.province or report.division_code)}
    return tuple(name for name, absent in missing.items() if absent)


# At most this many files are named in the note on reports with metadata unread.
UNREAD_NAMED = 5


def _unread_note(outcomes: list[FileOutcome], reports: int) -> str | None:
    """One line on the indexed reports whose year or place could not be read, naming the first few."""
    if not outcomes:
        return None
    counts = {name: sum(name in o.unread for o in outcomes) for name in ("year", "place")}
    said = ", ".join(f"{n} no {name}" for name, n in counts.items() if n)
    named = "; ".join(f"{o.path} ({', '.join(o.unread)})" for o in sorted(outcomes, key=lambda o: o.order)[:UNREAD_NAMED])
    more = f"; and {len(outcomes) - UNREAD_NAMED} more" if len(outcomes) > UNREAD_NAMED else ""
    return (f"{len(outcomes)} of {reports} indexed reports lack a year or place ({said}): they are searchable, but a year or "
            f"place filter does not find them and the facets list them as 未标注 (`searchlib parse FILE` shows what "
            f"was read): {named}{more}")


def _body(report) -> str:
    """The report's paragraphs as one canonical text, as versions of a report are compared."""
    return canonical("".join(p.text for _, _, p in report.paragraphs()))


def _version_of(item: Item) -> str:
    if item.fetched_at:
        return item.fetched_at
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(os.stat(item.path).st_mtime))
    except OSError:
        return ""


def _index_file(writer: SegmentWriter, order: int, item: Item, worker: tuple[int, int] | int) -> FileOutcome:
    """Parse one input and add its paragraphs. Which copy of a report stays is settled later."""
    outcome = FileOutcome(order=order, path=item.label, worker=worker)
    try:
        report = parse_item(item)
    except SourceError as exc:
        outcome.reason = exc.reason
        return outcome
    if not any(True for _ in report.paragraphs()):
        # Nothing to search: indexed, it would count as a report no search can find, and two such pages (one empty
        # body) would be merged as "the same text".
        outcome.reason = "no body text: only a title or header lines were read (a page whose report is elsewhere, " \
                         "in a frame or an attachment?)"
        return outcome
    outcome.doc_id = report.doc_id
    outcome.text_digest = report.text_digest
    outcome.version = _version_of(item)
    outcome.sketch = text_sketch(_body(report))
    outcome.unread = unread_metadata(report)
    outcome.place = place_of(report)
    outcome.first = writer.docnum
    for doc in paragraph_documents(report):
        writer.add_document(**doc)
    outcome.count = writer.docnum - outcome.first
    return outcome


# --- worker processes ---------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Make this worker die when the indexer dies (``kill -9`` included): an orphaned worker would go on writing
    files into a generation that the next build deletes, or wait forever on its job queue."""
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
        writer, part = storage.new_writer(ix, lock=False), 0
        while (batch := jobs.get()) is not None:
            results.put(("files", [_index_file(writer, order, item, (worker, part)) for order, item in batch]))
            if os.getppid() != parent:
                os._exit(1)
            if writer.docnum >= SEGMENT_MAX_PARAGRAPHS:
                results.put(("segment", (worker, part), _finalize_segment(writer)))
                writer, part = storage.new_writer(ix, lock=False), part + 1
        results.put(("segment", (worker, part), storage.finished_segment(writer, _finalize_segment)))
        results.put(("done", worker))
    except OSError as exc:  # a fault of the machine (full disk, read-only folder): the parent says it in one line
        results.put(("oserror", worker, exc.errno, exc.strerror, exc.filename))
    except BaseException:
        results.put(("error", worker, traceback.format_exc()))


class _WorkerFailed(IndexError_):
    pass


def _run_workers(gen_dir: Path, files: list[Item], procs: int,
                 on_file: Callable[[FileOutcome], None]) -> dict[tuple[int, int], object]:
    """Index ``files`` in ``procs`` worker processes; returns (worker, part) -> its segment (or None)."""
    # "spawn", not fork: a fresh interpreter inherits neither the writer lock's descriptor nor a server's threads.
    ctx = multiprocessing.get_context("spawn")
    jobs = ctx.Queue()
    results = ctx.Queue()
    numbered = list(enumerate(files))
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
        # Batches no worker took are still in the job queue's pipe: at exit its feeder thread would wait forever
        # to write them (a full disk or Ctrl-C then left the command hanging, never exiting).
        for pipe in (jobs, results):
            pipe.cancel_join_thread()
            pipe.close()


# --- merging ------------------------------------------------------------------

# A commit folds small segments together while their total stays under this many paragraphs, so repeated small updates
# do not pile up segments (each one a little more work per query) and no update pays for rewriting a big one: merging
# costs about as much per paragraph as indexing it (~3-6 ms on one core), and an update should stay well under 5 s.
# Segments that outgrow the budget stay as they are until optimize_index().
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


def _finalize_segment(writer: SegmentWriter):
    """Finish the writer's segment, then write its own facet, text, field and posting files beside it."""
    capture = PostingCapture()
    segment = storage.finalize_segment(writer, capture.through)
    # After assembly: the compound file would swallow (and delete) them.
    rows = segment_rows(writer.storage, writer.schema, segment)
    write_segment_facets(writer.storage.folder, segment, rows)
    write_segment_texts(writer.storage.folder, segment, rows)
    write_segment_fields(writer.storage.folder, segment, rows)
    capture.write(writer.storage.folder, segment, segment.doc_count_all())
    return segment


def _commit(writer: SegmentWriter, extra_segments: list, optimize: bool = False) -> None:
    """Write ``writer``'s segment, add the workers' segments and make them all live, with the
    index-wide lexicons written just before."""
    storage.commit(writer, extra_segments, optimize, keep=merge_small_segments, finalize=_finalize_segment,
                   before_live=lambda final: write_lexicon(writer.storage, final))


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
                reuse: bool | None = None, manifest: Path | str | None = None,
                stage: StageReporter | None = None) -> BuildSummary:
    """Parse the reports under ``paths`` (files, folders, WARC files) and index their paragraphs.

    With ``rebuild`` (or when there is no index yet) a fresh index replaces the old one atomically; otherwise the
    reports are added, replacing any report with the same ``doc_id``. No input is lost without a word: unreadable files
    are listed in ``skipped``, copies of one report (the same text) become one report with every source (``merged``),
    older versions of a report (the same body, title and year, a changed text) give way to the newest (``replaced``).
    ``manifest`` (a CSV of path,url[,fetched_at]) gives the files' URLs. ``procs`` worker processes parse and analyse
    (default: one per core; 1 keeps everything in this process). ``reuse`` runs the text-reuse pass on the new
    generation before it goes live: by default on a fresh build, and on an update only while the index is small enough
    for the pass to be quick (see :data:`REUSE_ON_UPDATE_MAX_PARAGRAPHS`). ``stage`` is told each step that follows
    the reading of the files (``STAGE_COMMIT``, ``STAGE_REUSE``, ``STAGE_TABLES``) as it starts.
    """
    started = time.perf_counter()
    root = Path(index_dir)
    paths = [Path(p) for p in paths]
    _check_index_folder(root)
    if rebuild and (missing := [str(p) for p in paths if not p.exists()]):
        # A rebuild replaces the whole index with what it reads: from a mistyped path, with nothing.
        raise NothingToIndex(f"no such file or folder: {', '.join(missing)}; nothing was rebuilt, the index at {root} "
                             "is as it was")
    found = find_inputs(paths, manifest=manifest, exclude=root)
    summary = BuildSummary(skipped=list(found.problems), index_dir=str(root), notes=list(found.notes),
                           inputs=len(found.items) + len(found.problems))
    procs = default_procs() if procs is None else max(1, procs)
    with writer_lock(root):
        remove_leftovers(root)
        fresh = rebuild or not _has_index(root)
        if fresh and not found.items:
            # An index of nothing answers every search with nothing; a rebuild from nothing would empty a good one.
            raise _nothing_to_index(f"no report file found in {', '.join(map(str, paths))}", found.problems, root)
        stage = stage or (lambda text: None)
        with _next_generation(root, fresh, stage) as gen:
            _record_dictionary(gen, fresh, summary)
            ix = whoosh_index.create_in(str(gen), make_schema()) if fresh else whoosh_index.open_dir(str(gen))
            _write_files(ix, gen, found.items, fresh, procs, progress, summary, stage)
            if fresh and not summary.reports:
                raise _nothing_to_index(f"none of the {summary.inputs} input(s) could be indexed", summary.skipped,
                                        root)
            _reuse_pass(gen, fresh, reuse, summary, stage)
    summary.seconds = time.perf_counter() - started
    return summary


# The pass reads every paragraph back (~15 µs each) and runs in about linear time; on an update of a big index that
# would break the few-seconds budget, so there it is left to `searchlib reuse --build`.
REUSE_ON_UPDATE_MAX_PARAGRAPHS = 20_000
# Nor does it run by default on a fresh build past this size: it holds every text, its signature and the candidate pairs
# in memory. 100k paragraphs peaked at 3 GB (3.5M candidate pairs); at 1M paragraphs of the benchmark corpus it passed
# 14 GB and was still growing.
REUSE_BY_DEFAULT_MAX_PARAGRAPHS = 120_000


def _reuse_pass(gen: Path, fresh: bool, wanted: bool | None, summary: BuildSummary,
                stage: StageReporter = lambda text: None) -> None:
    """Find paragraphs shared between reports; never fails the index job."""
    from searchlib.research import reuse
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
    stage(STAGE_REUSE)
    try:
        summary.reuse = reuse.build_for_generation(gen)
    except Exception as exc:  # the index itself is fine; reuse views stay off
        summary.notes.append(f"text-reuse pass failed ({type(exc).__name__}: {exc}); "
                             "search works, reuse information is off")


def _record_dictionary(gen: Path, fresh: bool, summary: BuildSummary) -> None:
    """A fresh index records the vocabulary it is cut with; an update keeps the record of the index it adds to, and
    says so when the vocabulary has changed since (the new reports are cut with the new one)."""
    current = dictionary_digest()
    if fresh:
        storage.write_dictionary(gen, current)
        return
    built_with = storage.index_dictionary(gen)
    if built_with is not None and built_with != current:
        summary.notes.append(storage.DICTIONARY_CHANGED)


@contextmanager
def _next_generation(root: Path, fresh: bool, stage: StageReporter = lambda text: None) -> Iterator[Path]:
    """A generation to write into (the caller holds the writer lock): live when the block succeeds, else removed."""
    if not fresh:  # an update, delete or optimize cannot mix formats (nor report ids): IndexOutdated
        storage.check_format(resolve_index_dir(root), root)
    gen = _new_generation(root) if fresh else _clone_generation(root, resolve_index_dir(root))
    try:
        storage.write_format(gen)  # (a clone's is a hard link to the live one's: replaced, never written through)
        yield gen
        stage(STAGE_TABLES)
        sidecars.pass_for_generation(gen)   # the research tools' files beside the index (searchlib.index.sidecars)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    _swap_current(root, gen)
    remove_leftovers(root)


def _write_files(ix, gen: Path, items: list[Item], fresh: bool, procs: int,
                 progress: ProgressFactory | None, summary: BuildSummary, stage: StageReporter) -> None:
    bar = progress(len(items)) if progress else Progress()
    writer = storage.new_writer(ix)
    try:
        outcomes: list[FileOutcome] = []
        segments: dict[tuple[int, int], object] = {}
        if procs > 1 and len(items) >= PARALLEL_MIN_FILES:
            def on_file(outcome: FileOutcome) -> None:
                outcomes.append(outcome)
                bar.update(1)
            segments = _run_workers(gen, items, min(procs, len(items)), on_file)
        else:
            # The same path as a worker's: a segment of its own, so that copies settled below
            # can be deleted from it before it goes live.
            own = storage.new_writer(ix, lock=False)
            for order, item in enumerate(items):
                outcomes.append(_index_file(own, order, item, worker=(-1, 0)))
                bar.update(1)
            segments[(-1, 0)] = storage.finished_segment(own, _finalize_segment)
        bar.close()   # every file is read; what follows is said as stages
        stage(STAGE_COMMIT)
        kept = _Settlement(items, outcomes, segments, writer, summary).settle(existing=not fresh)
        _commit(writer, [s for _, s in sorted(segments.items()) if s is not None])
    except BaseException:
        storage.discard(writer)
        raise
    finally:
        bar.close()
    for outcome in sorted(outcomes, key=lambda o: o.order):
        if outcome.reason:
            summary.skipped.append((outcome.path, outcome.reason))
    summary.reports = len(kept)
    summary.paragraphs = sum(o.count for o in kept)
    if note := _unread_note([o for o in kept if o.unread], len(kept)):
        summary.notes.append(note)


class _Settlement:
    """Which inputs become which reports, once every input is parsed and written.

    * Inputs with the same text (digest of the normalized body) are one report: the first (in path order) stays,
      with every input's path and URL among its sources.
    * Inputs with the same id (same body, title and year) but different texts: versions of one report when their
      texts are near-identical (5-character shingle Jaccard >= the reuse pass's 0.8): the newest (capture date, else
      modification time) stays, the others are listed as replaced. Texts further apart are different reports: each
      keeps its own id.
    * On an update the same rules hold against the reports already in the index.

    Paragraphs of inputs that do not stay are deleted from the segments they were written to; a report whose id or
    sources change is parsed again and written by the parent's writer.
    """

    def __init__(self, items: list[Item], outcomes: list[FileOutcome], segments: dict, writer: SegmentWriter,
                 summary: BuildSummary):
        self.items, self.segments, self.writer, self.summary = items, segments, writer, summary
        self.outcomes = sorted((o for o in outcomes if not o.reason), key=lambda o: o.order)
        self.sources: dict[int, list[dict]] = {}   # order -> sources, for reports whose sources grow
        self.new_ids: dict[int, str] = {}          # order -> doc_id, for reports given another id
        self._texts: dict[int, frozenset[str]] = {}
        self._merged: list[tuple[int, FileOutcome, FileOutcome]] = []   # (position in summary.merged, copy, report)

    def settle(self, existing: bool) -> list[FileOutcome]:
        kept = self._same_texts(self.outcomes)
        kept = self._same_ids(kept)
        if existing:
            kept = self._against_index(kept)
        for outcome in kept:
            if outcome.order in self.sources or outcome.order in self.new_ids:
                self._rewrite(outcome)
        self._name_merges()
        return kept

    def _name_merges(self) -> None:
        """Say which report each copy joined, by the id that report ended with (a later step may have given it
        another: kept apart, or joined to an indexed report)."""
        for position, outcome, primary in self._merged:
            final = self.new_ids.get(primary.order, primary.doc_id)
            self.summary.merged[position] = (outcome.path, f"same text as {primary.path}: one report ({final}) with "
                                                           f"both among its sources")

    # -- within the job
    def _same_texts(self, outcomes: list[FileOutcome]) -> list[FileOutcome]:
        first: dict[str, list[FileOutcome]] = {}
        kept = []
        for outcome in outcomes:
            same = first.setdefault(outcome.text_digest, [])
            primary = next((o for o in same if not different_places(o.place, outcome.place)), None)
            if primary is None:
                if same:
                    self.summary.separate.append((outcome.path, f"same text as {same[0].path} but the report of "
                                                                f"another place ({outcome.place}, not "
                                                                f"{same[0].place}): kept as its own report "
                                                                f"{outcome.doc_id}"))
                same.append(outcome)
                kept.append(outcome)
                continue
            self._drop(outcome)
            self._merged.append((len(self.summary.merged), outcome, primary))
            self.summary.merged.append((outcome.path, ""))   # named once the report's id is settled
            self.sources.setdefault(primary.order, [self._source(primary)]).append(self._source(outcome))
        return kept

    def _same_ids(self, outcomes: list[FileOutcome]) -> list[FileOutcome]:
        by_id: dict[str, list[FileOutcome]] = {}
        for outcome in outcomes:
            by_id.setdefault(outcome.doc_id, []).append(outcome)
        dropped: set[int] = set()
        for doc_id, same in by_id.items():
            if len(same) == 1:
                continue
            clusters: list[list[FileOutcome]] = []
            for outcome in same:
                home = next((c for c in clusters if self._similar(outcome, c[0])), None)
                if home is None:
                    clusters.append([outcome])
                else:
                    home.append(outcome)
            self._texts.clear()   # whole texts are held for one group at a time (a 1M-paragraph job has 33k)
            first_winner = None
            for number, cluster in enumerate(clusters):
                # A government site's version stays over a later copy elsewhere (a content farm's, with a line
                # added): its URL is what a citation should give, and the place it names is evidence.
                winner = max(cluster, key=lambda o: (host_of(self._source(o)["url"]) is not None, o.version, o.order))
                for outcome in cluster:
                    if outcome is not winner:
                        self._drop(outcome)
                        dropped.add(outcome.order)
                        if winner.version >= outcome.version:
                            what = f"an older version of report {doc_id}; {winner.path} (newer, text changed) stays"
                        else:
                            what = (f"a version of report {doc_id} from another site than the government's; "
                                    f"{winner.path} (the government site's, text changed) stays")
                        self.summary.replaced.append((outcome.path, what))
                if number == 0:
                    first_winner = winner
                else:
                    self._kept_apart(winner, doc_id, first_winner.path)
        return [o for o in outcomes if o.order not in dropped]

    # -- against the index being updated
    def _against_index(self, kept: list[FileOutcome]) -> list[FileOutcome]:
        """Settle each input against the live index; returns the inputs that stay."""
        dropped: set[int] = set()
        with self.writer.searcher() as searcher:
            by_path: dict[str, list[tuple[str, list[dict]]]] | None = None
            for outcome in kept:
                doc_id = self.new_ids.get(outcome.order, outcome.doc_id)
                same_text = _indexed_report(searcher, "text_digest", outcome.text_digest)
                if same_text is not None and not self._another_reporter(outcome, doc_id, same_text):
                    self._same_text_indexed(outcome, doc_id, same_text)
                    continue
                if same_text is not None:
                    self.summary.separate.append((outcome.path, f"same text as the indexed report "
                                                                f"{same_text['doc_id']} but the report of another place "
                                                                f"({outcome.place}, not {same_text['place']}): kept as "
                                                                f"its own report {doc_id}"))
                same_id = _indexed_report(searcher, "doc_id", doc_id)
                if same_id is None:
                    if by_path is None:
                        by_path = _reports_by_source_path(searcher)
                    self._same_file_indexed(outcome, doc_id, by_path)
                    continue
                old_sources = ", ".join(s["path"] for s in same_id["sources"])
                mine = self._source(outcome)
                same_place = any(s["path"] == mine["path"] or (mine["url"] and s.get("url") == mine["url"])
                                 for s in same_id["sources"])
                if not same_place and self._official_over(same_id, outcome) \
                        and self._near_identical_to(outcome, canonical(same_id["text"])):
                    # As within a job: the government site's version stays over another site's copy.
                    self._drop(outcome)
                    dropped.add(outcome.order)
                    self.summary.replaced.append((outcome.path, f"a version of the indexed report {doc_id} from "
                                                                f"another site than the government's ({old_sources}), "
                                                                f"which stays"))
                elif same_place or self._near_identical_to(outcome, canonical(same_id["text"])):
                    self.writer.delete_by_term("doc_id", doc_id)
                    self.summary.updated.append((outcome.path, f"replaces the indexed version of report {doc_id} "
                                                               f"(from {old_sources}): text changed"))
                else:
                    self._kept_apart(outcome, doc_id, f"the indexed report {doc_id} (from {old_sources})")
                    # Its own id holds its text: an edit of a file kept apart before gives a new one, and the
                    # report read from the file before must give way to it, as any changed file's does.
                    if by_path is None:
                        by_path = _reports_by_source_path(searcher)
                    self._same_file_indexed(outcome, self.new_ids[outcome.order], by_path)
        return [o for o in kept if o.order not in dropped]

    def _official_over(self, indexed: dict, outcome: FileOutcome) -> bool:
        """Whether the indexed report came from a government site and ``outcome`` does not."""
        return (any(host_of(s.get("url")) for s in indexed["sources"])
                and host_of(self._source(outcome)["url"]) is None)

    def _same_file_indexed(self, outcome: FileOutcome, doc_id: str,
                           by_path: dict[str, list[tuple[str, list[dict]]]]) -> None:
        """A file read before whose new text gives another id (an added line changed the place or the title read
        from it): its earlier report gives way, or, where other files are its sources too, stays for them, said."""
        path = self._source(outcome)["path"]
        for old_id, sources in by_path.get(path, []):
            if old_id == doc_id:
                continue
            if all(s["path"] == path for s in sources):
                self.writer.delete_by_term("doc_id", old_id)
                self.summary.updated.append((outcome.path, f"replaces report {old_id}, read from this file before: "
                                                           f"its text changed, and with it the id ({doc_id})"))
            else:
                others = ", ".join(s["path"] for s in sources if s["path"] != path)
                self.summary.notes.append(f"{outcome.path}: changed; report {old_id} read from it before is kept "
                                          f"for its other sources ({others})")

    @staticmethod
    def _another_reporter(outcome: FileOutcome, doc_id: str, indexed: dict) -> bool:
        """Whether the indexed report of the same text is another place's (see different_places)."""
        return indexed["doc_id"] != doc_id and different_places(indexed["place"], outcome.place)

    def _same_text_indexed(self, outcome: FileOutcome, doc_id: str, indexed: dict) -> None:
        """The index holds this text already: one report, keeping its indexed id and every source."""
        mine = self.sources.get(outcome.order, [self._source(outcome)])
        known = {s["path"] for s in indexed["sources"]}
        added = [s for s in mine if s["path"] not in known]
        self.writer.delete_by_term("doc_id", indexed["doc_id"])
        if indexed["doc_id"] != doc_id:
            self.new_ids[outcome.order] = indexed["doc_id"]
        mine_paths = {s["path"] for s in mine}
        union = [s for s in indexed["sources"] if s["path"] not in mine_paths] + mine
        if len(union) > len(mine):
            self.sources[outcome.order] = union
        if added:
            self.summary.merged.append((outcome.path, f"same text as the indexed report {indexed['doc_id']} "
                                                      f"(from {', '.join(sorted(known))}): now among its sources"))

    # -- helpers
    def _kept_apart(self, outcome: FileOutcome, doc_id: str, other: str) -> None:
        """``outcome`` shares ``doc_id`` (body, title and year) with ``other`` but not its text: an id of its own."""
        self.new_ids[outcome.order] = distinct_doc_id(doc_id, outcome.text_digest)
        self.summary.separate.append((outcome.path, f"same body, title and year as {other} but another text: "
                                                    f"kept as its own report {self.new_ids[outcome.order]}"))

    def _source(self, outcome: FileOutcome) -> dict:
        item = self.items[outcome.order]
        return {"path": item.label, "url": item.url, "fetched_at": item.fetched_at}

    def _shingles(self, outcome: FileOutcome) -> frozenset[str]:
        if outcome.order not in self._texts:
            self._texts[outcome.order] = shingles(_body(parse_item(self.items[outcome.order])))
        return self._texts[outcome.order]

    def _near_identical(self, outcome: FileOutcome, other_sketch, other_shingles) -> bool:
        """Whether the texts' Jaccard similarity reaches the threshold: their sketches decide, unless the
        estimate is too close to call; then the input is parsed again and the whole texts compared."""
        estimate = sketch_jaccard(outcome.sketch, other_sketch)
        if abs(estimate - SAME_TEXT_THRESHOLD) > SKETCH_MARGIN:
            return estimate >= SAME_TEXT_THRESHOLD
        return jaccard(self._shingles(outcome), other_shingles()) >= SAME_TEXT_THRESHOLD

    def _near_identical_to(self, outcome: FileOutcome, text: str) -> bool:
        return self._near_identical(outcome, text_sketch(text), lambda: shingles(text))

    def _similar(self, a: FileOutcome, b: FileOutcome) -> bool:
        """Versions of one report: one URL captured twice (a re-crawl), or near-identical texts."""
        url = self.items[a.order].url
        if url and url == self.items[b.order].url:
            return True
        return self._near_identical(a, b.sketch, lambda: self._shingles(b))

    def _drop(self, outcome: FileOutcome) -> None:
        segment = self.segments[outcome.worker]
        for docnum in range(outcome.first, outcome.first + outcome.count):
            segment.delete_document(docnum)

    def _rewrite(self, outcome: FileOutcome) -> None:
        """Write the report again with its settled id and sources (parsing is deterministic)."""
        report = parse_item(self.items[outcome.order])
        if outcome.order in self.new_ids:
            reidentify(report, self.new_ids[outcome.order])
        if outcome.order in self.sources:
            report.sources = self.sources[outcome.order]
            report.url = next((s["url"] for s in report.sources if s.get("url")), None)
        self._drop(outcome)
        for doc in paragraph_documents(report):
            self.writer.add_document(**doc)
        outcome.doc_id = report.doc_id


def _indexed_report(searcher, fieldname: str, value: str) -> dict | None:
    """The live report holding ``fieldname:value`` (its id, sources and text), or None."""
    docs = list(searcher.documents(**{fieldname: value}))
    if not docs:
        return None
    doc_id = docs[0]["doc_id"]
    docs = sorted((d for d in docs if d["doc_id"] == doc_id), key=lambda d: d.get("position", 0))
    sources = docs[0].get("sources") or [{"path": docs[0].get("source"), "url": docs[0].get("url"),
                                          "fetched_at": docs[0].get("fetched_at")}]
    return {"doc_id": doc_id, "sources": list(sources), "text": "".join(d.get("text", "") for d in docs),
            "place": place_of(docs[0])}


def _reports_by_source_path(searcher) -> dict[str, list[tuple[str, list[dict]]]]:
    """Every indexed report by the paths of its sources: (doc_id, sources) (one stored document read per report)."""
    found: dict[str, list[tuple[str, list[dict]]]] = {}
    for term in searcher.lexicon("doc_id"):
        doc_id = term.decode("utf-8") if isinstance(term, bytes) else term
        stored = searcher.document(doc_id=doc_id)
        if stored is None:
            continue   # a deleted report's term stays in the lexicon until a merge
        sources = stored.get("sources") or [{"path": stored.get("source")}]
        for source in sources:
            found.setdefault(source.get("path"), []).append((doc_id, list(sources)))
    return found


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
    notes: list[str] = field(default_factory=list)     # the text-reuse data, as after an update


def delete_reports(index_dir: Path | str, doc_ids: Iterable[str]) -> DeleteSummary:
    """Remove the reports ``doc_ids`` (all their paragraphs) from the index.

    One commit: the next search sees all of them gone, or, if this is killed, none. Raises :class:`IndexMissing` /
    :class:`IndexLocked` like a build.
    """
    started = time.perf_counter()
    summary = DeleteSummary()
    with _rewriting(Path(index_dir), optimize=False, notes=summary.notes) as writer:
        for doc_id in dict.fromkeys(doc_ids):
            removed = writer.delete_by_term("doc_id", doc_id)
            (summary.deleted if removed else summary.missing).append(doc_id)
            summary.paragraphs += removed
    summary.seconds = time.perf_counter() - started
    return summary


def optimize_index(index_dir: Path | str, notes: list[str] | None = None) -> int:
    """Merge every segment into one and drop deleted paragraphs; returns the paragraph count (``notes``: what became
    of the text-reuse data).

    Worth it after many updates (each adds a segment and leaves deleted paragraphs behind); it rewrites the whole index,
    about as long as indexing it single-process, and readers see the old index until it commits.
    """
    with _rewriting(Path(index_dir), optimize=True, notes=notes):
        pass  # the commit does it
    return open_index(index_dir).doc_count()


@contextmanager
def _rewriting(root: Path, optimize: bool, notes: list[str] | None = None) -> Iterator[SegmentWriter]:
    """A writer on a new generation of the live index, committed (``optimize``: its segments merged into
    one) and made live when the block succeeds. The text-reuse data goes with the paragraphs' numbers, which a
    commit changes: it is found again as after an update (too big: a note says to run ``reuse --build``); a
    delete or an optimize had left the new generation without it, silently."""
    with writer_lock(root):
        remove_leftovers(root)
        resolve_index_dir(root)  # IndexMissing before anything is written
        with _next_generation(root, fresh=False) as gen:
            writer = storage.new_writer(whoosh_index.open_dir(str(gen)))
            try:
                yield writer
                _commit(writer, [], optimize=optimize)
            except BaseException:
                storage.discard(writer)
                raise
            reused = BuildSummary()
            _reuse_pass(gen, fresh=False, wanted=None, summary=reused)
            if notes is not None:
                notes.extend(reused.notes)
