"""The web server on a big index: time to first answer, answer times over HTTP, memory.

    python bench/server.py --index /tmp/searchlib-bench/searchlib-1000000-seed6

Starts ``python -m searchlib serve`` on the index as a researcher would, and
measures from the moment the process is started:

- first answer: until ``/api/search?q=行政复议`` first returns 200 (polled every 20 ms);
- then every query of QUERIES ``--rounds`` times, as the JSON API and as the
  HTML page (facets, top-10 highlighted snippets), p50 / p95 / max in ms;
- the server's resident memory (RSS) sampled every 0.1 s throughout: the peak,
  and where it settles at the end; and the same without the pages of
  memory-mapped index files (which the kernel can drop and shares with its
  page cache): the memory the server itself holds.

The queries cover the classes of ``bench/run.py`` with typed strings a
researcher would type, including the heavy ones (a term in most paragraphs,
法治 /s 建设 with tens of thousands of candidates).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from run import PeakMemory, human_bytes, machine  # noqa: E402

QUERIES = (
    "行政复议", "出庭应诉率", "法治", "建设", "法律顾问 培训", '"依法行政能力"', '"法律服务"',
    "法治 /s 建设", "完善 /s 重大行政决策", "年份:2021 法律顾问", "省份:广东 执法", "层级:县级 复议",
    "行政复议 OR 行政诉讼", "章节:存在问题 执法",
)
FIRST = "行政复议"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for_first_answer(base: str, proc: subprocess.Popen, started: float, limit: float) -> float:
    url = f"{base}/api/search?" + urllib.parse.urlencode({"q": FIRST})
    while time.perf_counter() - started < limit:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}:\n{proc.stderr.read().decode()}")
        try:
            status, body = get(url, timeout=limit)
        except (ConnectionError, urllib.error.URLError):
            time.sleep(0.02)
            continue
        if status != 200:
            raise SystemExit(f"first answer was HTTP {status}: {body[:300]!r}")
        json.loads(body)
        return time.perf_counter() - started
    raise SystemExit(f"no answer within {limit:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3, help="times each query is asked per kind (default 3)")
    parser.add_argument("--limit", type=float, default=120, help="give up waiting for a first answer after this")
    args = parser.parse_args(argv)

    print(machine(), flush=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "searchlib", "serve", "--index", str(args.index), "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))
    try:
        with PeakMemory(proc.pid) as memory:
            first = wait_for_first_answer(base, proc, started, args.limit)
            print(f"first answer ({FIRST}) {first:.2f} s after start; RSS then {human_bytes(memory.peak)}",
                  flush=True)
            times: dict[str, list[float]] = {}
            for kind, path in (("json", "/api/search"), ("html", "/search")):
                for _ in range(args.rounds):
                    for q in QUERIES:
                        url = f"{base}{path}?" + urllib.parse.urlencode({"q": q})
                        t0 = time.perf_counter()
                        status, body = get(url)
                        if status != 200:
                            raise SystemExit(f"{url}: HTTP {status}: {body[:300]!r}")
                        times.setdefault(f"{kind} {q}", []).append((time.perf_counter() - t0) * 1000)
            settled, settled_private = memory.last, memory.last_private
        print(f"\n{'query':<32}{'p50 ms':>10}{'max ms':>10}")
        for label, ts in times.items():
            print(f"{label:<32}{statistics.median(ts):>10.1f}{max(ts):>10.1f}")
        everything = sorted(t for ts in times.values() for t in ts)
        p95 = everything[min(len(everything) - 1, int(len(everything) * 0.95))]
        print(f"\nall {len(everything)} requests: p50 {statistics.median(everything):.1f} ms, p95 {p95:.1f} ms, "
              f"max {everything[-1]:.1f} ms")
        # In MB too: a 1.5 GB target cannot be judged from one decimal of GB.
        print(f"server RSS: peak {human_bytes(memory.peak)} ({memory.peak / 2**20:,.0f} MB), "
              f"at the end {human_bytes(settled)}")
        print(f"server private memory (RSS less memory-mapped file pages): peak "
              f"{human_bytes(memory.peak_private)}, at the end {human_bytes(settled_private)}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
