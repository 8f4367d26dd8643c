"""The web server under concurrent clients, through an index update and its swap.

    python bench/load.py --index /tmp/searchlib-20k --clients 8 --seconds 60

Starts ``python -m searchlib serve`` (gunicorn by default; ``--server waitress``)
on 127.0.0.1 only, warms it up, then runs ``--clients`` client threads for
``--seconds`` (at most 600 s and ``--max-requests`` requests in all). Each client
asks, one request after another, a mix drawn with a fixed seed from MIX: searches
of every query class (rare and common words, several words, exact strings
including a one-character one, 同句, filters, newest-first, report groups, a deep
page), paragraph pages, concordances and whole-result CSV exports.

At a third of the run an index update starts (``searchlib index`` of one report
of the corpus again, with one paragraph changed: a new generation swapped in while
the clients keep asking); at two thirds (or once the update is done) the report is
deleted and added back (two more swaps).

It prints requests/s, p50/p95/p99 per kind of request and for all searches,
the error count (5xx and failed connections; 4xx refusals are counted apart),
and the server's resident memory (master and workers together) at the start,
the middle and the end of the run.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import free_port, get  # noqa: E402

MAX_SECONDS = 600
MAX_CLIENTS = 64

# (kind, weight, URLs to pick from). Searches are most of what researchers do.
SEARCHES = {
    "rare word": ["/api/search?q=出庭应诉率", "/api/search?q=复议委员会", "/search?q=合法性审查"],
    "common word": ["/api/search?q=法治", "/search?q=建设", "/api/search?q=政府"],
    "two words": ["/api/search?q=法律顾问+培训", "/search?q=行政执法+监督", "/api/search?q=依法行政+法治"],
    "exact string": ['/api/search?q="依法行政能力"', '/search?q="法律服务"', '/api/search?q="府建设"'],
    "one character": ['/api/search?q="法"', '/api/search?q="的"', '/search?q="法"'],
    "same sentence": ["/api/search?q=法治+/s+建设", "/search?q=完善+/s+重大行政决策"],
    "filters": ["/api/search?q=法律顾问&year=2021", "/search?q=执法&province=广东", "/api/search?q=复议&level=county"],
    "newest first": ["/api/search?q=法律顾问&sort=newest", "/search?q=行政复议&sort=oldest",
                     '/api/search?q="法"&sort=newest'],
    "report groups": ["/api/search?q=法律顾问&group=report", "/search?q=行政复议&group=report&sort=newest",
                      '/api/search?q="法"&group=report'],
    "deep page": ["/search?q=法治&page=40", "/api/search?q=建设&page=90", '/api/search?q="法"&page=100'],
}
OTHERS = {
    "paragraph page": [],  # filled with pids from a search at start
    "concordance": ["/kwic?q=出庭应诉率", "/api/kwic?q=法律顾问&year=2021"],
    "export": ["/export.csv?q=法律顾问", '/export.csv?q="法"', "/export.json?q=行政复议&sort=newest"],
}
WEIGHTS = {**{kind: 8 for kind in SEARCHES}, "paragraph page": 10, "concordance": 3, "export": 2}


def quoted(path: str) -> str:
    return urllib.parse.quote(path, safe="/?=&+:")


def server_rss(pid: int) -> int:
    """Resident memory of the process and all its descendants (gunicorn's master and workers), bytes."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                total += next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo.extend(int(c) for c in children.read().split())
        except (OSError, StopIteration):
            continue
    return total


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else float("nan")


def edited_copy(source: Path, target_dir: Path) -> Path:
    """The report with one paragraph changed: indexing it replaces the report (same title and date)."""
    text = source.read_text(encoding="utf-8")
    lines = text.splitlines()
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    lines[longest] += "（本段于负载测试中修订。）"
    target = target_dir / source.name
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="an index folder (the run updates it)")
    parser.add_argument("--corpus", type=Path, help="the corpus the index was built from (for the update; "
                                                    "default: the reports of data/corpus)")
    parser.add_argument("--clients", type=int, default=8, help=f"concurrent clients (at most {MAX_CLIENTS})")
    parser.add_argument("--seconds", type=float, default=60, help=f"length of the run (at most {MAX_SECONDS})")
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop after this many requests")
    parser.add_argument("--server", choices=("gunicorn", "waitress"), default="gunicorn")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: one per core)")
    parser.add_argument("--no-update", action="store_true", help="leave the index alone")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    clients = max(1, min(args.clients, MAX_CLIENTS))
    seconds = max(1.0, min(args.seconds, MAX_SECONDS))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "searchlib", "serve", "--index", str(args.index), "--host", "127.0.0.1",
               "--port", str(port), "--server", args.server]
    if args.workers:
        command += ["--workers", str(args.workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    scratch = Path(os.environ.get("TMPDIR", "/tmp")) / f"searchlib-load-{os.getpid()}"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(base + "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start: " + server.stderr.read().decode()[-2000:])
            time.sleep(0.1)
        status, body = get(base + quoted("/api/search?q=法治&limit=50"))
        hits = json.loads(body)["hits"]
        OTHERS["paragraph page"] = [f"/p/{h['pid']}" for h in hits] + [f"/api/p/{h['pid']}" for h in hits[:10]]
        pools = {**SEARCHES, **OTHERS}
        # Warm every worker up on every kind (first answers build per-process caches).
        for _ in range(3):
            for urls in pools.values():
                get(base + quoted(urls[0]))

        kinds = list(pools)
        weights = [WEIGHTS[k] for k in kinds]
        timings: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        refused: dict[str, int] = defaultdict(int)
        count = [0]
        lock = threading.Lock()
        stop = threading.Event()
        rss = {"start": server_rss(server.pid)}
        start_load = " ".join(f"{x:.1f}" for x in os.getloadavg())  # other work on the machine shows here
        started = time.monotonic()

        def client(number: int) -> None:
            rng = random.Random(args.seed * 1000 + number)
            while not stop.is_set():
                kind = rng.choices(kinds, weights)[0]
                url = base + quoted(rng.choice(pools[kind]))
                began = time.perf_counter()
                try:
                    status, _ = get(url, timeout=60)
                except OSError as exc:
                    status, failure = 0, f"{type(exc).__name__}: {exc}"
                else:
                    failure = f"HTTP {status}" if status >= 500 else None
                took = (time.perf_counter() - began) * 1000
                with lock:
                    count[0] += 1
                    if failure:
                        errors.append(f"{kind} {url[len(base):]} -> {failure}")
                    elif status >= 400:
                        refused[kind] += 1
                    else:
                        timings[kind].append(took)
                    if count[0] >= args.max_requests:
                        stop.set()

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
        for thread in threads:
            thread.start()

        update_log: list[str] = []
        corpus = args.corpus or Path(__file__).resolve().parent.parent / "data" / "corpus"
        source = sorted(p for p in corpus.rglob("*") if p.suffix in (".txt", ".html"))[0]

        def update() -> None:
            edited = edited_copy(source, scratch)
            began = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "searchlib", "index", "--index", str(args.index),
                                   str(edited)], capture_output=True, text=True)
            update_log.append(f"update at {began - started:.1f} s took {time.monotonic() - began:.1f} s, "
                              f"exit {done.returncode} {done.stderr.strip()[-200:]}")

        def delete_and_restore() -> None:
            from searchlib.ingest.report import parse_file
            doc_id = parse_file(source).doc_id
            began = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "searchlib", "delete", "--index", str(args.index), doc_id],
                                  capture_output=True, text=True)
            restored = subprocess.run([sys.executable, "-m", "searchlib", "index", "--index", str(args.index),
                                       str(source)], capture_output=True, text=True)
            update_log.append(f"delete at {began - started:.1f} s and re-add took {time.monotonic() - began:.1f} s, "
                              f"exit {done.returncode}/{restored.returncode}")

        def index_jobs() -> None:
            # One writer at a time (a second is refused): the delete waits for the update to finish.
            for at, job in ((seconds / 3, update), (2 * seconds / 3, delete_and_restore)):
                while time.monotonic() - started < at and not stop.is_set():
                    time.sleep(0.05)
                if stop.is_set():
                    return
                job()

        jobs = [] if args.no_update else [threading.Thread(target=index_jobs)]
        for job in jobs:
            job.start()
        while not stop.is_set():
            elapsed = time.monotonic() - started
            if elapsed >= seconds:
                break
            if "middle" not in rss and elapsed >= seconds / 2:
                rss["middle"] = server_rss(server.pid)
            time.sleep(0.05)
        rss.setdefault("middle", server_rss(server.pid))
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        elapsed = time.monotonic() - started
        rss["end"] = server_rss(server.pid)
        for job in jobs:
            job.join()

        searches = [t for kind in SEARCHES for t in timings[kind]]
        total = count[0]
        figures = {
            "clients": clients, "seconds": round(elapsed, 1), "server": args.server,
            "workers": (args.workers or os.cpu_count()) if args.server == "gunicorn" else None, "requests": total,
            "requests_per_s": round(total / elapsed, 1), "errors": len(errors),
            "refused_4xx": sum(refused.values()), "load_average_before": start_load,
            "searches_ms": {"n": len(searches), "p50": percentile(searches, .5), "p95": percentile(searches, .95),
                            "p99": percentile(searches, .99)},
            "by_kind_ms": {kind: {"n": len(v), "p50": percentile(v, .5), "p95": percentile(v, .95),
                                  "p99": percentile(v, .99), "max": max(v)} for kind, v in timings.items()},
            "rss_mb": {k: round(v / 2**20) for k, v in rss.items()},
            "index_jobs": update_log,
            "first_errors": errors[:10],
        }
        shape = f"{figures['workers']} workers" if figures["workers"] else "one process, 8 threads"
        print(f"{clients} clients for {elapsed:.0f} s against {args.server} ({shape}) on {args.index}; "
              f"load average before the run {start_load}")
        print(f"{total} requests, {figures['requests_per_s']} requests/s, {len(errors)} errors (5xx or no answer), "
              f"{figures['refused_4xx']} refused (4xx)")
        print(f"{'kind':<16}{'n':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}  (ms)")
        for kind in list(SEARCHES) + list(OTHERS):
            v = timings.get(kind)
            if v:
                print(f"{kind:<16}{len(v):>7}{percentile(v, .5):>9.0f}{percentile(v, .95):>9.0f}"
                      f"{percentile(v, .99):>9.0f}{max(v):>9.0f}")
        s = figures["searches_ms"]
        print(f"{'all searches':<16}{s['n']:>7}{s['p50']:>9.0f}{s['p95']:>9.0f}{s['p99']:>9.0f}")
        r = figures["rss_mb"]
        change = (r["end"] - r["middle"]) / r["middle"] * 100 if r["middle"] else float("nan")
        print(f"server RSS (all processes): start {r['start']} MB, middle {r['middle']} MB, end {r['end']} MB "
              f"(middle -> end {change:+.1f}%)")
        for line in update_log:
            print("index job: " + line)
        for line in errors[:10]:
            print("error: " + line)
        if args.json:
            args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0
    finally:
        server.terminate()
        try:
            _, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            _, err = server.communicate()
        if b"Traceback" in err:
            print("server log had tracebacks:\n" + err.decode(errors="replace")[-3000:], file=sys.stderr)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
