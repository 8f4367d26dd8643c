"""Safety: escaping, CSP, local assets, limits, failures without tracebacks, and a read-only index."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from searchlib.query.search import SearchRequest
from webui import create_app

SCRIPT = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def markup_report(library):
    """tests/corpus_extra/markup_2022.txt: a page whose title and text contain HTML, kept as plain text."""
    hit = library.search(SearchRequest(q='"示例代码"', limit=1)).hits[0]
    paragraphs = library.report(hit.doc_id)
    assert "<script>" in hit.text and "<script>" in hit.title, "precondition: the corpus really holds markup"
    return hit, paragraphs


def pages_of(markup_report) -> list[str]:
    hit, paragraphs = markup_report
    return ["/search?q=示例代码", "/search?q=示例代码&group=report", f"/p/{hit.pid}?q=示例代码",
            f"/d/{hit.doc_id}?q=示例代码", f"/p/{paragraphs[-1]['pid']}", "/kwic?q=示例代码&width=60"]


def test_markup_in_a_report_is_shown_as_text_never_run(client, markup_report):
    for url in pages_of(markup_report):
        body = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body and "<b>加粗" not in body, url
        assert "&lt;script&gt;alert" in body or "&lt;img src=x" in body, url


def test_markup_in_a_report_is_escaped_in_json_consumers_highlighting(client, markup_report):
    hit, _ = markup_report
    data = client.get(f"/api/p/{hit.pid}?q=示例代码").get_json()
    assert "<script>" in data["paragraph"]["text"], "JSON carries the text as it is"
    assert "<script>" not in data["paragraph"]["highlighted"], "HTML fields are escaped HTML"


@pytest.mark.parametrize("url", [f"/search?q={SCRIPT}", f"/search?q=法治&province={SCRIPT}",
                                 f'/search?q="{SCRIPT}', f"/search?q={SCRIPT}行政复议枫桥",
                                 f"/p/{SCRIPT}?q={SCRIPT}", f"/d/x?q={SCRIPT}", f"/nowhere?q={SCRIPT}",
                                 f"/kwic?q={SCRIPT}", f"/kwic?q=法治&province={SCRIPT}", f"/stats?q={SCRIPT}",
                                 f"/stats?q=法治&q={SCRIPT}", f"/stats?q=法治&city={SCRIPT}"])
def test_markup_in_the_query_is_escaped_everywhere_it_is_echoed(client, url):
    body = client.get(url).get_data(as_text=True)
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body, "the query is echoed back, escaped"


def test_every_page_sends_a_content_security_policy_without_inline_script(client, markup_report):
    hit, _ = markup_report
    for url in ["/", "/search?q=法治", f"/p/{hit.pid}", f"/d/{hit.doc_id}", "/help", "/p/none", "/api/search?q=x",
                "/kwic?q=法治", "/kwic", "/stats?q=法治&q=行政复议", "/stats?q=法治&by=province", "/stats",
                "/stats.svg?q=法治"]:
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        if response.mimetype != "text/html":
            continue
        dom = HTMLParser(response.get_data(as_text=True))
        scripts = dom.css("script")
        assert scripts and all(s.attributes.get("src", "").startswith("/static/") and not s.text()
                               for s in scripts), f"{url}: only our own script files, never inline"
        for node in dom.css("*"):
            names = set(node.attributes)
            assert not any(n.startswith("on") for n in names), f"{url}: no inline event handlers"
            assert "style" not in names, f"{url}: no inline styles (CSP forbids them)"


def test_all_assets_are_local(client):
    body = client.get("/search?q=法治").get_data(as_text=True)
    for ref in re.findall(r'(?:src|href)="([^"]+)"', body):
        assert not re.match(r"(https?:)?//", ref), f"{ref} would need the network"
    for asset in ("/static/app.css", "/static/app.js"):
        response = client.get(asset)
        assert response.status_code == 200 and response.data
    css = client.get("/static/app.css").get_data(as_text=True)
    assert "@import" not in css and "url(http" not in css


def test_health_check_reports_the_index_size(client, library):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", **library.stats()}


def test_a_missing_index_is_a_503_with_an_explanation_not_a_crash(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()
    page = client.get("/search?q=法治")
    assert page.status_code == 503 and "索引暂不可用" in page.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "error"


def test_an_unexpected_error_shows_a_plain_500_page_without_a_traceback(index_dir):
    app = create_app({"INDEX_DIR": str(index_dir)})   # not TESTING: errors are handled as in production

    @app.get("/api/boom")
    @app.get("/boom")
    def boom():   # a route that fails the way a bug would
        raise ZeroDivisionError("secret detail")

    client = app.test_client()
    page = client.get("/boom")
    body = page.get_data(as_text=True)
    assert page.status_code == 500 and "服务器内部错误" in body
    assert "Traceback" not in body and "secret detail" not in body and "ZeroDivisionError" not in body
    api = client.get("/api/boom")
    assert api.status_code == 500 and api.get_json()["error"] and "secret" not in api.get_data(as_text=True)


def test_only_get_is_allowed(client):
    response = client.post("/search", data={"q": "法治"})
    assert response.status_code == 405 and "不支持" in response.get_data(as_text=True)


NASTY = st.text(alphabet=st.sampled_from(list('法治行政复议"“”()（）|/s-:：年份 NOTOR\x00<>&\'\\%#?')), max_size=40)


@settings(max_examples=60)
@given(q=NASTY, year=st.sampled_from(["", "2021", "2019-2021", "x", "2021-"]),
       page=st.sampled_from(["", "1", "2", "-1", "abc", "99999"]))
def test_no_query_string_makes_the_server_fail(app, q, year, page):
    client = app.test_client()
    for path in ("/search", "/api/search", "/export.json", "/kwic", "/api/kwic", "/stats", "/api/stats"):
        response = client.get(path, query_string={"q": q, "year": year, "page": page})
        assert response.status_code in (200, 400), (path, q, year, page, response.status_code)


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() + str(p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_app_never_writes_to_the_index(index_dir, library):
    before = _snapshot(index_dir)
    client = create_app({"INDEX_DIR": str(index_dir), "TESTING": True}).test_client()
    hit = library.search(SearchRequest(q="法治", limit=1)).hits[0]
    for url in ["/", "/search?q=法治&province=四川省&group=report", "/api/search?q=法治", "/export.csv?q=法治",
                "/export.json?q=法治", f"/p/{hit.pid}?q=法治", f"/api/p/{hit.pid}", f"/d/{hit.doc_id}",
                f"/api/d/{hit.doc_id}", "/help", "/api/help", "/healthz"]:
        assert client.get(url).status_code == 200, url
    assert _snapshot(index_dir) == before
