"""Updating a big index: add, replace and delete one report, each seen by the next query.

    python bench/incremental.py --index /tmp/searchlib-bench/searchlib-100000-seed6 [--rounds 5]

Works on a copy of ``--index`` (hard links: no data is copied) so the benchmark
index stays as it was. For each round it times, with an already open
``Library`` as the web UI holds one:

- add:     ``build_index([new report])``, a report not in the index;
- replace: ``build_index([same report, one paragraph edited])`` (same doc_id);
- delete:  ``delete_reports([doc_id])``;

and after each, the first query through the open Library (which reopens the
index) and checks that it sees the change. Prints p50 and max per operation.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from make_corpus import make_corpus  # noqa: E402

from searchlib.index.indexing import build_index, delete_reports, open_index  # noqa: E402
from searchlib.ingest.report import parse_file  # noqa: E402
from searchlib.query.search import Library, SearchRequest  # noqa: E402


def link_copy(src: Path, dst: Path) -> None:
    """A copy of an index folder made of hard links (Whoosh never rewrites a file)."""
    shutil.copytree(src, dst, symlinks=True, copy_function=os.link)


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="a built index (left untouched)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="searchlib-incremental-"))
    try:
        index = work / "index"
        link_copy(args.index, index)
        reports = make_corpus(work / "new", paragraphs=30 * args.rounds, seed=99, report_size=(30, 30))
        library = Library(index)
        library.search(SearchRequest(q="行政复议"))  # warm, as a running server is
        print(f"index: {open_index(index).doc_count()} paragraphs, "
              f"{len(open_index(index)._segments())} segments", flush=True)
        times: dict[str, list[float]] = {k: [] for k in ("add", "add: next query", "replace",
                                                          "replace: next query", "delete", "delete: next query")}
        for path in reports[:args.rounds]:
            report = parse_file(path)
            marker = f"标记{abs(hash(report.doc_id)) % 10**6:06d}号"

            ms, summary = timed(lambda: build_index([path], index))
            times["add"].append(ms)
            ms, results = timed(lambda: library.report(report.doc_id))
            assert len(results) == summary.paragraphs, "the added report is not visible"
            times["add: next query"].append(ms)

            edited = work / "edited" / path.name
            edited.parent.mkdir(exist_ok=True)
            text = path.read_text(encoding="utf-8")
            first = text.split("\n\n")[1]  # the opening paragraph
            edited.write_text(text.replace(first, first + marker, 1), encoding="utf-8")
            ms, _ = timed(lambda: build_index([edited], index))
            times["replace"].append(ms)
            ms, results = timed(lambda: library.search(SearchRequest(q=f'"{marker}"')))
            assert results.total == 1, "the replaced paragraph is not visible exactly once"
            assert len(library.report(report.doc_id)) == summary.paragraphs
            times["replace: next query"].append(ms)

            ms, deleted = timed(lambda: delete_reports(index, [report.doc_id]))
            assert deleted.deleted == [report.doc_id]
            times["delete"].append(ms)
            ms, results = timed(lambda: library.search(SearchRequest(q=f'"{marker}"')))
            assert results.total == 0 and not library.report(report.doc_id), "the deleted report is still found"
            times["delete: next query"].append(ms)
        print(f"index: {open_index(index).doc_count()} paragraphs, "
              f"{len(open_index(index)._segments())} segments after {args.rounds} rounds")
        print(f"\n{'operation (ms)':<22}{'p50':>10}{'max':>10}")
        for name, values in times.items():
            print(f"{name:<22}{statistics.median(values):>10.0f}{max(values):>10.0f}")
        library.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
