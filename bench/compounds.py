"""Queries with long compounds (six characters or more: also found as their parts, close together), timed.

    .venv/bin/python bench/compounds.py --index /tmp/searchlib-bench/searchlib-100000-seed6

Prints, per query and mode (fuzzy: reports in tiers; strict: the first tier), the strict paragraph count and the
milliseconds of the first run and the median of three more. These queries read paragraph texts (the parts of a
compound must stand close), which the classes of bench/run.py seldom do.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchlib.query.search import Library, SearchRequest  # noqa: E402

QUERIES = ("法治政府建设", "重大行政决策", "法治政府建设示范", "行政规范性文件", "行政执法三项制度", "公平竞争审查",
           "法治政府建设实施纲要", "政府信息公开", "综合行政执法", "法治宣传教育", "负责人出庭应诉", "执法全过程记录",
           "法治政府建设 /s 落实", "重大行政决策 /s 程序", "行政规范性文件 备案")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index built by bench/run.py")
    parser.add_argument("--runs", type=int, default=4, help="runs per query (the first is reported apart)")
    args = parser.parse_args(argv)
    library = Library(args.index)
    print(f"{'mode':6} {'query':24} {'strict':>9} {'first ms':>9} {'median ms':>10}")
    for mode in ("fuzzy", "strict"):
        for q in QUERIES:
            times = []
            for _ in range(max(2, args.runs)):
                started = time.perf_counter()
                results = library.search(SearchRequest(q=q, group=True, limit=10, mode=mode))
                times.append((time.perf_counter() - started) * 1000)
            print(f"{mode:6} {q:24} {results.total:9} {times[0]:9.1f} {statistics.median(times[1:]):10.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
