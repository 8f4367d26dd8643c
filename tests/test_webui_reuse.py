"""Text reuse and the boilerplate filter in the web UI, on tests/corpus_reuse (see EXPECTED.md).

Template T is verbatim in 武侯 2019, 锦江 2020, 涪城 2020, 西湖 2021 and (traditional
characters) 玄武 2023: each copy is in 4 other reports, earliest 武侯. The near copy
N_B (锦江) is 88% like 涪城's and 上城's, which are not like each other. '"执法"' is in
the 5 copies of T and in 3 paragraphs of the reports' own (武侯, 锦江, 西湖).
"""
from __future__ import annotations

import json

import pytest

from searchlib.query.search import SearchRequest

WUHOU, JINJIANG, FUCHENG, XIHU, SHANGCHENG, XUANWU = (
    "ae5edf7818e6", "63797d031ebe", "9065365b448e", "e630b876ecfd", "68996e8a5b92", "19a9890d0c93")
TEMPLATE = "-c68b196f"
NEAR_B = JINJIANG + "-fbd076ce"


def hits(dom) -> list:
    return dom.css("li.hit")


# --- results ----------------------------------------------------------------------------------

def test_a_shared_hit_says_also_in_n_other_reports_with_the_list_and_the_earliest(reuse_page):
    _, dom = reuse_page("/search?q=法治思想&province=四川&city=成都&county=锦江")
    [hit] = hits(dom)
    reuse = hit.css_first("[data-reuse]")
    assert reuse.css_first("[data-shared-count]").text() == "4"
    assert "最早：2019年 四川省成都市武侯区" in reuse.css_first("summary").text()
    items = [li.text(separator=" ", strip=True) for li in reuse.css(".also-in li")]
    assert [i.split()[0] for i in items] == ["2019年", "2020年", "2021年", "2023年"]
    assert "关于绵阳市涪城区2020年法治政府建设情况的报告" in items[1] and items[1].endswith("相同")
    links = [a.attributes["href"] for a in reuse.css(".also-in a")]
    assert links == [f"/p/{doc}{TEMPLATE}" for doc in (WUHOU, FUCHENG, XIHU, XUANWU)]


def test_the_earliest_copy_says_it_is_the_origin(reuse_page):
    _, dom = reuse_page("/search?q=法治思想&year=2019")
    assert "本报告是已知最早的出处" in hits(dom)[0].css_first("[data-reuse] summary").text()


def test_hits_of_the_reports_own_words_say_nothing_about_reuse(reuse_page):
    _, dom = reuse_page('/search?q="执法"&boilerplate=hide')
    assert len(hits(dom)) == 3 and not dom.css("[data-reuse]")


def test_api_search_hits_carry_their_reuse(reuse_client):
    data = reuse_client.get("/api/search?q=行政复议 体制&county=锦江&group=paragraph").get_json()
    assert data["reuse_available"] is True
    by_pid = {h["pid"]: h["reuse"] for h in data["hits"]}
    near = by_pid[NEAR_B]
    assert near["shared_count"] == 2 and near["earliest"]["doc_id"] == JINJIANG
    assert [(o["doc_id"], o["jaccard"]) for o in near["also_in"]] == [(FUCHENG, 0.8824), (SHANGCHENG, 0.8824)]
    assert all(r["shared_count"] == 0 and r["also_in"] == [] for p, r in by_pid.items() if p != NEAR_B)


# --- the permalink and report pages --------------------------------------------------------------

def test_permalink_page_lists_the_other_reports_and_links_the_earliest(reuse_page):
    _, dom = reuse_page(f"/p/{XUANWU}{TEMPLATE}")
    box = dom.css_first("[data-reuse-box]")
    assert "也见于 4 份其他报告" in box.text()
    assert dom.css_first("[data-earliest]").attributes["href"] == f"/p/{WUHOU}{TEMPLATE}"
    rows = [[td.text() for td in tr.css("td")] for tr in box.css("[data-also-in]")]
    assert [(r[0], r[1]) for r in rows] == [("2019", "四川省成都市武侯区"), ("2020", "四川省成都市锦江区"),
                                            ("2020", "四川省绵阳市涪城区"), ("2021", "浙江省杭州市西湖区")]


def test_permalink_page_of_a_near_copy_shows_its_similarity(reuse_page):
    _, dom = reuse_page(f"/p/{NEAR_B}")
    rows = [[td.text() for td in tr.css("td")] for tr in dom.css("[data-also-in]")]
    assert [r[3] for r in rows] == ["88% 相似", "88% 相似"]
    assert "已知最早出自本报告" in dom.css_first("[data-reuse-box]").text()


def test_permalink_page_of_an_unshared_paragraph_says_nothing_about_reuse(reuse_page, reuse_library):
    own = reuse_library.report(XIHU)[-1]["pid"]          # repeated inside 西湖 only: not reuse
    _, dom = reuse_page(f"/p/{own}")
    assert dom.css_first("[data-reuse-box]") is None


def test_api_paragraph_carries_the_reuse_summary(reuse_client):
    data = reuse_client.get(f"/api/p/{FUCHENG}{TEMPLATE}").get_json()
    assert data["reuse"]["available"] is True and data["reuse"]["shared_count"] == 4
    assert data["reuse"]["earliest"]["doc_id"] == WUHOU


def test_report_page_marks_the_paragraphs_that_appear_elsewhere(reuse_page):
    _, dom = reuse_page(f"/d/{JINJIANG}")
    marked = {p.attributes["id"]: p.css_first(".reuse-badge").text() for p in dom.css("[data-reused]")}
    assert marked == {JINJIANG + TEMPLATE: "另见 4 份", NEAR_B: "另见 2 份"}
    assert "本报告有 2 段也见于其他报告" in dom.css_first("[data-reuse-note]").text()


def test_api_report_lists_its_shared_paragraphs(reuse_client):
    data = reuse_client.get(f"/api/d/{JINJIANG}").get_json()
    shared = data["reuse"]["paragraphs"]
    assert {pid: r["shared_count"] for pid, r in shared.items()} == {JINJIANG + TEMPLATE: 4, NEAR_B: 2}


# --- the boilerplate control -------------------------------------------------------------------

def boilerplate_values(dom) -> dict[str, tuple[str, str]]:
    facet = dom.css_first('[data-facet="boilerplate"]')
    return {li.css_first(".label").text(): (li.css_first(".count").text(), li.css_first("a").attributes["href"])
            for li in facet.css("li")}


def test_the_boilerplate_control_counts_both_choices(reuse_page):
    _, dom = reuse_page('/search?q="执法"')
    values = boilerplate_values(dom)
    assert {label: count for label, (count, _) in values.items()} == {"隐藏模板段落": "3", "只看模板段落": "5"}


def test_choosing_hide_filters_shows_a_chip_and_the_chip_removes_it(reuse_client, reuse_page):
    _, dom = reuse_page('/search?q="执法"')
    _, hidden = reuse_page(boilerplate_values(dom)["隐藏模板段落"][1])
    assert hidden.css_first("[data-total]").text() == "3"
    assert not any(h.css_first("a.permalink").text().endswith(TEMPLATE) for h in hits(hidden))
    chip = next(c for c in hidden.css(".chip") if "隐藏模板段落" in c.text())
    _, back = reuse_page(chip.attributes["href"])
    assert back.css_first("[data-total]").text() == "8"


def test_only_boilerplate_shows_the_template_copies(reuse_page):
    _, dom = reuse_page('/search?q="执法"&boilerplate=only')
    assert dom.css_first("[data-total]").text() == "5"
    assert all(h.css_first("a.permalink").text().endswith(TEMPLATE) for h in hits(dom))
    assert dom.css_first('input[type=hidden][name=boilerplate]').attributes["value"] == "only"


def test_api_search_and_export_follow_the_boilerplate_choice(reuse_client):
    data = reuse_client.get('/api/search?q="执法"&boilerplate=hide').get_json()
    assert (data["total"], data["boilerplate"]) == (3, "hide")
    assert data["facets"]["boilerplate"] == {"only": 5, "hide": 3}
    exported = reuse_client.get('/export.json?q="执法"&boilerplate=only').get_json()
    assert exported["total"] == 5 and all(r["pid"].endswith(TEMPLATE) for r in exported["rows"])


@pytest.mark.parametrize("url", ["/search?q=行政复议&boilerplate=only", '/search?q="行政复议"&boilerplate=only',
                                 "/search?q=出庭应诉 行政复议 纠错&boilerplate=hide&county=玄武"])
def test_an_empty_page_suggests_only_what_finds_something_under_its_filters(reuse_page, url):
    # Suggestions are counted under everything their link keeps, the boilerplate choice too:
    # "行政复议" is in no template paragraph, so with 只看模板段落 nothing is worth suggesting.
    _, dom = reuse_page(url)
    assert dom.css_first("[data-total]").text() == "0"
    for link in dom.css("[data-suggestion]"):
        promised = link.parent.text().split("（", 1)[1].split(" 段）", 1)[0]
        _, followed = reuse_page(link.attributes["href"])
        assert followed.css_first("[data-total]").text() == promised != "0"


def test_with_only_boilerplate_a_word_in_no_template_gets_no_suggestion(reuse_page):
    _, dom = reuse_page("/search?q=行政复议&boilerplate=only")
    assert dom.css("[data-suggestion]") == []


def test_an_unknown_boilerplate_choice_is_a_400(reuse_client):
    response = reuse_client.get("/search?q=执法&boilerplate=maybe")
    assert response.status_code == 400 and "boilerplate" in response.get_data(as_text=True)


# --- an index without the reuse pass -----------------------------------------------------------

def test_without_reuse_data_the_pages_say_nothing_about_reuse(page, library):
    _, dom = page("/search?q=法治")
    assert dom.css_first('[data-facet="boilerplate"]') is None and not dom.css("[data-reuse]")
    pid = library.search(SearchRequest(q="法治", limit=1)).hits[0].pid
    _, dom = page(f"/p/{pid}")
    assert dom.css_first("[data-reuse-box]") is None


@pytest.mark.parametrize("url", ["/search?q=法治&boilerplate=hide", "/kwic?q=法治&boilerplate=only",
                                 "/export.csv?q=法治&boilerplate=hide"])
def test_without_reuse_data_the_boilerplate_filter_explains_what_is_missing(client, url):
    response = client.get(url)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "尚未计算文本复用" in body and "searchlib reuse --build" in body and "Traceback" not in body


def test_without_reuse_data_the_search_page_keeps_a_chip_to_drop_the_filter(page):
    _, dom = page("/search?q=法治&boilerplate=hide", status=400)
    chip = next(c for c in dom.css(".chip") if "隐藏模板段落" in c.text())
    assert chip.attributes["href"] == "/search?q=%E6%B3%95%E6%B2%BB"


def test_without_reuse_data_the_api_says_so_in_json(client):
    response = client.get("/api/search?q=法治&boilerplate=hide")
    assert response.status_code == 400 and "searchlib reuse --build" in response.get_json()["error"]
    assert client.get("/api/search?q=法治").get_json()["reuse_available"] is False


# --- long lists: a template can be in thousands of reports ------------------------------------

@pytest.fixture(scope="module")
def short_lists_client(reuse_index_dir):
    from webui import create_app

    return create_app({"INDEX_DIR": str(reuse_index_dir), "TESTING": True, "REUSE_HIT_LIMIT": 2,
                       "REUSE_LIST_LIMIT": 3}).test_client()


def test_a_result_lists_the_earliest_few_and_links_to_the_rest(short_lists_client):
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    dom = HTMLParser(short_lists_client.get("/search?q=法治思想&county=锦江").get_data(as_text=True))
    reuse = dom.css_first("[data-reuse]")
    assert reuse.css_first("[data-shared-count]").text() == "4"
    assert [a.attributes["href"] for a in reuse.css(".also-in li:not(.more) a")] == \
        [f"/p/{WUHOU}{TEMPLATE}", f"/p/{FUCHENG}{TEMPLATE}"]
    more = reuse.css_first("[data-more] a")
    assert "另有 2 份" in more.text() and more.attributes["href"] == f"/p/{JINJIANG}{TEMPLATE}#reuse-h"
    data = short_lists_client.get("/api/search?q=法治思想&county=锦江").get_json()
    assert (len(data["hits"][0]["reuse"]["also_in"]), data["hits"][0]["reuse"]["more"]) == (2, 2)


def test_the_paragraph_page_says_how_many_it_left_out(short_lists_client):
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    dom = HTMLParser(short_lists_client.get(f"/p/{JINJIANG}{TEMPLATE}").get_data(as_text=True))
    assert len(dom.css("[data-also-in]")) == 3 and "另有 1 份" in dom.css_first("[data-more]").text()


def test_cli_json_and_api_carry_the_same_reuse_for_each_hit(reuse_client, reuse_index_dir, capsys):
    from searchlib.cli import main as cli_main

    assert cli_main(["search", '"执法"', "--index", str(reuse_index_dir), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    api = reuse_client.get('/api/search?q="执法"').get_json()
    assert cli["reuse_available"] is api["reuse_available"] is True
    assert [h["reuse"] for h in cli["hits"]] == [h["reuse"] for h in api["hits"]]
    assert any(h["reuse"]["shared_count"] >= 4 for h in cli["hits"])   # the template paragraph
