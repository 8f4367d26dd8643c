"""The research tools of issue 22 in a real headless Chromium, on the constructed corpus
(tests/corpus_tools/EXPECTED.md): desktop and phone (390 px) screenshots go to tests/artifacts/."""
from __future__ import annotations

import re
import time

import pytest

# Importing test_browser skips this module, as it does that one, when chromium is missing; its
# module-scoped browser fixture is shared.
from tests.test_browser import Tab, browser, serve  # noqa: F401 - browser is a fixture


@pytest.fixture(scope="module")
def tools_server(tools_index_dir):
    yield from serve(tools_index_dir)


@pytest.fixture
def tab(browser, tools_server):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    tab = Tab(context.new_page(), tools_server)
    started = time.monotonic()
    yield tab
    context.close()
    assert not tab.errors, f"console errors: {tab.errors}"
    assert time.monotonic() - started < 10, "a browser test must stay well under 10 s"


def phone(tab: Tab, name: str) -> None:
    tab.page.set_viewport_size({"width": 390, "height": 844})
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    tab.shot(name, full_page=False)
    assert width <= 390 + 1, f"the page is {width} px wide on a 390 px phone"


def test_indicators_filter_by_indicator_and_show_the_place_by_year_table(tab):
    page = tab.open("/indicators")
    assert page.inner_text("[data-total]") == "14"
    page.select_option("select[name=indicator]", "appearance_rate")
    page.wait_for_url(re.compile(r"indicator=appearance_rate"))
    assert page.inner_text("[data-total]") == "3"
    assert page.locator("[data-value]").all_inner_texts() == ["100%", "98%", "100%"]
    tab.shot("tools-indicators")
    page.select_option("select[name=view]", "table")
    page.wait_for_url(re.compile(r"view=table"))
    assert page.locator('[data-place="浙江省杭州市西湖区"] td').all_inner_texts() == ["—", "98", "—"]
    tab.shot("tools-indicators-table")
    page.goto(tab.base + "/indicators?indicator=appearance_rate")
    phone(tab, "tools-indicators-phone")


def test_compliance_lists_the_late_report_and_a_new_deadline_recounts(tab):
    page = tab.open("/compliance")
    assert page.locator("[data-late-list] tbody tr").all_inner_texts()[0].startswith("2021")
    assert page.inner_text("[data-days]") == "39 天"
    assert page.locator('[data-level="county"] [data-share]').inner_text() == "75.0%"
    tab.shot("tools-compliance")
    page.fill("input[name=deadline]", "03-31")
    page.press("input[name=deadline]", "Enter")
    page.wait_for_url(re.compile(r"deadline=03-31"))
    assert page.locator("[data-days]").all_inner_texts() == ["40 天", "1 天"]
    phone(tab, "tools-compliance-phone")


def test_diffusion_shows_first_mentions_and_the_chart(tab):
    page = tab.open("/diffusion")
    page.fill("[data-search-box]", "枫桥经验")
    page.press("[data-search-box]", "Enter")
    page.wait_for_url(re.compile(r"/diffusion\?q="))
    assert page.locator("[data-first] tbody tr td:first-child").all_inner_texts() == ["2019", "2020", "2021"]
    assert page.locator("[data-cumulative]").all_inner_texts() == ["1", "2", "3", "3"]
    assert page.locator("[data-chart] svg polyline").count() == 2
    tab.shot("tools-diffusion")
    page.locator('[data-place="浙江省"] a').first.click()      # the province's cities
    page.wait_for_url(re.compile(r"by=city"))
    assert page.locator("[data-first] tbody tr").count() == 1
    page.goto(tab.base + "/diffusion?q=枫桥经验")
    phone(tab, "tools-diffusion-phone")


def test_collocates_frequency_and_keyness_pages(tab):
    page = tab.open("/collocates?q=枫桥经验&span=1&min=1")
    assert page.locator("[data-together]").all_inner_texts() == ["3", "2", "1", "1", "1"]
    tab.shot("tools-collocates")
    page.select_option("select[name=sort]", "count")
    page.wait_for_url(re.compile(r"sort=count"))
    assert page.locator("[data-words] tbody tr th").first.inner_text() == "推动"
    phone(tab, "tools-collocates-phone")
    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto(tab.base + "/frequency?min_chars=2")
    assert page.locator('[data-word="推进"] [data-count]').inner_text() == "8"
    tab.shot("tools-frequency")
    page.goto(tab.base + "/keyness?year=2021&ref_year=2022")
    assert page.locator("[data-words] tbody tr th").first.inner_text() == "坚持"
    tab.shot("tools-keyness")
    phone(tab, "tools-keyness-phone")


def test_similar_passages_from_a_pasted_paragraph_then_from_a_result(tab):
    page = tab.open("/similar")
    page.fill("textarea[name=text]", "(五)基層治理。堅持和發展新時代“楓橋經驗”，推動矛盾糾紛就地化解，全區調解糾紛1300餘件。")
    page.click("form[data-similar-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/similar\?text="))
    assert page.locator("[data-similarity]").all_inner_texts() == ["79.2%", "72.0%"]
    tab.shot("tools-similar")
    page.locator("[data-passage] .hit-links a", has_text="与此段相似的").first.click()
    page.wait_for_url(re.compile(r"pid="))
    assert page.locator("[data-similarity]").all_inner_texts() == ["72.0%"]
    phone(tab, "tools-similar-phone")
