"""End to end, the way a researcher uses it: the real app under waitress, a real headless Chromium.

Debian's chromium is driven by Playwright (no downloaded browser). Only loopback
traffic: the app listens on 127.0.0.1 on a free port in a background thread.
Screenshots of the main pages go to tests/artifacts/ for a reviewer to look at.
"""
from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from webui import create_app

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
STEP_TIMEOUT_MS = 5000

if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed (apt-get install chromium, or `make browser` as root); "
                "the end-to-end browser tests need it", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the [test] extra")


def serve(index_dir):
    """The production server (waitress) over ``index_dir`` on a free loopback port, in a background
    thread: yields its base URL (a generator for a fixture to delegate to)."""
    import waitress

    app = create_app({"INDEX_DIR": str(index_dir), "OPEN_INDEX_EAGERLY": True})
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4, ident="searchlib-test")
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def live_server(index_dir):
    yield from serve(index_dir)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=20_000)
        yield browser
        browser.close()


class Tab:
    """A browser tab on the live server that records console errors (a CSP violation is one)."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.set_default_timeout(STEP_TIMEOUT_MS)

    def open(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str, full_page: bool = True) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


@pytest.fixture
def tab(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    tab = Tab(context.new_page(), live_server)
    started = time.monotonic()
    yield tab
    context.close()
    assert not tab.errors, f"console errors: {tab.errors}"
    assert time.monotonic() - started < 10, "a browser test must stay well under 10 s"


@pytest.fixture
def tab_without_js(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN", java_script_enabled=False)
    yield Tab(context.new_page(), live_server)
    context.close()


def test_typing_a_query_shows_highlighted_results(tab):
    page = tab.open("/")
    tab.shot("home")
    page.fill("[data-search-box]", "行政复议")
    page.press("[data-search-box]", "Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    assert int(page.inner_text("[data-total]")) > 0
    assert page.input_value("[data-search-box]") == "行政复议"
    assert page.locator(".hit .snippet mark").first.inner_text() == "行政复议"
    assert page.inner_text("[data-understood]") == "行政复议"
    tab.shot("search")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.locator(".hit").first.is_visible()
    tab.shot("search-phone", full_page=False)


def test_a_multi_word_query_shows_reports_in_tiers_with_its_expansions(tab):
    page = tab.open("/search?q=法治宣传教育+备案")
    assert re.search(r"\d+ 份报告同段含全部检索词", page.inner_text("[data-tiers]"))
    heads = page.locator("[data-tier-head]").all_inner_texts()
    assert heads and heads == sorted(heads, key=["同段含全部检索词", "同篇含全部检索词", "部分匹配"].index)
    tiers = [int(t) for t in page.locator("li.group").evaluate_all("els => els.map(e => e.dataset.tier)")]
    assert tiers == sorted(tiers) and 2 in tiers
    assert "普法" in page.inner_text("[data-concepts]")
    assert page.locator("li.group .snippet mark").count() > 0
    tab.shot("search-tiers")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    tab.shot("search-tiers-phone", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 860})
    page.locator("[data-concepts] a", has_text="不扩展此词").first.click()
    page.wait_for_url(re.compile(r"q=%22"))
    assert page.input_value("[data-search-box]").startswith('"法治宣传教育"')
    assert "普法" not in (page.locator("[data-concepts]").all_inner_texts() or [""])[0]


def test_the_advanced_form_writes_a_query_string(tab):
    page = tab.open("/advanced")
    page.fill("input[name=all]", "行政复议 纠错")
    page.select_option("select[name=scope]", "d")
    page.fill("input[name=year_from]", "2019")
    page.fill("input[name=year_to]", "2023")
    page.select_option("select[name=mode]", "strict")
    tab.shot("advanced")
    page.click(".advanced-form button[type=submit]")
    page.wait_for_url(re.compile(r"/search\?"))
    assert page.input_value("[data-search-box]") == "行政复议 /d 纠错 year:2019-2023"
    assert page.locator("select[name=mode]").input_value() == "strict"


def test_clicking_facets_filters_and_a_chip_removes_the_filter(tab):
    page = tab.open("/search?q=行政复议&group=paragraph")
    everything = page.inner_text("[data-total]")
    page.locator('[data-facet="province"] a', has_text="四川省").click()
    page.wait_for_url(re.compile(r"province="))
    assert page.locator(".chip").inner_text().startswith("省份：四川省")
    assert all("四川省" in t for t in page.locator(".hit-meta .loc").all_inner_texts())
    page.locator('[data-facet="city"] a', has_text="成都市").click()
    page.wait_for_url(re.compile(r"city="))
    assert page.locator('[data-facet="county"] .label').all_inner_texts() == ["武侯区"]
    tab.shot("search-filtered")
    page.select_option("select[name=group]", "report")   # JavaScript re-runs the search on a change
    page.wait_for_url(lambda url: "group=paragraph" not in url)
    assert page.locator("li.group").count() == 1
    tab.shot("search-grouped")
    page.locator(".chip", has_text="省份").click()
    page.wait_for_load_state()
    assert page.locator(".chip").count() == 0
    assert page.inner_text("[data-total]") == everything


def test_following_a_permalink_and_copying_its_citation(tab):
    page = tab.open("/search?q=行政复议")
    title = page.locator("[data-hit-link]").first
    title.click()
    page.wait_for_url(re.compile(r"/p/[0-9a-f]+-[0-9a-f]+\?q="))
    assert page.locator("[data-focus] mark").count() >= 1
    page.click("button[data-copy-target=citation]")
    page.wait_for_selector("[data-copied]:has-text('已复制')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.inner_text("#citation") and "[EB/OL]" in copied and "第" in copied
    tab.shot("paragraph")


def test_reading_the_whole_report_at_the_paragraph(tab):
    page = tab.open("/search?q=纠错率")
    pid = page.locator("a.permalink").first.inner_text().rsplit("/", 1)[1]
    page.locator("[data-hit-link]").first.click()
    page.click("[data-read-report]")
    page.wait_for_url(re.compile(rf"/d/[0-9a-f]+\?q=.*#{pid}$"))
    target = page.locator(f"[id='{pid}']")
    assert target.locator("mark").count() >= 1
    assert target.evaluate("el => el.matches(':target')")
    box, viewport = target.bounding_box(), page.viewport_size
    assert 0 <= box["y"] < viewport["height"], "the browser scrolled to the paragraph"
    tab.shot("report", full_page=False)
    last_section = page.locator(".toc li a").last
    last_section.click()
    assert page.evaluate("location.hash") == last_section.get_attribute("href")


def test_keyboard_slash_focuses_search_and_j_opens_results(tab):
    page = tab.open("/search?q=法律顾问")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.matches('[data-search-box]')")
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    first = page.locator("[data-hit-link]").first
    assert first.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/p/"))
    page = tab.open('/search?q="复议的纠错"')
    tab.shot("empty")
    tab.open("/help")
    tab.shot("help")


def test_search_and_reading_work_without_javascript(tab_without_js):
    page = tab_without_js.open("/")
    page.fill("[data-search-box]", "法律顾问")
    page.press("[data-search-box]", "Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    assert int(page.inner_text("[data-total]")) > 0
    page.locator('[data-facet="year"] a').first.click()
    page.wait_for_url(re.compile(r"year="))
    page.locator("[data-hit-link]").first.click()
    page.wait_for_url(re.compile(r"/p/"))
    assert "[EB/OL]" in page.inner_text("#citation")
    assert not page.locator("button[data-copy-target]").is_visible(), "no dead copy button without JavaScript"
    tab_without_js.open("/p/nothing-here")
    tab_without_js.shot("not-found")


# --- the research views, over tests/corpus_reuse/ (with its text reuse pass) ---------------------

@pytest.fixture(scope="module")
def reuse_live_server(reuse_index_dir):
    import waitress

    app = create_app({"INDEX_DIR": str(reuse_index_dir), "OPEN_INDEX_EAGERLY": True})
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4, ident="searchlib-test")
    thread = threading.Thread(target=server.run, name="waitress-reuse", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def reuse_tab(browser, reuse_live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    tab = Tab(context.new_page(), reuse_live_server)
    yield tab
    context.close()
    assert not tab.errors, f"console errors: {tab.errors}"


def test_typing_a_query_on_kwic_shows_aligned_rows(reuse_tab):
    page = reuse_tab.open("/kwic")
    page.fill("[data-search-box]", "行政复议")
    page.press("[data-search-box]", "Enter")
    page.wait_for_url(re.compile(r"/kwic\?q="))
    assert page.inner_text("[data-total]") == "24"
    matches = page.locator("[data-kwic-row] td.match a")
    assert matches.count() == 24
    lefts = {round(box["x"]) for box in (matches.nth(i).bounding_box() for i in range(24))}
    assert len(lefts) == 1, f"every match starts in the same column, not at {sorted(lefts)}"
    contexts = page.locator("[data-kwic-row] td.left span")
    ends = {round(b["x"] + b["width"]) for b in (contexts.nth(i).bounding_box() for i in range(24)) if b["width"]}
    assert len(ends) == 1, "left contexts end flush against the match"
    reuse_tab.shot("kwic")
    page.select_option("select[name=sort]", "right")      # JavaScript re-runs it when the sort changes
    page.wait_for_url(re.compile(r"sort=right"))
    rights = page.locator("[data-kwic-row] td.right").all_inner_texts()
    assert rights == sorted(rights)
    page.locator("nav.views a[data-view=stats]").click()
    page.wait_for_url(re.compile(r"/stats\?q="))
    assert page.input_value("[data-search-box]") == "行政复议"


def test_opening_stats_shows_the_svg_chart_and_the_table(reuse_tab):
    page = reuse_tab.open('/stats?q="行政复议"&q=出庭应诉')
    chart = page.locator("[data-chart] svg")
    assert chart.is_visible() and chart.bounding_box()["width"] > 500
    assert page.locator("[data-chart] svg polyline").count() >= 2
    assert page.locator("[data-cell='2022'] .gap-note").is_visible()
    reuse_tab.shot("stats")
    page.select_option("select[name=by]", "province")
    page.wait_for_url(re.compile(r"by=province"))
    assert page.locator("[data-chart] svg rect[fill='#0072B2']").count() == 3   # 四川, 浙江, 江苏
    reuse_tab.shot("stats-province")


def test_a_permalink_page_says_also_in_n_other_reports(reuse_tab):
    page = reuse_tab.open("/search?q=法治思想&county=锦江")
    page.locator("[data-reuse] summary").first.click()
    assert page.locator("[data-reuse] .also-in li").first.is_visible()
    reuse_tab.shot("search-reuse")
    page.locator("[data-hit-link]").first.click()
    page.wait_for_url(re.compile(r"/p/"))
    box = page.locator("[data-reuse-box]")
    assert "也见于 4 份其他报告" in box.inner_text()
    assert page.locator("[data-also-in]").count() == 4
    reuse_tab.shot("paragraph-reuse")
    page.click("[data-read-report]")
    page.wait_for_url(re.compile(r"/d/"))
    assert page.locator("[data-reused] .reuse-badge").all_inner_texts() == ["另见 4 份", "另见 2 份"]
    reuse_tab.shot("report-reuse", full_page=False)
