"""Report-level relevance on the judged set, for searchlib and two stock baselines.

    .venv/bin/python bench/relevance.py [--judged tests/relevance/reports.jsonl] [-v] [--json OUT]

The judged set (``tests/relevance/reports.jsonl``) was written by reading the
reports, before any engine was run on its queries: each query with the reports
a researcher would want, graded 2 (about the topic) or 1 (mentions it). The
documents are the 66 pages of the dev set (``../shared/devset``, kept outside
the repository) and the five bundled seed reports.

Printed, per engine, the mean over queries of
- recall: the share of relevant reports the engine returns at all;
- nDCG@10: graded gain (2 or 1) of the first ten reports, against the ideal order;
- P@R: the share of relevant reports among the first R, R = the query's number of relevant reports.

Engines:
- ``searchlib`` the default search (reports, in tiers);
- ``searchlib-strict`` every word in one paragraph (``--strict``), reports by their best paragraph;
- ``bm25-or`` BM25 (k1 1.2, b 0.75) over rjieba's words of the whole report, any word;
- ``fts5-or`` SQLite FTS5 over the same words, any word, ranked by its bm25().
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import sys
import tempfile
from collections import Counter
from pathlib import Path

import rjieba

from searchlib.analysis import normalize
from searchlib.index.indexing import build_index
from searchlib.ingest.report import parse_file
from searchlib.query.search import Library, SearchRequest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
DEFAULT_JUDGED = REPO_ROOT / "tests" / "relevance" / "reports.jsonl"
DEVSET = SHARED / "devset" / "reports.jsonl"
SEEDS = REPO_ROOT / "data" / "corpus"


def load_judged(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_documents(folder: Path) -> dict[str, Path]:
    """The judged documents as files: dev set records as dNNN.txt, seeds as they are; key -> path."""
    paths: dict[str, Path] = {}
    for line in DEVSET.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            path = folder / f"{record['id']}.txt"
            path.write_text(record["text"], encoding="utf-8")
            paths[record["id"]] = path
    for seed in sorted(SEEDS.glob("*.txt")):
        path = folder / seed.name
        path.write_bytes(seed.read_bytes())
        paths[f"seed:{seed.name}"] = path
    return paths


# --- measures -----------------------------------------------------------------------

def ndcg_at(k: int, ranked: list[str], grades: dict[str, int]) -> float:
    gain = sum(grades.get(key, 0) / math.log2(i + 2) for i, key in enumerate(ranked[:k]))
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(grades.values(), reverse=True)[:k]))
    return gain / ideal if ideal else 0.0


def measure(ranked: list[str], grades: dict[str, int]) -> dict[str, float]:
    relevant = set(grades)
    r = len(relevant)
    return {"recall": len(relevant & set(ranked)) / r, "ndcg@10": ndcg_at(10, ranked, grades),
            "p@r": len(relevant & set(ranked[:r])) / r}


# --- engines -------------------------------------------------------------------------

def words(text: str) -> list[str]:
    return [w for w in rjieba.cut(normalize(text)) if w.strip() and re.search(r"\w", w)]


class Bm25Or:
    """BM25 over whole reports, any query word (what a researcher sets up in an afternoon)."""

    def __init__(self, texts: dict[str, str], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.tf = {key: Counter(words(text)) for key, text in texts.items()}
        self.length = {key: sum(c.values()) for key, c in self.tf.items()}
        self.avg = sum(self.length.values()) / len(self.length)
        self.df = Counter(w for c in self.tf.values() for w in c)

    def rank(self, query: str) -> list[str]:
        n = len(self.tf)
        scores: Counter = Counter()
        for w in set(words(query)):
            if not self.df[w]:
                continue
            idf = math.log(1 + (n - self.df[w] + 0.5) / (self.df[w] + 0.5))
            for key, tf in self.tf.items():
                f = tf.get(w, 0)
                if f:
                    scores[key] += idf * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * self.length[key] / self.avg))
        return [key for key, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]


class Fts5Or:
    def __init__(self, texts: dict[str, str]):
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE docs USING fts5(key UNINDEXED, body)")
        self.db.executemany("INSERT INTO docs VALUES (?, ?)", [(k, " ".join(words(t))) for k, t in texts.items()])

    def rank(self, query: str) -> list[str]:
        terms = [w.replace('"', '""') for w in dict.fromkeys(words(query))]
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        return [row[0] for row in self.db.execute("SELECT key FROM docs WHERE docs MATCH ? ORDER BY bm25(docs)",
                                                  (match,))]


class Searchlib:
    def __init__(self, index_dir: Path, keys_of_doc: dict[str, list[str]], strict: bool):
        self.library = Library(index_dir)
        self.keys_of_doc = keys_of_doc
        self.strict = strict

    def rank(self, query: str) -> list[str]:
        request = SearchRequest(q=query, limit=1000, group=True, mode="strict" if self.strict else "fuzzy")
        results = self.library.search(request)
        return [key for g in results.groups or [] for key in self.keys_of_doc[g.doc_id]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judged", type=Path, default=DEFAULT_JUDGED)
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per query and engine")
    parser.add_argument("--json", type=Path, help="write the per-query table here")
    parser.add_argument("--engines", default="searchlib,searchlib-strict,bm25-or,fts5-or")
    args = parser.parse_args(argv)
    if not DEVSET.exists():
        print(f"dev set not found at {DEVSET}", file=sys.stderr)
        return 2
    judged = load_judged(args.judged)
    with tempfile.TemporaryDirectory() as tmp:
        docs, index_dir = Path(tmp) / "docs", Path(tmp) / "index"
        docs.mkdir()
        paths = write_documents(docs)
        build_index([docs], index_dir, rebuild=True, reuse=False, procs=1)
        # Files the index took for one report (a mirror) all stand where that report ranks.
        keys_of_doc: dict[str, list[str]] = {}
        for key, p in paths.items():
            keys_of_doc.setdefault(parse_file(p).doc_id, []).append(key)
        texts = {key: p.read_text(encoding="utf-8") for key, p in paths.items()}
        engines = {}
        for name in args.engines.split(","):
            engines[name] = {"searchlib": lambda: Searchlib(index_dir, keys_of_doc, strict=False),
                             "searchlib-strict": lambda: Searchlib(index_dir, keys_of_doc, strict=True),
                             "bm25-or": lambda: Bm25Or(texts), "fts5-or": lambda: Fts5Or(texts)}[name]()
        table = {name: [] for name in engines}
        for item in judged:
            grades = {k: int(g) for k, g in item["relevant"].items() if int(g) > 0}
            for name, engine in engines.items():
                ranked = engine.rank(item["query"])
                row = {"query": item["query"], "kind": item.get("kind"), **measure(ranked, grades),
                       "returned": len(ranked), "missed": sorted(set(grades) - set(ranked))}
                table[name].append(row)
                if args.verbose:
                    print(f"{name:17} {row['recall']:.2f} {row['ndcg@10']:.2f} {row['p@r']:.2f} "
                          f"{len(ranked):3d}  {item['query']}  missed {row['missed']}")
    print(f"{len(judged)} queries, {sum(len(i['relevant']) for i in judged)} judgments")
    print(f"{'engine':17} {'recall':>7} {'nDCG@10':>8} {'P@R':>6}")
    for name, rows in table.items():
        mean = {m: sum(r[m] for r in rows) / len(rows) for m in ("recall", "ndcg@10", "p@r")}
        print(f"{name:17} {mean['recall']:7.3f} {mean['ndcg@10']:8.3f} {mean['p@r']:6.3f}")
    if args.json:
        args.json.write_text(json.dumps(table, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
