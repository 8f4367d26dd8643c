"""What the research tools keep beside each index generation, written by every index job (build,
update, delete, optimize) before the generation goes live: the indicator facts
(:mod:`searchlib.research.indicators`) and each segment's word ids (:mod:`searchlib.research.wordstats`).

Neither may fail the job: the index is whole without them, and the tools say what to run (or,
for word ids, read the texts themselves) when they are missing.
"""
from __future__ import annotations

import sys
from pathlib import Path


def pass_for_generation(gen_dir: Path | str) -> None:
    from searchlib.research import indicators, wordstats
    indicators.pass_for_generation(gen_dir)
    try:
        wordstats.pass_for_generation(gen_dir)
    except Exception as exc:  # noqa: BLE001 - collocates and keyness then read the texts themselves
        print(f"searchlib: word ids not written ({type(exc).__name__}: {exc}); collocates, frequency and "
              "keyness will read the texts on first use", file=sys.stderr)
