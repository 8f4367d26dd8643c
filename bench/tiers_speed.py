"""Answer times of the default search (reports in tiers), as the web page asks for it.

    .venv/bin/python bench/tiers_speed.py --paragraphs 100000 [--queries 50] [--index DIR]

Builds (or reuses, under --work) the synthetic corpus and index of ``bench/run.py``,
draws its query classes from the index's own vocabulary with the same seed, adds
three-word queries, and times each as ``SearchRequest(q, group=True, limit=20)``
(tiers, facets, the page's 20 reports each with up to two highlighted paragraphs),
then the same query strict by paragraphs (``group=False``) for comparison.
Prints p50 / p95 / max per class; warm, second of two passes.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (corpus_for, build_searchlib, indexed_paragraphs, make_queries,  # noqa: E402
                 query_string, three_word_queries)

from searchlib.query.search import Library, SearchRequest  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paragraphs", type=int, default=3000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--work", type=Path, default=Path("/tmp/searchlib-bench"))
    parser.add_argument("--index", type=Path, help="an index to use as it is (no corpus, no build)")
    args = parser.parse_args(argv)
    index_dir = args.index or args.work / f"index-{args.paragraphs}-seed{args.seed}"
    if args.index is None and not (index_dir / "current").exists():
        corpus = corpus_for(args.work, args.paragraphs, args.seed)
        stats = build_searchlib(corpus, index_dir, None)
        print(f"built {stats.paragraphs} paragraphs in {stats.seconds:.0f} s", flush=True)
    docs, _ = indexed_paragraphs(index_dir)
    classes = make_queries(index_dir, docs, args.queries, args.seed)
    classes["three terms"] = three_word_queries(classes, args.queries, args.seed)
    library = Library(index_dir)
    print(f"{library.stats()['paragraphs']} paragraphs; {args.queries} queries a class; ms, warm (second pass)")
    print(f"{'class':16} {'tiers p50':>9} {'p95':>7} {'max':>7}   {'strict p50':>10} {'p95':>7}")
    for name, queries in classes.items():
        rows = {}
        for label, kw in (("tiers", {"group": True, "limit": 20}), ("strict", {"limit": 20})):
            times = []
            for attempt in range(2):
                times = []
                for q in queries:
                    request = SearchRequest(q=query_string(q), **kw)
                    if "year" in q:
                        request.year = str(q["year"])
                    if "province" in q:
                        request.province = q["province"]
                    started = time.perf_counter()
                    library.search(request)
                    times.append((time.perf_counter() - started) * 1000)
            rows[label] = times
        t, s = rows["tiers"], rows["strict"]
        print(f"{name:16} {percentile(t, 50):9.1f} {percentile(t, 95):7.1f} {max(t):7.1f}   "
              f"{percentile(s, 50):10.1f} {percentile(s, 95):7.1f}", flush=True)
    library.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
