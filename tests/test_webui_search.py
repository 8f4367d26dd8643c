"""The search page and its JSON twin, as a researcher uses them through the URL."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from searchlib.cli import main as cli_main
from searchlib.query.search import SearchRequest

QUERY = "行政复议"


def args_of(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def facet_link(dom, param: str, label: str) -> str:
    for node in dom.css(f'[data-facet="{param}"] li a'):
        if node.css_first(".label").text() == label:
            return node.attributes["href"]
    raise AssertionError(f"no {param} facet value {label!r}")


def hit_titles(dom) -> list[str]:
    return [n.text() for n in dom.css(".hit-title a")]


# --- the home page ------------------------------------------------------------------------

def test_home_page_offers_a_search_box_examples_and_the_size_of_the_library(page, library):
    _, dom = page("/")
    box = dom.css_first("input[name=q]")
    assert box is not None and box.attributes.get("value") == ""
    stats = library.stats()
    lede = dom.css_first(".lede").text()
    assert f"收录 {stats['reports']} 份地方政府法治政府建设年度报告，" in lede, "no plan or notice among them"
    assert f"{stats['paragraphs']}" in lede
    examples = [a.attributes["href"] for a in dom.css(".examples a")]
    assert examples and all(href.startswith("/search?q=") for href in examples)
    assert dom.css('[data-facet="year"] li a'), "the home page lets one browse by year"


NOTICE = ("关于印发《西平县2020年度法治政府建设工作安排》的通知\n各乡镇人民政府，县政府各部门：\n"
          "《西平县2020年度法治政府建设工作安排》已经县政府同意，现印发给你们，请认真贯彻执行。\n西平县人民政府办公室\n2020年4月1日\n")


def test_the_home_page_counts_reports_apart_from_the_plans_and_notices_in_the_corpus(tmp_path, seed_path):
    from webui import create_app
    from searchlib.index.indexing import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for prefix in ("001", "002"):
        (corpus / seed_path(prefix).name).write_bytes(seed_path(prefix).read_bytes())
    (corpus / "notice.txt").write_text(NOTICE, encoding="utf-8")
    build_index([corpus], tmp_path / "ix", rebuild=True, reuse=False, procs=1)
    client = create_app({"INDEX_DIR": str(tmp_path / "ix"), "TESTING": True}).test_client()
    lede = client.get("/").get_data(as_text=True).split('class="lede">', 1)[1].split("</p>", 1)[0]
    assert "收录 <strong>2</strong> 份地方政府法治政府建设年度报告和 <strong>1</strong> 份其他文件" in lede


def test_a_page_of_filters_only_says_how_many_reports_pass_them_not_that_they_hold_search_words(page, library):
    _, dom = page("/search?province=四川")
    expected = library.search(SearchRequest(province="四川", group=True, limit=0)).tiers[1]
    assert dom.css_first("[data-tiers]").text().strip() == f"{expected} 份报告符合筛选条件" and expected > 0
    _, dom = page("/search?q=法律顾问&province=四川")
    assert "份报告同段含全部检索词" in dom.css_first("[data-tiers]").text()


def test_every_home_example_runs_and_finds_something(client, page):
    _, dom = page("/")
    for node in dom.css(".examples a"):
        response = client.get(node.attributes["href"])
        assert response.status_code == 200
        assert "没有段落符合" not in response.get_data(as_text=True), node.attributes["href"]


# --- results -------------------------------------------------------------------------------

def test_search_keeps_the_query_in_the_box_and_shows_count_time_and_understanding(page, library):
    expected = library.search(SearchRequest(q=QUERY, limit=0))
    _, dom = page(f"/search?q={QUERY}")
    assert dom.css_first("input[name=q]").attributes["value"] == QUERY
    assert dom.css_first("[data-total]").text() == str(expected.total)
    assert "ms" in dom.css_first(".summary .count").text()
    assert dom.css_first("[data-understood]").text() == expected.understood


def test_root_and_search_serve_the_same_results(client):
    assert client.get(f"/?q={QUERY}").get_data() .count(b'class="hit"') == \
        client.get(f"/search?q={QUERY}").get_data().count(b'class="hit"')


def test_each_hit_shows_title_locality_year_section_snippet_and_permalink(page, library):
    hits = library.search(SearchRequest(q=QUERY, limit=20)).hits
    _, dom = page(f"/search?q={QUERY}&group=paragraph")
    items = dom.css("li.hit")
    assert len(items) == len(hits)
    for item, hit in zip(items, hits):
        assert item.css_first(".hit-title a").text() == (hit.title or "（无题名）")
        meta = item.css_first(".hit-meta").text()
        if hit.province:
            assert hit.province in meta
        assert (f"{hit.report_year}年" if hit.report_year else "年份未标注") in meta
        if hit.section_heading:
            assert hit.section_heading in meta
        assert "<mark>" in item.css_first(".snippet").html
        assert item.css_first("a.permalink").attributes["href"] == f"/p/{hit.pid}"
        read = [a.attributes["href"] for a in item.css(".hit-links a")]
        assert any(href.startswith(f"/d/{hit.doc_id}") and href.endswith(f"#{hit.pid}") for href in read)


def test_hit_links_carry_the_search_so_the_paragraph_page_highlights_it_and_leads_back(page):
    for view in ("paragraph", "report"):
        _, dom = page(f"/search?q={QUERY}&group={view}")
        href = dom.css_first("[data-hit-link]").attributes["href"]
        assert args_of(href) == ({"q": QUERY, "group": "paragraph"} if view == "paragraph" else {"q": QUERY})
    # Filters, sort, view and page ride along, and the way back keeps them.
    search = f"/search?q={QUERY}&province=四川&sort=newest&group=paragraph&limit=2&page=2"
    _, dom = page(search)
    href = dom.css_first("[data-hit-link]").attributes["href"]
    _, paragraph = page(href)
    back = args_of(paragraph.css_first("[data-back]").attributes["href"])
    assert back == args_of(search) == args_of(href)


# --- facets and chips ------------------------------------------------------------------------

def test_facet_counts_are_the_query_layers_counts(page, library):
    facets = library.search(SearchRequest(q=QUERY, limit=0)).facets
    _, dom = page(f"/search?q={QUERY}")
    for param, key in (("year", "report_year"), ("province", "province"), ("level", "level"),
                       ("body", "body"), ("section", "section_kind")):
        shown = [int(n.text()) for n in dom.css(f'[data-facet="{param}"] .count')]
        assert shown == [count for _, count in facets[key]], param


def test_clicking_a_facet_adds_a_filter_shown_as_a_removable_chip(client, page, library):
    _, dom = page(f"/search?q={QUERY}")
    href = facet_link(dom, "province", "四川省")
    assert args_of(href) == {"q": QUERY, "province": "四川省"}
    _, filtered = page(href)
    expected = library.search(SearchRequest(q=QUERY, province="四川省", limit=0)).total
    assert filtered.css_first("[data-total]").text() == str(expected)
    assert all("四川省" in n.text() for n in filtered.css(".hit-meta .loc"))
    chip = filtered.css_first(".chips a.chip")
    assert "省份" in chip.text() and "四川省" in chip.text()
    _, unfiltered = page(chip.attributes["href"])
    assert unfiltered.css_first("[data-total]").text() == dom.css_first("[data-total]").text()
    assert unfiltered.css_first(".chips") is None


def test_a_chosen_facet_value_is_marked_and_its_link_removes_it(page):
    _, dom = page(f"/search?q={QUERY}&year=2021")
    selected = dom.css('[data-facet="year"] li.selected a')
    assert len(selected) == 1 and selected[0].css_first(".label").text() == "2021"
    assert args_of(selected[0].attributes["href"]) == {"q": QUERY}


def test_places_drill_down_from_province_to_city_to_county(page):
    _, dom = page(f"/search?q={QUERY}")
    assert dom.css_first('[data-facet="province"]') is not None
    assert dom.css_first('[data-facet="city"]') is None, "cities appear once a province is chosen"
    _, by_province = page(facet_link(dom, "province", "四川省"))
    cities = [n.text() for n in by_province.css('[data-facet="city"] .label')]
    assert set(cities) == {"成都市", "眉山市"}
    assert by_province.css_first('[data-facet="county"]') is None
    _, by_city = page(facet_link(by_province, "city", "成都市"))
    assert [n.text() for n in by_city.css('[data-facet="county"] .label')] == ["武侯区"]
    assert len(by_city.css(".chips a.chip")) == 2


def test_removing_a_province_also_removes_the_city_inside_it(page):
    _, dom = page(f"/search?q={QUERY}&province=四川省&city=成都市")
    province_chip = next(c for c in dom.css(".chips a.chip") if "省份" in c.text())
    assert args_of(province_chip.attributes["href"]) == {"q": QUERY}
    other_province = facet_link(page(f"/search?q={QUERY}")[1], "province", "山东省")
    assert "city" not in args_of(other_province)


def test_short_place_names_select_their_facet_value(page):
    _, dom = page(f"/search?q={QUERY}&province=四川")
    assert [n.css_first(".label").text() for n in dom.css('[data-facet="province"] li.selected')] == ["四川省"]


def test_values_the_reports_do_not_state_are_counted_but_not_clickable(page):
    _, dom = page(f"/search?q={QUERY}")
    inert = dom.css('[data-facet="province"] li .inert')
    assert inert and inert[0].css_first(".label").text() == "未标注"


def test_level_body_and_section_read_in_chinese_with_english_in_the_url(page):
    _, dom = page(f"/search?q={QUERY}")
    assert "县级" in [n.text() for n in dom.css('[data-facet="level"] .label')]
    assert "政府" in [n.text() for n in dom.css('[data-facet="body"] .label')]
    href = facet_link(dom, "section", "存在问题")
    assert args_of(href)["section"] == "problems"


def test_chinese_alias_in_the_url_filters_and_reads_back_in_the_chip(page, library):
    _, dom = page(f"/search?q={QUERY}&section=存在问题")
    assert "章节：存在问题" in dom.css_first(".chips").text()
    expected = library.search(SearchRequest(q=QUERY, section="problems", limit=0)).total
    assert dom.css_first("[data-total]").text() == str(expected)
    assert all("存在问题" in n.text() for n in dom.css(".hit-meta .sect"))


def test_the_search_form_keeps_the_chosen_filters(page):
    _, dom = page(f"/search?q={QUERY}&province=四川省&year=2023")
    hidden = {n.attributes["name"]: n.attributes["value"] for n in dom.css("form.searchbar input[type=hidden]")}
    assert hidden == {"province": "四川省", "year": "2023"}


def test_filters_alone_without_a_query_list_the_matching_paragraphs(page, library):
    expected = library.search(SearchRequest(year="2021", limit=0)).total
    _, dom = page("/search?year=2021")
    assert dom.css_first("[data-total]").text() == str(expected)
    assert expected > 0


# --- sorting, grouping, pages -------------------------------------------------------------------

@pytest.mark.parametrize("sort, ordered", [("newest", lambda ys: ys == sorted(ys, reverse=True)),
                                           ("oldest", lambda ys: ys == sorted(ys))])
def test_sorting_by_year(page, library, sort, ordered):
    _, dom = page(f"/search?q=法治&sort={sort}&limit=50&group=paragraph")
    years = [int(n.text().rstrip("年")) for n in dom.css(".hit-meta .year") if n.text() != "年份未标注"]
    assert len(years) > 3 and ordered(years)
    assert "selected" in dom.css_first(f"select[name=sort] option[value={sort}]").attributes
    # Reports in tiers are sorted by year within each tier: a partial match never comes before a full one.
    groups = library.search(SearchRequest(q="法治 纠错", sort=sort, group=True, limit=100)).groups
    for tier in {g.tier for g in groups}:
        years = [g.report_year for g in groups if g.tier == tier and g.report_year]
        assert ordered(years), tier
    assert [g.tier for g in groups] == sorted(g.tier for g in groups)


def test_pages_show_the_next_hits_and_link_to_each_other(page, library):
    expected = library.search(SearchRequest(q="法治", limit=3, offset=3)).hits
    _, dom = page("/search?q=法治&limit=3&page=2&group=paragraph")
    assert [n.attributes["href"] for n in dom.css("a.permalink")] == [h.url for h in expected]
    assert dom.css_first("ol.hits").attributes["start"] == "4"
    assert args_of(dom.css_first("a[rel=prev]").attributes["href"]) == {"q": "法治", "limit": "3", "group": "paragraph"}
    assert args_of(dom.css_first("a[rel=next]").attributes["href"]) == {"q": "法治", "limit": "3", "page": "3",
                                                                         "group": "paragraph"}
    assert dom.css_first(".pager [aria-current=page]").text() == "2"


@pytest.mark.parametrize("view", ["paragraph", None])
def test_a_page_past_the_end_says_how_many_pages_there_are_and_links_back(page, library, view):
    total = library.search(SearchRequest(q="行政复议", limit=1000)).total
    url = f"/search?q=行政复议&limit=3&page=40" + (f"&group={view}" if view else "")
    _, dom = page(url)
    past = dom.css_first("[data-past-end]")
    assert past is not None and "第 40 页没有结果" in past.text()
    back = args_of(past.css_first("a").attributes["href"])
    assert int(back["page"]) < 40 and back["q"] == "行政复议"
    assert "–" not in dom.css_first(".count").text().split("·")[0]   # no 第 121–120 段
    assert total > 3


@pytest.mark.parametrize("q", [")", '""', "(((("])
def test_a_query_of_nothing_but_operators_is_a_clear_400(page, q):
    _, dom = page("/search?q=" + q, status=400)
    assert "没有可检索的词" in dom.css_first(".notice").text()


def test_grouping_by_report_puts_each_hit_under_its_report(page, library):
    groups = library.search(SearchRequest(q=QUERY, limit=20, group=True)).groups
    _, dom = page(f"/search?q={QUERY}&group=report")
    shown = dom.css("li.group")
    assert len(shown) == len(groups)
    for item, group in zip(shown, groups):
        doc_id = item.css_first(".group-title a").attributes["href"].split("?")[0].rsplit("/", 1)[1]
        assert doc_id == group.doc_id and item.attributes["data-tier"] == str(group.tier)
        pids = [a.attributes["href"][3:] for a in item.css("a.permalink")]
        assert pids == [h.pid for h in group.paragraphs] and all(pid.startswith(doc_id) for pid in pids)
        # The count is the library's: every paragraph of the report that matches, not this page's.
        assert item.css_first("[data-matches]").attributes["data-matches"] == str(group.matches)
    assert "selected" in dom.css_first("select[name=group] option[value=report]").attributes


def test_reports_are_the_default_and_paragraphs_one_click_away(page, library):
    _, dom = page(f"/search?q={QUERY}")
    assert dom.css("li.group") and dom.css_first("[data-tiers]") is not None
    link = next(a for a in dom.css(".summary a") if a.text() == "按段落查看")
    assert args_of(link.attributes["href"]) == {"q": QUERY, "group": "paragraph"}


def test_strict_grouping_counts_every_matching_paragraph_of_each_report(page, library):
    # Grouping happens once, in the library: each report with how many of its paragraphs match
    # (not the hits of one page of paragraphs regrouped, which said "1 段" for a report with five).
    grouped = library.search(SearchRequest(q=QUERY, limit=20, group=True, mode="strict"))
    _, dom = page(f"/search?q={QUERY}&mode=strict")
    groups = dom.css("li.group")
    assert len(groups) == len(grouped.groups) == grouped.total_reports
    for node, group in zip(groups, grouped.groups):
        assert node.css_first("[data-matches]").text() == f"{group.matches} 段同段匹配"
    assert sum(g.matches for g in grouped.groups) == grouped.total
    assert any(g.matches > 1 for g in grouped.groups), "a report with several matches is in the test"
    assert dom.css_first("[data-total-reports]").text() == str(grouped.total_reports)


def test_grouped_pages_count_reports(page, library):
    grouped = library.search(SearchRequest(q="法治", limit=2, offset=2, group=True))
    _, dom = page("/search?q=法治&group=report&limit=2&page=2")
    assert [n.attributes["data-matches"] for n in dom.css("li.group [data-matches]")] == \
        [str(g.matches) for g in grouped.groups]
    pages = [a.text() for a in dom.css(".pager a, .pager [aria-current=page]") if a.text().isdigit()]
    assert max(map(int, pages)) == -(-grouped.total_groups // 2)


# --- when nothing matches, or the request is wrong ---------------------------------------------

def test_an_empty_result_explains_itself_and_offers_no_dead_end(page):
    _, dom = page("/search?q=复议枫桥&group=paragraph")
    empty = dom.css_first(".empty")
    assert "复议 枫桥" in empty.css_first("code").text(), "it says what was required: both words"
    # The exact form "复议枫桥" holds both words, so it finds nothing either: not offered.
    assert dom.css("[data-suggestion]") == []
    assert "近义词" in empty.text(), "the general advice stays"


def test_an_empty_exact_search_suggests_the_word_form(page):
    _, dom = page('/search?q="复议的纠错"')
    assert dom.css_first(".empty") is not None
    suggestion = dom.css_first("[data-suggestion]")
    assert suggestion.text() == "复议的纠错"
    assert "，1 段）" in suggestion.parent.text(), "the suggestion says what it would find"
    _, words = page(suggestion.attributes["href"])
    assert words.css_first("[data-total]").text() == "1"


def test_an_empty_result_under_filters_says_so(page):
    # No report in the test corpus covers 2015.
    _, dom = page(f"/search?q={QUERY}&year=2015")
    text = dom.css_first(".empty").text()
    assert "筛选条件" in text


@pytest.mark.parametrize("url, words", [
    ("/search?q=" + "法" * 501, "检索式过长"),
    ("/search?q=法治&page=101", "翻页过深"),
    ("/search?q=法治&page=0", "页码"),
    ("/search?q=法治&page=two", "整数"),
    ("/search?q=法治&limit=1000", "limit"),
    ("/search?q=法治&sort=random", "排序"),
    ("/search?q=法治&group=year", "分组"),
    ("/search?q=法治&year=去年", "year"),
    ('/search?q="法治', "quote"),
])
def test_requests_that_cannot_be_run_get_a_clear_400_and_keep_the_search_box(page, url, words):
    _, dom = page(url, status=400)
    assert words in dom.css_first(".notice").text()
    assert dom.css_first("form.searchbar input[name=q]") is not None


@pytest.mark.parametrize("path", ["/", "/search?q=法治", "/kwic?q=法治", "/stats?q=法治", "/help", "/p/nothing"])
def test_no_search_box_cuts_what_is_pasted_into_it(client, path):
    # A maxlength cut a pasted 3,000-character query at 500, mid-word, without a word; the server
    # refuses a query that is too long with a message instead (issue 21, item 4).
    html = client.get(path).get_data(as_text=True)
    assert "maxlength" not in html


def test_a_query_too_long_is_refused_saying_how_long_and_stays_whole_in_the_box(page):
    pasted = "行政复议纠错率" * 430
    _, dom = page("/search?q=" + pasted, status=400)
    notice = dom.css_first(".notice").text()
    assert "检索式过长" in notice and f"共 {len(pasted)} 字" in notice and "上限 500 字" in notice
    assert dom.css_first("form.searchbar input[name=q]").attributes["value"] == pasted


# --- the JSON twin ---------------------------------------------------------------------------

def test_api_search_pages_by_page_and_refuses_an_offset_it_would_ignore(client):
    second = client.get("/api/search?q=法治&limit=3&page=2").get_json()
    assert second["offset"] == 3 and second["page"] == 2
    refused = client.get("/api/search?q=法治&offset=3")
    assert refused.status_code == 400 and "page" in refused.get_json()["error"]


def test_api_search_is_the_clis_json_shape_for_the_same_query(client, index_dir, capsys):
    assert cli_main(["search", QUERY, "--index", str(index_dir), "--json", "--year", "2021"]) == 0
    cli = json.loads(capsys.readouterr().out)
    api = client.get(f"/api/search?q={QUERY}&year=2021&limit=10").get_json()
    for volatile in ("took_ms",):
        cli.pop(volatile), api.pop(volatile)
    extra = {"page", "pages", "links"}   # what only the web adds
    assert set(api) - extra == set(cli)
    assert {k: api[k] for k in cli} == cli


def test_api_search_hits_carry_the_documented_fields(client):
    data = client.get(f"/api/search?q={QUERY}").get_json()
    assert {"query", "total", "took_ms", "hits", "facets", "understood"} <= set(data)
    fields = {"pid", "doc_id", "title", "province", "city", "county", "township", "level", "report_year",
              "section_kind", "section_heading", "text", "snippet", "url"}
    assert data["hits"] and all(fields <= set(hit) for hit in data["hits"])
    assert data["facets"]["province"]["四川省"] >= 1


def test_api_search_links_to_its_html_page_the_next_page_and_the_export(client):
    data = client.get("/api/search?q=法治&limit=2").get_json()
    assert args_of(data["links"]["html"]) == {"q": "法治", "limit": "2"}
    assert args_of(data["links"]["next"]) == {"q": "法治", "limit": "2", "page": "2"}
    assert data["links"]["csv"] == "/export.csv?q=%E6%B3%95%E6%B2%BB"
    last = client.get(f"/api/search?q=法治&limit=2&page={data['pages']}").get_json()
    assert last["links"]["next"] is None


@pytest.mark.parametrize("url", ["/api/search?q=" + "法" * 501, "/api/search?q=法治&page=9999",
                                 '/api/search?q="法治', "/api/search?year=nineteen"])
def test_api_errors_are_json_with_a_message(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.is_json and response.get_json()["error"]


def test_every_help_example_is_a_link_that_runs(client, page):
    _, dom = page("/help")
    links = [a.attributes["href"] for a in dom.css("table.syntax a")]
    assert len(links) >= 10
    for href in links:
        response = client.get(href)
        assert response.status_code == 200, href
        assert b"data-total" in response.data, href


def test_help_has_a_json_twin_with_the_same_examples(client, page):
    _, dom = page("/help")
    data = client.get("/api/help").get_json()
    assert [row["query"] for row in data["syntax"]] == [c.text() for c in dom.css("table.syntax td code")]
    assert {"year", "province", "section"} <= set(data["field_aliases"])
    assert [f["param"] for f in data["facets"]][:4] == ["year", "province", "city", "county"]


def test_a_filter_given_twice_takes_either_value(client):
    twice = client.get("/api/search?q=法治&year=2021&year=2022").get_json()
    either = client.get("/api/search?q=法治&year=2021|2022").get_json()
    assert twice["total"] == either["total"] > client.get("/api/search?q=法治&year=2021").get_json()["total"]
    assert twice["filters"] == {"year": "2021|2022"}


def test_a_place_no_report_is_from_says_so(page, client):
    _, dom = page("/search?q=法治&province=火星")
    assert "没有来自“火星”的报告" in dom.css_first(".problems").text()
    assert client.get("/api/search?q=法治 省份:火星").get_json()["problems"] == [
        "no report in the index is from province '火星'"]
    assert client.get("/api/search?q=法治&province=四川").get_json()["problems"] == []


def test_the_report_page_leads_back_to_the_search_it_was_opened_from(page):
    search = f"/search?q={QUERY}&province=四川&sort=newest"
    _, dom = page(search)
    href = dom.css_first(".group-title a").attributes["href"]
    _, report = page(href)
    assert args_of(report.css_first("[data-back]").attributes["href"]) == args_of(search)
    _, bare = page(href.split("?")[0])
    assert bare.css_first("[data-back]") is None


def test_the_facets_say_they_count_paragraphs_not_reports(page, library):
    _, dom = page("/search?q=法律顾问")
    assert dom.css_first("[data-facet-unit]").text() == "各项数字为同段含全部检索词的段落数（不是报告数）"
    year, count = library.search(SearchRequest(q="法律顾问", limit=0)).facets["report_year"][0]
    assert count == library.search(SearchRequest(q="法律顾问", year=str(year), limit=0)).total   # paragraphs
    _, dom = page("/")
    assert dom.css_first("[data-facet-unit]").text() == "各项数字为段落数（不是报告数）"
