"""rjieba vs jieba on the bundled reports: start-up, throughput, agreement.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/compare_segmenters.py

Prints the numbers behind the choice of rjieba (the README's "Choices" table).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
REPEAT = 40


def best_of(runs: int, fn, items) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    started = time.perf_counter()
    import rjieba
    rjieba.cut("预热")
    rjieba_start = time.perf_counter() - started
    started = time.perf_counter()
    import jieba
    jieba.setLogLevel(logging.ERROR)
    jieba.initialize()
    jieba_start = time.perf_counter() - started

    lines = [l for p in sorted(CORPUS.glob("*.txt")) for l in p.read_text(encoding="utf-8").splitlines()
             if len(l.strip()) > 20]
    paragraphs = lines * REPEAT
    chars = sum(map(len, paragraphs))
    t_rjieba = best_of(3, lambda p: rjieba.cut(p, True), paragraphs)
    t_jieba = best_of(3, lambda p: jieba.lcut(p, HMM=True), paragraphs)
    identical = sum(rjieba.cut(p, True) == jieba.lcut(p, HMM=True) for p in lines)
    print(f"{len(paragraphs)} paragraphs, {chars} characters (the seeds x {REPEAT})")
    print(f"start-up:   rjieba {rjieba_start:.2f} s   jieba {jieba_start:.2f} s")
    print(f"throughput: rjieba {chars / t_rjieba / 1e6:.2f} M chars/s   jieba {chars / t_jieba / 1e6:.2f} M chars/s"
          f"   ({t_jieba / t_rjieba:.0f}x)")
    print(f"paragraphs segmented identically: {identical} of {len(lines)}")


if __name__ == "__main__":
    main()
