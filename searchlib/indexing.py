"""Reports -> a Whoosh index of paragraph documents on disk.

Layout of an index directory::

    index/
      current -> gen-20261124T101500-1234   (symlink, swapped atomically)
      gen-20261124T101500-1234/             (a complete Whoosh index)
      .lock                                 (held by the one writer)

A rebuild writes a new generation beside the old one and only then swaps the
``current`` link with an atomic rename, so a reader always sees a complete
index and a killed build leaves the previous one untouched. Adding files to an
existing index goes through Whoosh's own commit, which writes the new segment
first and its table of contents last (also atomic).
"""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from searchlib.analysis import BigramTokenizer, WordTokenizer
from searchlib.report import Report, parse_file
from searchlib.source import SUPPORTED_SUFFIXES, SourceError

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
            files.extend(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                         and not p.name.startswith("."))
        elif path.exists():
            files.append(path)
        else:
            problems.append((str(path), "no such file or folder"))
    return sorted(set(files)), problems


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


def _new_generation(root: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    gen = root / f"gen-{stamp}-{os.getpid()}"
    gen.mkdir(parents=True)
    return gen


def _swap_current(root: Path, gen: Path) -> None:
    tmp_link = root / f".{CURRENT}.{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(gen.name, tmp_link)
    os.replace(tmp_link, root / CURRENT)  # atomic on POSIX


def _remove_stale_generations(root: Path, keep: Path) -> None:
    for child in root.iterdir():
        if child.is_dir() and child.name.startswith("gen-") and child.resolve() != keep.resolve():
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(f".{CURRENT}.") and child.is_symlink():
            child.unlink(missing_ok=True)


ProgressFactory = Callable[[int], "Progress"]


class Progress:
    """Minimal progress protocol: ``update(n)`` and ``close()``."""

    def update(self, n: int = 1) -> None:  # pragma: no cover - trivial
        pass

    def close(self) -> None:  # pragma: no cover - trivial
        pass


def build_index(paths: Iterable[Path | str], index_dir: Path | str, rebuild: bool = False,
                progress: ProgressFactory | None = None) -> BuildSummary:
    """Parse the report files under ``paths`` and index their paragraphs.

    With ``rebuild`` (or when there is no index yet) a fresh index replaces the
    old one atomically; otherwise the reports are added, replacing any report
    with the same ``doc_id``. Unreadable files are listed in the summary.
    """
    started = time.perf_counter()
    root = Path(index_dir)
    files, missing = find_sources(paths)
    summary = BuildSummary(skipped=list(missing))
    with writer_lock(root):
        fresh = rebuild or not _has_index(root)
        if fresh:
            gen = _new_generation(root)
            ix = whoosh_index.create_in(str(gen), make_schema())
        else:
            gen = None
            ix = open_index(root)
        bar = progress(len(files)) if progress else Progress()
        writer = ix.writer(limitmb=256)
        try:
            seen_docs: set[str] = set()
            for path in files:
                try:
                    report = parse_file(path)
                except SourceError as exc:
                    summary.skipped.append((exc.path, exc.reason))
                    bar.update(1)
                    continue
                if report.doc_id in seen_docs:
                    summary.skipped.append((str(path), f"same report as another file (doc_id {report.doc_id})"))
                    bar.update(1)
                    continue
                seen_docs.add(report.doc_id)
                if not fresh:
                    writer.delete_by_term("doc_id", report.doc_id)
                count = 0
                for doc in paragraph_documents(report):
                    writer.add_document(**doc)
                    count += 1
                summary.reports += 1
                summary.paragraphs += count
                bar.update(1)
            writer.commit()
        except BaseException:
            writer.cancel()
            if gen is not None:
                shutil.rmtree(gen, ignore_errors=True)
            raise
        finally:
            bar.close()
        if gen is not None:
            _swap_current(root, gen)
            _remove_stale_generations(root, gen)
    summary.seconds = time.perf_counter() - started
    summary.index_dir = str(root)
    return summary


def _has_index(root: Path) -> bool:
    try:
        resolve_index_dir(root)
        return True
    except IndexMissing:
        return False
