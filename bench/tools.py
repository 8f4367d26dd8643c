"""Answer times of the research tools of issue 22, and the index-time cost of indicator extraction.

    python bench/tools.py --index /tmp/searchlib-bench/searchlib-100000-seed6
    python bench/tools.py --index DIR --queries 30 --json out.json

Every view is asked through the real app (Flask test client, the HTML page unless said
otherwise), warm: each distinct request runs once after the view's first request, which pays for
the per-index caches (the indicator table, the token table of collocates / frequency / keyness)
and is reported apart as "first". Queries are drawn from the index's own vocabulary with a fixed
seed: words of 2-4 characters in 50-5,000 paragraphs (diffusion, collocates), and paragraphs of
the index (similar passages, pasted with one character changed).

Index time: the indicator pass's own seconds as the build recorded them (``indicators.sqlite``'s
meta), and ``extract()`` alone timed over every paragraph text of the index.
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from run import machine  # noqa: E402

from searchlib.research import indicators  # noqa: E402
from searchlib.index.indexing import resolve_index_dir  # noqa: E402
from searchlib.query.search import Library  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def vocabulary(library: Library, n: int, seed: int, min_df: int = 50) -> list[str]:
    """Words of 2-4 characters found in ``min_df`` to 5,000 paragraphs, drawn with a fixed seed."""
    from searchlib.analysis import is_word

    reader = library.searcher().reader()
    pool = []
    for fieldname, text in reader.all_terms():
        if fieldname != "text":
            continue
        word = text.decode("utf-8") if isinstance(text, bytes) else text
        if 2 <= len(word) <= 4 and is_word(word) and not any(c.isdigit() for c in word):
            df = reader.doc_frequency("text", word)
            if min_df <= df <= 5000:
                pool.append(word)
    rng = random.Random(seed)
    return rng.sample(pool, min(n, len(pool)))


def paragraphs(library: Library, n: int, seed: int) -> list[str]:
    searcher = library.searcher()
    rng = random.Random(seed)
    texts = library.texts(searcher)
    out = []
    size = searcher.reader().doc_count_all()
    while len(out) < n:
        text = texts.get(rng.randrange(size))
        if len(text) >= 60:
            i = rng.randrange(len(text))
            out.append(text[:i] + "某" + text[i + 1:])     # a lightly edited copy
    return out


def requests(library: Library, n: int, seed: int, min_df: int) -> dict[str, list[str]]:
    words = vocabulary(library, n, seed, min_df)
    years = ["2019", "2020", "2021", "2022", "2023"]
    provinces = ["四川", "浙江", "江苏", "广东", "山东", "河南", "湖北", "安徽"]
    keys = list(indicators.by_key())
    rng = random.Random(seed)
    out: dict[str, list[str]] = {
        "indicators": ["/indicators"] + [f"/indicators?{urlencode({'indicator': k})}" for k in keys]
        + [f"/indicators?{urlencode({'year': rng.choice(years), 'province': rng.choice(provinces)})}"
           for _ in range(n // 2)]
        + [f"/indicators?{urlencode({'indicator': 'appearance_rate', 'view': 'table'})}"],
        "indicators.csv": ["/indicators.csv", "/indicators.csv?indicator=appearance_rate&view=table"],
        "compliance": ["/compliance", "/compliance?deadline=03-31"]
        + [f"/compliance?{urlencode({'year': rng.choice(years)})}" for _ in range(n // 3)]
        + [f"/compliance?{urlencode({'q': w})}" for w in words[: n // 2]],
        "diffusion": [f"/diffusion?{urlencode({'q': w})}" for w in words],
        "collocates": [f"/collocates?{urlencode({'q': w})}" for w in words],
        "frequency": ["/frequency", "/frequency?min_chars=2"]
        + [f"/frequency?{urlencode({'year': y})}" for y in years]
        + [f"/frequency?{urlencode({'q': w})}" for w in words[: n // 2]],
        "keyness": [f"/keyness?{urlencode({'year': a, 'ref_year': b})}" for a in years for b in years if a != b][:n]
        + ["/keyness?section=problems&ref_section=achievements", "/keyness?section=problems"],
        "similar": [f"/similar?{urlencode({'text': t})}" for t in paragraphs(library, n, seed)],
    }
    return out


def time_view(client, urls: list[str]) -> dict:
    first_url, rest = urls[0], urls[1:] or urls
    started = time.perf_counter()
    response = client.get(first_url)
    first = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (first_url, response.status_code, response.get_data(as_text=True)[:300])
    times = []
    for url in rest:
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    return {"first_ms": round(first, 1), "n": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(pct(times, 0.95), 1), "max_ms": round(max(times), 1)}


def indicator_cost(index: Path, library: Library) -> dict:
    live = resolve_index_dir(index)
    con = sqlite3.connect(live / indicators.FILE_NAME)
    meta = dict(con.execute("SELECT key, value FROM meta"))
    con.close()
    searcher = library.searcher()
    reader = searcher.reader()
    texts = [stored.get("text", "") for _, stored in reader.iter_docs()]
    started = time.perf_counter()
    facts = sum(len(indicators.extract(t)) for t in texts)
    seconds = time.perf_counter() - started
    return {"paragraphs": len(texts), "facts": facts, "extract_seconds": round(seconds, 2),
            "extract_us_per_paragraph": round(seconds / max(1, len(texts)) * 1e6, 1),
            "pass_seconds_at_build": float(meta.get("seconds", "nan")), "pass_facts": int(meta.get("facts", 0)),
            "pass_paragraphs_read": int(meta.get("paragraphs_read", 0))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="an index built by `searchlib index`")
    parser.add_argument("--queries", type=int, default=30, help="requests per view (default 30)")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--min-df", type=int, default=50, help="least paragraphs a drawn word is in (default 50)")
    parser.add_argument("--views", default="indicators,indicators.csv,compliance,diffusion,collocates,frequency,"
                                           "keyness,similar")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    from webui import create_app

    library = Library(args.index)
    paragraphs_count = library.searcher().doc_count()
    print(f"index: {args.index} ({paragraphs_count} paragraphs); {machine()}", flush=True)
    cost = indicator_cost(args.index, library)
    print(f"indicator extraction: {cost}", flush=True)
    urls = requests(library, args.queries, args.seed, args.min_df)
    library.close()
    app = create_app({"INDEX_DIR": str(args.index), "TESTING": True})
    client = app.test_client()
    figures = {"paragraphs": paragraphs_count, "indicator_cost": cost, "views": {}}
    print(f"\n| view | first (ms) | n | p50 (ms) | p95 (ms) | max (ms) |\n| --- | --- | --- | --- | --- | --- |")
    for view in args.views.split(","):
        result = time_view(client, urls[view])
        figures["views"][view] = result
        print(f"| {view} | {result['first_ms']} | {result['n']} | {result['p50_ms']} | {result['p95_ms']} | "
              f"{result['max_ms']} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
