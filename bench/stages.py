"""Where a search's time goes, per query class: the medians of ``Results.stages_ms``.

    python bench/stages.py --index /tmp/searchlib-bench/searchlib-100000-seed6
    python bench/stages.py --index … --classes "rare term" --fts5 /tmp/searchlib-bench/fts5-jieba-100000-seed6.sqlite

Each distinct query of a class (drawn as ``bench/run.py`` draws them, for
``--seeds`` seeds) runs once, in one process, after a few warm-up queries of
its own: the way the bench sees them, where a query's words are new to the
process's caches but the index files are in the page cache. The table gives
the median of each stage ("match": parse and find the paragraphs; "facets";
"rank"; "hits": records and highlighted snippets), of the whole search, and of
the whole minus "match": what the same answer costs however fast the matching
were. With ``--fts5`` the same queries run on ``bench/run.py``'s FTS5 baseline
for comparison (its whole answer: total, two facets, ten ``snippet()`` hits).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from query_speed import queries_for  # noqa: E402
from run import CLASSES, fts5_runner, machine, search_request  # noqa: E402

from searchlib.query.search import STAGES, Library  # noqa: E402

WARMUP = ("法治", "行政复议 出庭应诉", '"依法行政"')


def distinct_queries(index: Path, cls: str, seeds: int) -> list[dict]:
    found: dict[str, dict] = {}
    for seed in range(1, seeds + 1):
        for q in queries_for(index, None, 50, seed)[cls]:
            found.setdefault(json.dumps(q, sort_keys=True, ensure_ascii=False), q)
    return list(found.values())


def median_ms(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="an index bench/run.py built (--keep-index)")
    parser.add_argument("--classes", default=",".join(CLASSES), help="comma-separated query classes")
    parser.add_argument("--seeds", type=int, default=4, help="query draws per class (50 queries each)")
    parser.add_argument("--fts5", type=Path, help="bench/run.py's fts5-jieba-*.sqlite for the same corpus")
    args = parser.parse_args(argv)
    classes = [c.strip() for c in args.classes.split(",") if c.strip()]
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        parser.error(f"unknown class {unknown[0]!r}; known: {', '.join(CLASSES)}")

    print(machine(), flush=True)
    library = Library(args.index)
    for q in WARMUP:
        library.search(search_request({"terms": [q]}))
    fts5 = fts5_runner(args.fts5) if args.fts5 else None
    header = f"{'class':<16}{'n':>5}{'total':>9}" + "".join(f"{s:>9}" for s in STAGES) + f"{'-match':>9}"
    print(f"{library.searcher().doc_count()} paragraphs; medians in ms, each query once")
    print(header + (f"{'fts5':>9}" if fts5 else ""))
    for cls in classes:
        queries = distinct_queries(args.index, cls, args.seeds)
        totals, rest, stages = [], [], {s: [] for s in STAGES}
        for q in queries:
            results = library.search(search_request(q))
            totals.append(results.took_ms)
            rest.append(results.took_ms - results.stages_ms["match"])
            for name in STAGES:
                stages[name].append(results.stages_ms[name])
        line = f"{cls:<16}{len(queries):>5}{median_ms(totals):>9.3f}" + \
            "".join(f"{median_ms(stages[s]):>9.3f}" for s in STAGES) + f"{median_ms(rest):>9.3f}"
        if fts5:
            fts5(queries[0])
            timed = []
            for q in queries:
                started = time.perf_counter()
                fts5(q)
                timed.append((time.perf_counter() - started) * 1000)
            line += f"{median_ms(timed):>9.3f}"
        print(line, flush=True)
    library.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
