"""Indexing and query benchmark: searchlib against two baselines on one corpus.

    python bench/run.py                         # smoke run, 3,000 paragraphs
    python bench/run.py --paragraphs 100000     # the issue's size
    python bench/run.py --paragraphs 100000 --skip-baselines
    python bench/run.py --paragraphs 100000 --baselines none --no-tiers   # paragraphs only

Steps, all printed as one table at the end:

1. A synthetic corpus of N paragraphs (``bench/make_corpus.py``, cached under
   ``--work``; the same seed gives the same files).
2. searchlib: ``python -m searchlib index --rebuild`` in a subprocess, timed,
   with the peak memory of its process tree (parent + workers, sampled every
   0.1 s) and the index size on disk.
3. Baselines, built from the same parsed paragraphs (their times exclude the
   parsing, which searchlib's include): stock ``jieba.analyse.ChineseAnalyzer``
   + Whoosh, and SQLite FTS5 over jieba tokens.
4. Seven query classes, ``--queries`` queries each (default 50), drawn from the
   index's own vocabulary with a fixed seed, run warm: searchlib through
   ``Library.search(SearchRequest(q=..., limit=10))`` exactly as the UI asks
   (total, facet counts, top-10 hits with highlighted snippets); Whoosh with
   ``groupedby`` year/province facets and the default highlighter; FTS5 with
   year/province ``GROUP BY`` counts and ``snippet()`` for the top 10.

5. Unless ``--no-tiers``: the same classes plus three-word queries as the web page's default
   answer, reports in tiers (``group=True``: ten reports, facets, best paragraphs highlighted).

Where a baseline has no equivalent it gets the nearest thing and the table says
so: an exact string is a phrase of jieba words for both baselines (not a
substring match), and same-sentence is a plain AND. A phrase of jieba words
finds nothing when the string starts or ends inside a word, so exact strings
are also timed on a third system, FTS5 with its ``trigram`` tokenizer over the
normalized paragraphs, which finds them (built from the FTS5 baseline's table).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import psutil

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from make_corpus import make_corpus  # noqa: E402

from searchlib.analysis import normalize, words  # noqa: E402
from searchlib.index.indexing import find_sources, paragraph_documents, resolve_index_dir  # noqa: E402
from searchlib.ingest.report import parse_file  # noqa: E402
from searchlib.query.search import Library, SearchRequest  # noqa: E402

CLASSES = ("rare term", "common term", "two terms", "exact string", "same sentence",
           "term + year", "term + province")
BASELINE_FACETS = ("report_year", "province")
PUNCT = set("，。、；：？！“”（）《》,.;:?!()\"'<>[]【】—-·…%％ \n")


# --- measuring ------------------------------------------------------------------

class PeakMemory:
    """Peak resident memory of a process and its children, sampled in a thread.

    ``peak`` is the resident set (RSS) as ``ps`` shows it. It counts the pages
    of memory-mapped index files a process has touched; the kernel drops those
    under pressure and they are shared with the page cache. ``peak_private``
    leaves them out (RSS minus file-backed and shared pages: the heap the
    process really holds)."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.peak_private = 0
        self.last = 0  # the latest sample
        self.last_private = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                proc = psutil.Process(self.pid)
                total = private = 0
                for member in [proc] + proc.children(recursive=True):
                    try:
                        info = member.memory_info()
                    except psutil.Error:
                        continue
                    total += info.rss
                    private += info.rss - getattr(info, "shared", 0)
                self.peak = max(self.peak, total)
                self.peak_private = max(self.peak_private, private)
                self.last, self.last_private = total, private
            except psutil.Error:
                pass
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class BaselineBuild:
    """Times a baseline's build in this process and samples how much its memory grows."""

    def __enter__(self) -> "BaselineBuild":
        self._before = psutil.Process().memory_info().rss
        self._memory = PeakMemory(os.getpid()).__enter__()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._started
        self._memory.__exit__(*exc)

    def stats(self, paragraphs: int, size: int, note: str = "peak = growth of the bench process") -> "BuildStats":
        return BuildStats(self.seconds, paragraphs, size, self._memory.peak - self._before, note=note)


@dataclass
class BuildStats:
    seconds: float
    paragraphs: int
    size: int
    peak_rss: int | None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.paragraphs / self.seconds if self.seconds else 0.0


@dataclass
class Timings:
    ms: list[float] = field(default_factory=list)
    found: list[int] = field(default_factory=list)  # paragraphs each query found
    note: str = ""

    def pct(self, q: float) -> float:
        data = sorted(self.ms)
        if not data:
            return float("nan")
        k = min(len(data) - 1, max(0, round(q * (len(data) - 1))))
        return data[k]

    @property
    def p50(self) -> float:
        return statistics.median(self.ms) if self.ms else float("nan")

    @property
    def p95(self) -> float:
        return self.pct(0.95)

    @property
    def max(self) -> float:
        return max(self.ms) if self.ms else float("nan")


def time_queries(run: Callable[[dict], object], queries: list[dict], warmup: int = 3,
                 label: str = "") -> Timings:
    for q in queries[:warmup]:
        run(q)
    timings = Timings()
    for q in queries:
        started = time.perf_counter()
        result = run(q)
        timings.ms.append((time.perf_counter() - started) * 1000)
        timings.found.append(paragraphs_found(result))
    if label:  # partial results survive a run cut short
        print(f"  {label}: p50 {timings.p50:.1f} / p95 {timings.p95:.1f} / max {timings.max:.1f} ms", flush=True)
    return timings


# --- corpus and queries -------------------------------------------------------

def paragraphs_found(result) -> int:
    """How many paragraphs a runner's answer matched: searchlib's Results, or a baseline's (total, …)."""
    return result.total if hasattr(result, "total") else int(result[0])


def corpus_for(work: Path, paragraphs: int, seed: int) -> Path:
    target = work / f"corpus-{paragraphs}-seed{seed}"
    marker = target / ".complete"
    if not marker.exists():
        shutil.rmtree(target, ignore_errors=True)
        started = time.perf_counter()
        files = make_corpus(target, paragraphs, seed)
        marker.write_text(str(len(files)))
        print(f"corpus: wrote {len(files)} reports to {target} in {time.perf_counter() - started:.0f} s",
              flush=True)
    return target


def _parse_one(path: str) -> list[dict]:
    return list(paragraph_documents(parse_file(path)))


def parsed_paragraphs(corpus: Path) -> tuple[list[dict], float]:
    """Every paragraph document of the corpus (parsed on all cores), and the seconds it took."""
    files, _ = find_sources([corpus])
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool() as pool:
        docs = [d for chunk in pool.imap(_parse_one, [str(f) for f in files], chunksize=16) for d in chunk]
    return docs, time.perf_counter() - started


def indexed_paragraphs(index_dir: Path) -> tuple[list[dict], None]:
    """The paragraph documents as the searchlib index stored them (the fields the baselines and the
    query generator read): the same parse, without parsing every file a second time (17 min at 1M)."""
    library = Library(index_dir)
    try:
        reader = library.searcher().reader()
        docs = [{"pid": d["pid"], "text": d["text"], "report_year": d.get("report_year"),
                 "province": d.get("province")} for _, d in reader.iter_docs()]
    finally:
        library.close()
    return docs, None


def make_queries(index_dir: Path, docs: list[dict], n: int, seed: int) -> dict[str, list[dict]]:
    """``n`` queries of each class, from the index's own vocabulary and texts."""
    rng = random.Random(seed)
    library = Library(index_dir)
    reader = library.searcher().reader()
    total = reader.doc_count()
    df = {}
    for term in reader.lexicon("text"):
        word = term.decode("utf-8") if isinstance(term, bytes) else term
        if len(word) >= 2 and not any(c.isdigit() for c in word) and word.isalpha():
            df[word] = reader.doc_frequency("text", word)
    library.close()
    rare = [w for w, f in df.items() if 2 <= f <= max(10, total // 1000)]
    common = [w for w, f in df.items() if total * 0.05 <= f <= total * 0.4]
    middle = [w for w, f in df.items() if total * 0.005 <= f <= total * 0.2]
    provinces = sorted({d["province"] for d in docs if d.get("province")})
    years = sorted({d["report_year"] for d in docs if d.get("report_year")})

    def pick(pool: list[str]) -> str:
        return rng.choice(sorted(pool))

    def exact() -> str:
        while True:
            text = normalize(rng.choice(docs)["text"])
            size = rng.randint(4, 6)
            start = rng.randint(0, max(0, len(text) - size))
            piece = text[start:start + size]
            if len(piece) == size and not (set(piece) & PUNCT) and not any(c.isdigit() for c in piece):
                return piece

    def same_sentence() -> tuple[str, str]:
        while True:
            text = normalize(rng.choice(docs)["text"])
            sentence = rng.choice([s for s in text.replace("；", "。").split("。") if s] or [text])
            ws = [w for w in dict.fromkeys(words(sentence)) if w in df and df[w] >= 2 and len(w) >= 2]
            if len(ws) >= 2:
                a, b = rng.sample(ws, 2)
                return a, b

    queries: dict[str, list[dict]] = {c: [] for c in CLASSES}
    for _ in range(n):
        queries["rare term"].append({"terms": [pick(rare or middle)]})
        queries["common term"].append({"terms": [pick(common)]})
        queries["two terms"].append({"terms": rng.sample(sorted(middle), 2)})
        queries["exact string"].append({"exact": exact()})
        queries["same sentence"].append({"sentence": same_sentence()})
        queries["term + year"].append({"terms": [pick(common)], "year": rng.choice(years)})
        queries["term + province"].append({"terms": [pick(common)], "province": rng.choice(provinces)})
    return queries


def three_word_queries(queries: dict[str, list[dict]], count: int, seed: int) -> list[dict]:
    """Three-word queries drawn (with ``seed``) from the words of the two-term class."""
    rng = random.Random(seed)
    middle = sorted({t for q in queries.get("two terms", []) for t in q["terms"]})
    return [{"terms": rng.sample(middle, 3)} for _ in range(count)] if len(middle) >= 3 else []


def query_string(q: dict) -> str:
    if "exact" in q:
        return f'"{q["exact"]}"'
    if "sentence" in q:
        a, b = q["sentence"]
        return f"{a} /s {b}"
    return " ".join(q["terms"])


# --- searchlib ------------------------------------------------------------------

def build_searchlib(corpus: Path, index_dir: Path, procs: int | None) -> BuildStats:
    shutil.rmtree(index_dir, ignore_errors=True)
    cmd = [sys.executable, "-m", "searchlib", "index", "--rebuild", "--quiet", "--index", str(index_dir),
           str(corpus)]
    env = dict(os.environ)
    if procs:
        env["SEARCHLIB_INDEX_PROCS"] = str(procs)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    with PeakMemory(proc.pid) as memory:
        out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"searchlib index failed ({proc.returncode}):\n{err}")
    library = Library(index_dir)
    paragraphs = library.searcher().doc_count()
    library.close()
    return BuildStats(seconds, paragraphs, dir_size(resolve_index_dir(index_dir)), memory.peak,
                      note=out.strip().splitlines()[-1] if out.strip() else "")


def search_request(q: dict) -> SearchRequest:
    """A benchmark query as the UI asks for it: top 10, with its year or province filter."""
    request = SearchRequest(q=query_string(q), limit=10)
    if "year" in q:
        request.year = str(q["year"])
    if "province" in q:
        request.province = q["province"]
    return request


def searchlib_runner(index_dir: Path, tiers: bool = False) -> Callable[[dict], object]:
    """Paragraphs (strict), or with ``tiers`` the default page: reports in tiers, each with its best
    paragraphs highlighted."""
    library = Library(index_dir)

    def run(q: dict):
        request = search_request(q)
        request.group = tiers
        results = library.search(request)
        assert results.facets is not None and all(h.snippet for h in results.hits)
        return results
    return run


# --- baseline: stock jieba + Whoosh ------------------------------------------------

def build_whoosh_baseline(docs: list[dict], index_dir: Path) -> BuildStats:
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    schema = Schema(pid=ID(stored=True, unique=True), text=TEXT(analyzer=ChineseAnalyzer(), stored=True),
                    title=STORED(), report_year=NUMERIC(int, stored=True), province=ID(stored=True))
    ix = whoosh_index.create_in(str(index_dir), schema)
    with BaselineBuild() as build:
        writer = ix.writer()
        for d in docs:
            writer.add_document(pid=d["pid"], text=d["text"], title=d.get("title"),
                                report_year=d.get("report_year"), province=d.get("province"))
        writer.commit()
    return build.stats(len(docs), dir_size(index_dir))


def whoosh_runner(index_dir: Path) -> Callable[[dict], object]:
    import jieba
    from whoosh import index as whoosh_index
    from whoosh import query as wq

    searcher = whoosh_index.open_dir(str(index_dir)).searcher()

    def tokens(text: str) -> list[str]:
        return [t for t in jieba.cut(text) if t.strip()]

    def run(q: dict):
        # Each typed word goes through the baseline's own segmenter, as its
        # query parser would: a word jieba splits becomes an AND of its parts.
        if "exact" in q:
            toks = tokens(q["exact"])
            query = wq.Phrase("text", toks) if len(toks) > 1 else wq.Term("text", toks[0])
        else:
            typed = q["sentence"] if "sentence" in q else q["terms"]
            query = wq.And([wq.Term("text", t) for w in typed for t in tokens(w)])
        filt = None
        if "year" in q:
            filt = wq.NumericRange("report_year", q["year"], q["year"])
        if "province" in q:
            filt = wq.Term("province", q["province"])
        results = searcher.search(query, limit=10, filter=filt, groupedby=list(BASELINE_FACETS))
        facets = {name: results.groups(name) for name in BASELINE_FACETS}
        snippets = [hit.highlights("text") for hit in results]
        return len(results), facets, snippets
    return run


# --- baseline: SQLite FTS5 over jieba tokens ------------------------------------------

def build_fts5_baseline(docs: list[dict], db_path: Path) -> BuildStats:
    import jieba

    db_path.unlink(missing_ok=True)
    with BaselineBuild() as build:
        con = sqlite3.connect(db_path)
        con.execute("CREATE VIRTUAL TABLE p USING fts5(words)")
        con.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, pid TEXT, report_year INT, province TEXT, text TEXT)")
        with con:
            for i, d in enumerate(docs, 1):
                toks = " ".join(t for t in jieba.cut(d["text"]) if t.strip())
                con.execute("INSERT INTO p(rowid, words) VALUES (?, ?)", (i, toks))
                con.execute("INSERT INTO m VALUES (?, ?, ?, ?, ?)",
                            (i, d["pid"], d.get("report_year"), d.get("province"), d["text"]))
        con.execute("CREATE INDEX m_year ON m(report_year)")
        con.execute("CREATE INDEX m_province ON m(province)")
        con.commit()
        con.close()
    return build.stats(len(docs), db_path.stat().st_size)


def fts5_runner(db_path: Path) -> Callable[[dict], object]:
    import jieba

    con = sqlite3.connect(db_path, check_same_thread=False)

    def quoted(words_: list[str]) -> str:
        return " ".join('"' + w.replace('"', '""') + '"' for w in words_)

    def run(q: dict):
        if "exact" in q:
            toks = [t for t in jieba.cut(q["exact"]) if t.strip()]
            match = '"' + " ".join(t.replace('"', '""') for t in toks) + '"'
        else:
            typed = q["sentence"] if "sentence" in q else q["terms"]
            match = quoted([t for w in typed for t in jieba.cut(w) if t.strip()])
        where, params = "p MATCH ?", [match]
        if "year" in q:
            where += " AND m.report_year = ?"
            params.append(q["year"])
        if "province" in q:
            where += " AND m.province = ?"
            params.append(q["province"])
        return fts5_answer(con, "p", where, params)
    return run


def fts5_answer(con: sqlite3.Connection, table: str, where: str, params: list) -> tuple:
    """What the UI asks, from an FTS5 ``table`` joined to the paragraphs' ``m``: the total, the
    year and province counts, and the ten best paragraphs with ``snippet()``."""
    base = f"FROM {table} JOIN m ON m.id = {table}.rowid WHERE {where}"
    total = con.execute(f"SELECT count(*) {base}", params).fetchone()[0]
    facets = {name: con.execute(f"SELECT m.{name}, count(*) {base} GROUP BY 1 ORDER BY 2 DESC",
                                params).fetchall() for name in BASELINE_FACETS}
    hits = con.execute(f"SELECT m.pid, snippet({table}, 0, '<mark>', '</mark>', '…', 24) {base} "
                       f"ORDER BY {table}.rank LIMIT 10", params).fetchall()
    return total, facets, hits


# --- baseline: FTS5's own substring index, for exact strings -----------------------------

def build_fts5_trigram(source_db: Path, db_path: Path) -> BuildStats:
    """FTS5 with its trigram tokenizer over the normalized paragraphs of the jieba baseline's table.

    FTS5 over jieba tokens cannot find a string that starts or ends inside a jieba word (most
    exact strings here): this is the FTS5 that can, so the exact-string class can also be set
    against an FTS5 that gives the same answers."""
    db_path.unlink(missing_ok=True)
    with BaselineBuild() as build:
        con = sqlite3.connect(db_path)
        con.create_function("normalize", 1, normalize, deterministic=True)
        con.execute("ATTACH DATABASE ? AS j", (str(source_db),))
        con.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize='trigram')")
        con.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, pid TEXT, report_year INT, province TEXT)")
        with con:
            con.execute("INSERT INTO t(rowid, text) SELECT id, normalize(text) FROM j.m")
            con.execute("INSERT INTO m SELECT id, pid, report_year, province FROM j.m")
        con.execute("DETACH DATABASE j")
        con.close()
    count = sqlite3.connect(db_path).execute("SELECT count(*) FROM m").fetchone()[0]
    return build.stats(count, db_path.stat().st_size,
                       note="built from the jieba baseline's paragraphs, normalized as searchlib does")


def fts5_trigram_runner(db_path: Path) -> Callable[[dict], object]:
    con = sqlite3.connect(db_path, check_same_thread=False)

    def run(q: dict):
        return fts5_answer(con, "t", "t MATCH ?", ['"' + q["exact"].replace('"', '""') + '"'])
    return run


# --- report ---------------------------------------------------------------------

def human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def machine() -> str:
    mem = psutil.virtual_memory().total / 2**30
    return (f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
            f"{mem:.0f} GB · Python {platform.python_version()} · load average "
            + " ".join(f"{x:.2f}" for x in os.getloadavg()))


def print_table(n_queries: int, builds: dict[str, BuildStats], times: dict[str, dict[str, Timings]],
                parse_seconds: float | None) -> None:
    systems = list(builds)
    print()
    print(f"{'indexing':<18}" + "".join(f"{s:>30}" for s in systems))
    rows = [("time (s)", lambda b: f"{b.seconds:.1f}"), ("paragraphs/s", lambda b: f"{b.rate:.0f}"),
            ("paragraphs", lambda b: f"{b.paragraphs}"), ("size on disk", lambda b: human_bytes(b.size)),
            ("peak memory", lambda b: human_bytes(b.peak_rss))]
    for label, fmt in rows:
        print(f"{label:<18}" + "".join(f"{fmt(builds[s]):>30}" for s in systems))
    parsing = (f"parsing them took {parse_seconds:.0f} s on all cores" if parse_seconds is not None
               else "read back from the searchlib index's stored fields")
    print(f"(searchlib's time includes parsing the files; the baselines index pre-parsed paragraphs — {parsing})")
    print()
    print(f"queries, warm, {n_queries} per class, ms: p50 / p95 / max")
    print(f"{'class':<18}" + "".join(f"{s:>30}" for s in systems) +
          "".join(f"{'ours/' + s.split('+')[0] + ' p50,p95':>27}" for s in systems[1:]))
    classes = [cls for cls in CLASSES if cls in times[systems[0]]]
    for cls in classes:
        line = f"{cls:<18}"
        for s in systems:
            t = times[s].get(cls)
            line += f"{(f'{t.p50:.1f} / {t.p95:.1f} / {t.max:.1f}' if t else '-'):>30}"
        ours = times[systems[0]][cls]
        for s in systems[1:]:
            t = times[s].get(cls)
            line += f"{(f'{ours.p50 / t.p50:.2f}, {ours.p95 / t.p95:.2f}' if t else '-'):>27}"
        print(line)
    print("(baselines: exact string = phrase of jieba words; same sentence = AND of the two words; "
          f"facets = {', '.join(BASELINE_FACETS)}; searchlib computes all its UI facets)")
    print()
    # A fast answer that finds nothing is not the same answer: say how much each one found.
    print("paragraphs found per query: median (mean), and how many queries found none")
    print(f"{'class':<18}" + "".join(f"{s:>30}" for s in systems))
    for cls in classes:
        line = f"{cls:<18}"
        for s in systems:
            t = times[s].get(cls)
            cell = (f"{statistics.median(t.found):.0f} ({statistics.mean(t.found):.0f}), "
                    f"{sum(1 for n in t.found if not n)} none") if t and t.found else "-"
            line += f"{cell:>30}"
        print(line)
    for s in systems[1:]:
        print()
        print(f"only the queries both searchlib and {s} found paragraphs for (left), and those both found "
              f"the same number of paragraphs for (right, the like-for-like answers): how many, then ms "
              f"p50 / p95 of searchlib, then of {s}")
        for cls in classes:
            ours, theirs = times[systems[0]][cls], times[s].get(cls)
            if not theirs:
                continue
            pairs = list(zip(ours.found, theirs.found))
            line = f"{cls:<18}"
            for chosen in ([i for i, (a, b) in enumerate(pairs) if a and b],
                           [i for i, (a, b) in enumerate(pairs) if a and a == b]):
                line += f"{len(chosen):>6}" + "".join(
                    f"{f'{t.p50:.1f} / {t.p95:.1f}':>17}" for t in (Timings([ours.ms[i] for i in chosen]),
                                                                  Timings([theirs.ms[i] for i in chosen])))
            print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paragraphs", type=int, default=3000, help="corpus size (default 3000: a smoke run)")
    parser.add_argument("--queries", type=int, default=50, help="queries per class (default 50)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--work", type=Path, default=Path("/tmp/searchlib-bench"),
                        help="where the corpus and the indexes go (default /tmp/searchlib-bench)")
    parser.add_argument("--procs", type=int, default=None, help="searchlib index worker processes")
    parser.add_argument("--skip-baselines", action="store_true", help="same as --baselines none")
    parser.add_argument("--baselines", choices=("both", "fts5", "none"), default="both",
                        help="which baselines to build and query (default both; stock Whoosh takes hours at 1M)")
    parser.add_argument("--docs-from-index", action="store_true",
                        help="take the baselines' paragraphs from searchlib's stored fields instead of "
                             "parsing the corpus again")
    parser.add_argument("--reuse-baselines", action="store_true",
                        help="reuse baseline indexes from an earlier run of the same corpus")
    parser.add_argument("--keep-index", action="store_true",
                        help="reuse searchlib's index (and its build figures) from an earlier run of this corpus")
    parser.add_argument("--classes", default=",".join(CLASSES),
                        help="comma-separated query classes to time (default all: " + ", ".join(CLASSES) + ")")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-tiers", action="store_true",
                        help="skip timing the default page (reports in tiers; on by default)")
    args = parser.parse_args(argv)

    print(machine(), flush=True)
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = corpus_for(args.work, args.paragraphs, args.seed)
    tag = f"{args.paragraphs}-seed{args.seed}"

    builds: dict[str, BuildStats] = {}
    times: dict[str, dict[str, Timings]] = {}
    ours_dir = args.work / f"searchlib-{tag}"
    print("indexing with searchlib …", flush=True)
    build_file = args.work / f"searchlib-{tag}.build.json"
    if args.keep_index and build_file.exists() and ours_dir.exists():
        builds["searchlib"] = BuildStats(**json.loads(build_file.read_text()))
        print(f"  kept the index of {build_file.name}", flush=True)
    else:
        build_file.unlink(missing_ok=True)
        builds["searchlib"] = build_searchlib(corpus, ours_dir, args.procs)
        build_file.write_text(json.dumps(vars(builds["searchlib"])))
    print(f"  {builds['searchlib'].note}", flush=True)

    docs, parse_seconds = indexed_paragraphs(ours_dir) if args.docs_from_index else parsed_paragraphs(corpus)
    queries = make_queries(ours_dir, docs, args.queries, args.seed)
    wanted = [c.strip() for c in args.classes.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in CLASSES]
    if unknown:
        parser.error(f"unknown query class(es) {', '.join(unknown)}: choose from {', '.join(CLASSES)}")
    queries = {c: qs for c, qs in queries.items() if c in wanted}

    print("querying searchlib …", flush=True)
    s_run = searchlib_runner(ours_dir)
    times["searchlib"] = {c: time_queries(s_run, qs, label=f"searchlib {c}") for c, qs in queries.items()}

    baselines = "none" if args.skip_baselines else args.baselines
    if baselines != "none":
        whoosh_dir = args.work / f"whoosh-jieba-{tag}"
        db = args.work / f"fts5-jieba-{tag}.sqlite"
        stats_file = args.work / f"baselines-{tag}.json"
        cached = json.loads(stats_file.read_text()) if args.reuse_baselines and stats_file.exists() else {}
        if baselines == "both":
            print("indexing the Whoosh + jieba baseline …", flush=True)
            builds["whoosh+jieba"] = (BuildStats(**cached["whoosh+jieba"]) if "whoosh+jieba" in cached
                                      else build_whoosh_baseline(docs, whoosh_dir))
        print("indexing the FTS5 + jieba baseline …", flush=True)
        builds["fts5+jieba"] = (BuildStats(**cached["fts5+jieba"]) if "fts5+jieba" in cached
                                else build_fts5_baseline(docs, db))
        stats_file.write_text(json.dumps({k: vars(v) for k, v in builds.items() if k != "searchlib"}))
        print("querying the baselines …", flush=True)
        if baselines == "both":
            w_run = whoosh_runner(whoosh_dir)
            times["whoosh+jieba"] = {c: time_queries(w_run, qs, label=f"whoosh+jieba {c}")
                                     for c, qs in queries.items()}
        f_run = fts5_runner(db)
        times["fts5+jieba"] = {c: time_queries(f_run, qs, label=f"fts5+jieba {c}") for c, qs in queries.items()}
        if "exact string" in queries:
            trigram_db = args.work / f"fts5-trigram-{tag}.sqlite"
            print("indexing the FTS5 trigram baseline (exact strings only) …", flush=True)
            builds["fts5 trigram"] = (BuildStats(**cached["fts5 trigram"])
                                      if "fts5 trigram" in cached and trigram_db.exists()
                                      else build_fts5_trigram(db, trigram_db))
            stats_file.write_text(json.dumps({k: vars(v) for k, v in builds.items() if k != "searchlib"}))
            t_run = fts5_trigram_runner(trigram_db)
            times["fts5 trigram"] = {"exact string": time_queries(t_run, queries["exact string"],
                                                                  label="fts5 trigram exact string")}

    print_table(args.queries, builds, times, parse_seconds)
    tier_times: dict[str, Timings] = {}
    if not args.no_tiers:
        # The web page's default answer: the same queries, and three-word ones, as reports in tiers.
        tier_queries = {**queries, "three terms": three_word_queries(queries, args.queries, args.seed)}
        print("querying searchlib, reports in tiers (the default page) …", flush=True)
        t_run = searchlib_runner(ours_dir, tiers=True)
        tier_times = {c: time_queries(t_run, qs, label=f"searchlib tiers {c}") for c, qs in tier_queries.items()}
        print()
        print(f"searchlib, reports in tiers (10 reports, facets, best paragraphs highlighted), ms: p50 / p95 / max")
        for cls, t in tier_times.items():
            print(f"{cls:<18}{f'{t.p50:.1f} / {t.p95:.1f} / {t.max:.1f}':>30}")
    if args.json:
        args.json.write_text(json.dumps({
            "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), "paragraphs": args.paragraphs,
            "builds": {k: vars(v) for k, v in builds.items()},
            "queries": {s: {c: {"p50": t.p50, "p95": t.p95, "max": t.max, "found_median": statistics.median(t.found),
                                "found_none": sum(1 for n in t.found if not n), "ms": t.ms, "found": t.found}
                    for c, t in cls.items()}
                        for s, cls in times.items()},
            "tiers": {c: {"p50": t.p50, "p95": t.p95, "max": t.max, "ms": t.ms} for c, t in tier_times.items()},
        }, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
