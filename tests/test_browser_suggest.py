"""A search that finds nothing offers what would find something (issue 19, point 8), in a real headless
Chromium on the real server. Screenshots go to tests/artifacts/ (desktop 1280 px and phone 390 px)."""
from __future__ import annotations

import re

import pytest

from tests.test_browser import browser, live_server  # noqa: F401 (fixtures)
from tests.test_browser_pages import DESKTOP, PHONE, open_tab

NOWHERE = "量子纠缠"   # in no report of the test corpus


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def any_tab(request, browser, live_server):  # noqa: F811
    yield from open_tab(browser, live_server, request.param)


def test_an_empty_page_offers_dropping_a_word_and_the_link_finds_what_it_promised(any_tab):
    width = any_tab.page.viewport_size["width"]
    page = any_tab.open(f"/search?q=法律顾问+{NOWHERE}&mode=strict&year=2021")
    assert page.locator(".empty h2").inner_text() == "没有报告符合这次检索"
    # The tiered view (精确 off) with its partial matches first, then the word that finds nothing dropped.
    assert page.locator("[data-suggestion]").count() == 2
    fuzzy = page.locator("[data-suggestion-kind=fuzzy] [data-suggestion]")
    assert "改用模糊检索" in fuzzy.locator("xpath=..").inner_text() and "mode=" not in fuzzy.get_attribute("href")
    link = page.locator("[data-suggestion-kind=drop] [data-suggestion]")
    assert link.is_visible() and link.bounding_box()["x"] + link.bounding_box()["width"] <= width
    line = link.locator("xpath=..").inner_text()
    assert line.startswith(f"去掉“{NOWHERE}”：法律顾问")
    promised = int(link.get_attribute("data-reports"))
    assert f"{promised} 份报告（" in line and promised > 0
    any_tab.shot(f"i19-suggest-empty-{width}")
    link.click()
    page.wait_for_url(re.compile(r"/search\?q=%E6%B3%95%E5%BE%8B%E9%A1%BE%E9%97%AE&"))
    assert page.input_value("[data-search-box]") == "法律顾问"
    assert page.locator("li.group").count() == promised == int(page.inner_text("[data-total-reports]"))
    assert page.locator(".chip", has_text="2021").count() == 1, "the year filter came along"
    assert page.locator("select[name=mode]").input_value() == "strict", "and so did 精确"
    any_tab.shot(f"i19-suggest-followed-{width}", full_page=False)


def test_a_page_of_partial_matches_offers_the_full_matches_a_dropped_word_would_give(any_tab):
    width = any_tab.page.viewport_size["width"]
    page = any_tab.open("/search?q=法律顾问+枫桥经验")
    box = page.locator("[data-suggestions]")
    assert box.is_visible() and "含全部检索词的报告较少" in box.inner_text()
    any_tab.shot(f"i19-suggest-few-{width}", full_page=False)
    first = box.locator("[data-suggestion]").first
    promised = int(first.get_attribute("data-reports"))
    first.click()
    page.wait_for_load_state()
    counts = [int(n) for n in re.findall(r"(\d+) 份", page.inner_text("[data-tiers]"))]
    tier_line = page.inner_text("[data-tiers]")
    full = counts[0] + (counts[1] if "同篇含全部" in tier_line else 0)
    assert full == promised > 0
