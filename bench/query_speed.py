"""Query speed of an existing index, per query class (the classes of ``bench/run.py``).

    python bench/query_speed.py --index /tmp/i100k --corpus /tmp/c100k

Unlike ``bench/run.py`` this neither rebuilds the index nor runs the
baselines: it times ``Library.search`` warm, ``--queries`` per class, and
prints p50 / p95 / max in ms. The queries are drawn as ``bench/run.py`` draws
them (same seed, same code) and cached beside the index, so runs compare.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from run import (CLASSES, indexed_paragraphs, machine, make_queries, parsed_paragraphs,  # noqa: E402
                 search_request, time_queries)

from searchlib.query.search import Library  # noqa: E402


def queries_for(index: Path, corpus: Path | None, n: int, seed: int) -> dict[str, list[dict]]:
    cache = index.parent / f"{index.name}.queries-{n}-seed{seed}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    docs, _ = parsed_paragraphs(corpus) if corpus else indexed_paragraphs(index)
    queries = make_queries(index, docs, n, seed)
    cache.write_text(json.dumps(queries, ensure_ascii=False))
    return queries


def runner(library: Library):
    def run(q: dict):
        return library.search(search_request(q))
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path,
                        help="the corpus the index was built from (default: the paragraphs the index stored)")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=1, help="time every class this many times, keep each")
    args = parser.parse_args(argv)

    print(machine(), flush=True)
    queries = queries_for(args.index, args.corpus, args.queries, args.seed)
    started = time.perf_counter()
    library = Library(args.index)
    run = runner(library)
    run({"terms": ["法治"]})
    print(f"open + first query: {(time.perf_counter() - started) * 1000:.0f} ms "
          f"({library.searcher().doc_count()} paragraphs)")
    print(f"{'class':<18}{'p50':>10}{'p95':>10}{'max':>10}")
    for cls in CLASSES:
        for _ in range(args.repeat):
            t = time_queries(run, queries[cls])
            print(f"{cls:<18}{t.p50:>10.1f}{t.p95:>10.1f}{t.max:>10.1f}", flush=True)
    library.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
