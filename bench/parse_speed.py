"""Pages parsed per second: the seed reports replicated to 5,000 files.

    .venv/bin/python bench/parse_speed.py [--pages 5000]

Parses every file with :func:`searchlib.ingest.report.parse_file` in one process, the
way ``searchlib parse <folder>`` does, and prints pages/s. The gazetteer is
built once before timing starts, as it is once per run.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from searchlib.config import CORPUS_DIR
from searchlib.ingest.places import gazetteer
from searchlib.ingest.report import parse_file


def replicate(seeds: list[Path], folder: Path, pages: int) -> list[Path]:
    paths = []
    for n in range(pages):
        seed = seeds[n % len(seeds)]
        target = folder / f"{n:05d}_{seed.name}"
        shutil.copyfile(seed, target)
        paths.append(target)
    return paths


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    args = parser.parse_args(argv)
    seeds = sorted(CORPUS_DIR.glob("*.txt"))
    if not seeds:
        print(f"no seed reports in {CORPUS_DIR}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    gazetteer()
    print(f"gazetteer built in {time.perf_counter() - started:.2f}s")
    with tempfile.TemporaryDirectory() as tmp:
        paths = replicate(seeds, Path(tmp), args.pages)
        started = time.perf_counter()
        paragraphs = 0
        for path in paths:
            paragraphs += sum(1 for _ in parse_file(path).paragraphs())
        elapsed = time.perf_counter() - started
    print(f"{len(paths)} pages ({paragraphs} paragraphs) in {elapsed:.1f}s: {len(paths) / elapsed:.0f} pages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
