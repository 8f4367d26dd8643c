"""Every request is bounded, exports stream, and public URLs come from configuration, never the Host header."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
import time

import pytest

from searchlib.query.search import SearchRequest
from webui import create_app
from webui.public import BaseUrlError

BUDGET_S = 2.0
BASE = "https://search.example.org/fazhi/"
FORGED = "evil.example"


@pytest.fixture(scope="module")
def configured(index_dir):
    return create_app({"INDEX_DIR": str(index_dir), "TESTING": True, "BASE_URL": BASE,
                       "EXPORT_LIMIT": 40}).test_client()


def forged(client, url: str):
    response = client.get(url, headers={"Host": FORGED, "X-Forwarded-Host": FORGED})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_forged_host_header_never_reaches_a_page_a_citation_or_an_export(configured, library):
    hit = library.search(SearchRequest(q="行政复议", limit=1)).hits[0]
    bodies = {url: forged(configured, url) for url in (
        f"/p/{hit.pid}", f"/api/p/{hit.pid}", f"/d/{hit.doc_id}", f"/api/d/{hit.doc_id}",
        "/search?q=行政复议", "/api/search?q=行政复议", "/export.csv?q=行政复议", "/export.json?q=行政复议",
        "/kwic?q=行政复议", "/kwic.csv?q=行政复议", "/help")}
    assert [url for url, body in bodies.items() if FORGED in body] == []
    # The absolute URLs are the configured ones.
    assert f"{BASE}p/{hit.pid}" in bodies[f"/p/{hit.pid}"]             # permalink and citation
    assert f"{BASE}d/{hit.doc_id}" in bodies[f"/api/d/{hit.doc_id}"]   # the report's citation
    rows = list(csv.DictReader(io.StringIO(bodies["/export.csv?q=行政复议"].lstrip("\ufeff"))))
    assert rows and all(row["permalink"] == f"{BASE}p/{row['pid']}" for row in rows)
    kwic_rows = list(csv.DictReader(io.StringIO(bodies["/kwic.csv?q=行政复议"].lstrip("\ufeff"))))
    assert kwic_rows and all(row["url"] == f"{BASE}p/{row['pid']}" for row in kwic_rows)


@pytest.mark.parametrize("raw", ["", "search.example.org", "ftp://x.example/", "http://x.example/?a=1",
                                 "http://x.example:port/", "javascript:alert(1)"])
def test_a_base_url_that_is_no_http_address_is_refused_when_the_app_is_made(index_dir, raw):
    with pytest.raises(BaseUrlError):
        create_app({"INDEX_DIR": str(index_dir), "TESTING": True, "BASE_URL": raw})


def test_serve_refuses_a_bad_base_url_in_one_line_with_exit_2(index_dir):
    done = subprocess.run([sys.executable, "-m", "searchlib", "serve", "--index", str(index_dir),
                           "--base-url", "search.example.org", "--port", "1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "base URL" in done.stderr


@pytest.mark.parametrize("url", ['/search?q="法"', '/api/search?q="的"', '/api/search?q="法"&sort=newest',
                                 '/api/search?q="法"&group=report&sort=oldest', '/export.csv?q="法"',
                                 '/export.json?q="的"&sort=newest', '/kwic?q="法"', '/api/stats?q="法"&by=province',
                                 '/search?q="法"&page=100', '/api/search?q="法"&page=101'])
def test_a_one_character_exact_string_is_answered_or_refused_within_the_budget(client, url):
    started = time.perf_counter()
    response = client.get(url)
    response.get_data()
    assert response.status_code in (200, 400)
    assert time.perf_counter() - started < BUDGET_S


def test_an_export_streams_its_rows_and_says_up_front_how_many(configured, library):
    response = configured.get("/export.csv?q=法治", buffered=False)
    assert response.is_streamed
    total = library.search(SearchRequest(q="法治", limit=0)).total
    assert total > 40
    assert (response.headers["X-Total-Hits"], response.headers["X-Exported-Rows"]) == (str(total), "40")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 40
    expected = [h.pid for h in library.search(SearchRequest(q="法治", limit=40)).hits]
    assert [row["pid"] for row in rows] == expected


def test_a_streamed_json_export_is_one_valid_document(configured, library):
    response = configured.get("/export.json?q=法治&sort=newest")
    data = response.get_json()
    assert data["exported"] == len(data["rows"]) == 40 and data["truncated"] is True
    assert [r["pid"] for r in data["rows"]] == [h.pid for h in library.search(
        SearchRequest(q="法治", sort="newest", limit=40)).hits]


def test_help_lists_the_limits(client):
    limits = client.get("/api/help").get_json()["limits"]
    assert {"pages", "page_size", "api_limit", "api_offset", "export_rows", "kwic_paragraphs"} <= set(limits)
    page = client.get("/help").get_data(as_text=True)
    assert 'id="limits"' in page and str(limits["export_rows"]) in page
