"""Serving: `searchlib serve` (what `make serve` runs) starts waitress quickly on an existing index."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from searchlib.index.indexing import build_index
from searchlib.query.parse import MAX_QUERY_CHARS
from webui import create_app

START_BUDGET_S = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, deadline: float):
    while True:
        try:
            return urllib.request.urlopen(url, timeout=1)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.parametrize("server, banner", [("gunicorn", "gunicorn"), ("waitress", "searchlib")])
def test_searchlib_serve_answers_within_seconds_with_a_production_server(index_dir, tmp_path, server, banner):
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "searchlib", "serve", "--index", str(index_dir),
                                "--host", "127.0.0.1", "--port", str(port), "--server", server, "--workers", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        response = wait_for(f"http://127.0.0.1:{port}/healthz", started + START_BUDGET_S)
        elapsed = time.monotonic() - started
        assert json.load(response)["status"] == "ok"
        assert response.headers["Server"] == banner, "a production server, not a development server"
        assert elapsed < START_BUDGET_S
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q=%E6%B3%95%E6%B2%BB", timeout=5)
        assert page.status == 200 and b"data-total" in page.read()
        cited = urllib.request.urlopen(f"http://127.0.0.1:{port}/export.csv?q=%E6%B3%95%E6%B2%BB", timeout=5)
        assert f"http://127.0.0.1:{port}/p/".encode() in cited.read(), "the base URL defaults to the address served"
        # The longest query the help allows (500 Chinese characters, ~4,500 bytes of URL) reaches the app.
        longest = urllib.parse.quote("法治" * (MAX_QUERY_CHARS // 2))
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q={longest}&year=2021", timeout=10)
        assert page.status == 200
    finally:
        process.terminate()
        _, err = process.communicate(timeout=15)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    assert b"Traceback" not in err


def test_make_serve_starts_gunicorn():
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    serve = makefile.split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert "searchlib serve" in serve and "--server gunicorn" in serve


def test_an_app_started_before_its_index_exists_answers_once_it_is_built(tmp_path, corpus_dir):
    target = tmp_path / "index"
    client = create_app({"INDEX_DIR": str(target), "TESTING": True}).test_client()
    assert client.get("/healthz").status_code == 503
    build_index([next(p for p in sorted(Path(corpus_dir).iterdir()) if p.suffix == ".txt")], target, rebuild=True)
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["reports"] == 1


def test_a_busy_port_is_one_line_with_the_port_hint_and_nothing_is_announced(index_dir):
    # A second `make serve` said "serving … on http://127.0.0.1:8000/" and then failed (issue 21, item 8).
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "searchlib", "serve", "--index", str(index_dir),
                              "--host", "127.0.0.1", "--port", str(port)],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in lines[0] and f"PORT={port + 1}" in lines[0]
    assert "serving" not in out.stderr and "http://" not in out.stderr and "Traceback" not in out.stderr


def test_check_port_says_nothing_when_the_port_is_free_and_the_same_line_when_busy(index_dir):
    port = free_port()
    command = [sys.executable, "-m", "searchlib", "serve", "--check-port", "--index", str(index_dir),
               "--host", "127.0.0.1", "--port", str(port)]
    free = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert (free.returncode, free.stdout, free.stderr) == (0, "", "")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen(1)
        busy = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert busy.returncode == 2 and f"make serve PORT={port + 1}" in busy.stderr
