"""One Library shared by many threads, as the web server's request threads share it.

Each request reads one generation of the index; an index job's swap must not
close a generation a request still reads, and threads must not disturb each
other's reads of the same segment files. Real threads over a real index on disk,
bounded in count (8 threads, a few dozen requests each).
"""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from searchlib.index.indexing import build_index, delete_reports
from searchlib.query.search import Library, SearchRequest
from tests.conftest import EXTRA_CORPUS, SEEDS

THREADS = 8

# The requests that failed under concurrency (issue 20): sorted by year (Whoosh's sorting path),
# grouped by report (all matches ranked through Whoosh), a one-character exact string, and the
# stored fields of the hits shown.
MIX = [
    SearchRequest(q="法律顾问", sort="newest"),
    SearchRequest(q="法律顾问", group=True),
    SearchRequest(q='"法"', limit=20),
    SearchRequest(q="行政复议", sort="oldest", group=True),
    SearchRequest(q="行政 复议", limit=20),
    SearchRequest(q="法治政府 /s 建设", sort="newest"),
]


def hammer(library: Library, rounds: int, stop: threading.Event | None = None) -> list[str]:
    """Run the mix from THREADS threads at once; every exception raised, by name and message."""
    errors: list[str] = []
    start = threading.Barrier(THREADS)

    def client(k: int) -> None:
        start.wait()
        for i in range(rounds):
            if stop is not None and stop.is_set() and i >= rounds // 2:
                break
            request = MIX[(i + k) % len(MIX)]
            try:
                with library.pinned():  # one request, one generation: as the web app holds it
                    results = library.search(request)
                    for hit in results.hits[:5]:
                        assert library.paragraph(hit.pid) is not None, f"{hit.pid} vanished mid-request"
                        library.report(hit.doc_id)
            except Exception as exc:  # noqa: BLE001 - the test reports every failure
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client, args=(k,)) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client thread hung"
    return errors


def test_threads_sharing_one_library_get_the_answers_one_thread_gets(index_dir):
    alone = Library(index_dir)
    expected = {i: [(h.pid, h.score) for h in alone.search(r).hits] for i, r in enumerate(MIX)}
    alone.close()

    shared = Library(index_dir)
    try:
        errors = hammer(shared, rounds=24)
        assert errors == []
        answers = {i: [(h.pid, h.score) for h in shared.search(r).hits] for i, r in enumerate(MIX)}
        assert answers == expected
    finally:
        shared.close()


@pytest.fixture
def own_index(tmp_path, corpus_dir) -> Path:
    """An index of its own (the test writes to it), without the report added later."""
    files = sorted(p for p in Path(corpus_dir).iterdir() if p.name != "zhuji_2022.txt")
    build_index(files, tmp_path / "index", rebuild=True, reuse=False, procs=1)
    return tmp_path / "index"


def test_an_update_and_a_delete_swapped_in_mid_request_fail_no_reader(own_index):
    library = Library(own_index)
    try:
        before = library.search(SearchRequest(q="诸暨")).total
        errors: list[str] = []
        writer_done = threading.Event()

        def writer() -> None:
            try:
                build_index([EXTRA_CORPUS / "zhuji_2022.txt"], own_index, reuse=False, procs=1)
                gone = library.search(SearchRequest(q="行政复议", limit=1)).hits[0].doc_id
                delete_reports(own_index, [gone])
            except Exception as exc:  # noqa: BLE001
                errors.append(f"writer: {type(exc).__name__}: {exc}")
            finally:
                writer_done.set()

        thread = threading.Thread(target=writer)
        thread.start()
        errors += hammer(library, rounds=60, stop=writer_done)
        thread.join(timeout=120)
        assert writer_done.is_set() and errors == []
        # After the swaps the library answers from the new generation, and the old ones are closed.
        assert library.search(SearchRequest(q="诸暨")).total > before
        assert [g for g in library._generations if g.retired] == []
    finally:
        library.close()


def test_a_pinned_generation_stays_open_and_whole_across_a_swap(own_index):
    library = Library(own_index)
    try:
        with library.pinned() as searcher:
            before = library.search(SearchRequest(q="诸暨")).total
            build_index([EXTRA_CORPUS / "zhuji_2022.txt"], own_index, reuse=False, procs=1)
            # Another thread sees the new generation at once ...
            seen: list[int] = []
            other = threading.Thread(target=lambda: seen.append(library.search(SearchRequest(q="诸暨")).total))
            other.start()
            other.join(timeout=60)
            assert seen and seen[0] > before
            # ... while this one still reads the generation it holds, open and unchanged.
            assert library.searcher() is searcher
            assert library.search(SearchRequest(q="诸暨")).total == before
            hits = library.search(SearchRequest(q="法律顾问", sort="newest")).hits
            assert hits and all(library.paragraph(h.pid) for h in hits)
        # Let go of: it is closed, and this thread moves on to the new generation.
        assert library.search(SearchRequest(q="诸暨")).total == seen[0]
        assert all(not g.retired for g in library._generations)
    finally:
        library.close()
