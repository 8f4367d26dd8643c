"""Concordance (/kwic) and distribution (/stats) in the web UI, hand-counted on tests/corpus_reuse.

From tests/corpus_reuse/EXPECTED.md: "行政复议" occurs 24 times in 9 paragraphs —
武侯 2, 锦江 6, 涪城 5, 西湖 2, 上城 7, 玄武 2. Paragraph characters per year:
2019 236, 2020 495, 2021 396, 2023 124 (1251 in all); no report is from 2022.
"""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest

from searchlib.research import stats
from webui import create_app

SVG = "{http://www.w3.org/2000/svg}"
PER_COUNTY = {"武侯区": 2, "锦江区": 6, "涪城区": 5, "西湖区": 2, "上城区": 7, "玄武区": 2}


def args_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def kwic_rows(dom) -> list[dict]:
    return [{"left": tr.css_first("td.left").text(), "match": tr.css_first("td.match").text(),
             "right": tr.css_first("td.right").text(), "year": tr.css_first("td.year").text(),
             "where": tr.css_first("td.where").text(), "link": tr.css_first("td.match a").attributes["href"]}
            for tr in dom.css("[data-kwic-row]")]


def read_csv(response) -> list[dict]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "a UTF-8 BOM, or Excel shows mojibake"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def small_limits_client(reuse_index_dir):
    app = create_app({"INDEX_DIR": str(reuse_index_dir), "TESTING": True, "KWIC_MAX_ROWS": 5,
                      "KWIC_MAX_PARAGRAPHS": 4})
    return app.test_client()


# --- concordance -----------------------------------------------------------------------------

def test_kwic_lists_every_occurrence_as_left_match_right(reuse_page):
    _, dom = reuse_page("/kwic?q=行政复议")
    rows = kwic_rows(dom)
    assert dom.css_first("[data-total]").text() == "24" and len(rows) == 24
    assert "见于 9 段" in dom.css_first(".summary .count").text()
    assert all(r["match"] == "行政复议" for r in rows)
    assert Counter(r["where"].split()[-1] for r in rows) == PER_COUNTY


def test_each_kwic_row_links_to_its_paragraphs_permalink_with_the_query(reuse_page, reuse_library):
    _, dom = reuse_page("/kwic?q=行政复议&province=江苏")
    [row] = kwic_rows(dom)[:1]
    pid = urlsplit(row["link"]).path.removeprefix("/p/")
    text = reuse_library.paragraph(pid)["text"]
    assert row["left"] + row["match"] + row["right"] in text
    assert args_of(row["link"]) == {"q": ["行政复议"]}


def test_kwic_context_width_is_in_the_url(reuse_page):
    _, dom = reuse_page("/kwic?q=行政复议&width=5")
    rows = kwic_rows(dom)
    assert max(len(r["left"]) for r in rows) == 5 and max(len(r["right"]) for r in rows) == 5


@pytest.mark.parametrize("sort, key", [
    ("left", lambda r: r["left"][::-1]), ("right", lambda r: r["right"]), ("year", lambda r: r["year"])])
def test_kwic_sorts_by_left_or_right_context_or_year(reuse_page, sort, key):
    _, dom = reuse_page(f"/kwic?q=行政复议&sort={sort}")
    rows = kwic_rows(dom)
    assert [key(r) for r in rows] == sorted(key(r) for r in rows)


def test_kwic_sorts_by_region_province_first(reuse_page):
    _, dom = reuse_page("/kwic?q=行政复议&sort=region")
    provinces = [r["where"].split()[0] for r in kwic_rows(dom)]
    assert provinces == sorted(provinces) and len(set(provinces)) == 3


def test_kwic_column_headers_switch_the_sort_and_keep_the_rest(reuse_page):
    _, dom = reuse_page("/kwic?q=行政复议&province=浙江&width=8")
    link = dom.css_first("th.right a").attributes["href"]
    assert args_of(link) == {"q": ["行政复议"], "province": ["浙江"], "sort": ["right"], "width": ["8"]}
    assert dom.css_first("th.left [aria-current]") is not None


def test_kwic_takes_the_search_filters(reuse_page):
    _, dom = reuse_page("/kwic?q=行政复议&province=浙江&year=2021")
    assert Counter(r["where"].split()[-1] for r in kwic_rows(dom)) == {"西湖区": 2, "上城区": 7}


def test_kwic_json_twin_has_the_same_rows(reuse_client, reuse_page):
    _, dom = reuse_page("/kwic?q=行政复议&sort=right&width=6")
    data = reuse_client.get("/api/kwic?q=行政复议&sort=right&width=6").get_json()
    assert (data["total"], data["paragraphs"], data["shown"], data["truncated"]) == (24, 9, 24, False)
    assert [(r["left"], r["match"], r["right"]) for r in data["rows"]] == \
        [(r["left"], r["match"], r["right"]) for r in kwic_rows(dom)]
    assert data["links"]["csv"].startswith("/kwic.csv?")


def test_kwic_csv_is_every_row_with_absolute_permalinks(reuse_client):
    response = reuse_client.get("/kwic.csv?q=行政复议&sort=year")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = read_csv(response)
    assert len(rows) == 24 == int(response.headers["X-Total-Rows"])
    assert list(rows[0]) == ["pid", "doc_id", "title", "year", "province", "city", "county", "left", "match",
                             "right", "start", "url"]
    assert rows[0]["year"] == "2019" and rows[0]["url"] == f"http://127.0.0.1:8000/p/{rows[0]['pid']}"


def test_kwic_rows_stop_at_the_page_limit_and_say_so(small_limits_client):
    response = small_limits_client.get("/kwic?q=行政复议&province=浙江")   # 4 paragraphs, 9 rows
    html = response.get_data(as_text=True)
    assert html.count("data-kwic-row") == 5 and "只显示前 5 处" in html
    data = small_limits_client.get("/api/kwic?q=行政复议&province=浙江").get_json()
    assert (data["total"], data["shown"], data["truncated"]) == (9, 5, True)


def test_kwic_over_too_many_paragraphs_asks_to_narrow_with_year_links(small_limits_client):
    response = small_limits_client.get("/kwic?q=行政复议")            # 9 paragraphs, the cap is 4
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "data-refused" in html and "匹配 9 段" in html and "data-kwic-row" not in html
    assert "/kwic?q=%E8%A1%8C%E6%94%BF%E5%A4%8D%E8%AE%AE&amp;year=2020" in html
    data = small_limits_client.get("/api/kwic?q=行政复议").get_json()
    assert data["rows"] == [] and "9 段" in data["refused"]
    refused_csv = small_limits_client.get("/kwic.csv?q=行政复议")
    assert refused_csv.status_code == 400 and "9 段" in refused_csv.get_data(as_text=True)


def test_kwic_without_a_query_explains_itself(reuse_page):
    _, dom = reuse_page("/kwic")
    assert "索引行" in dom.css_first(".intro h1").text() and dom.css_first("[data-kwic]") is None


def test_kwic_of_filters_alone_says_a_word_is_needed(reuse_page):
    _, dom = reuse_page("/kwic?q=year:2021")
    assert "没有可标出的词" in dom.css_first(".empty").text()


@pytest.mark.parametrize("url, words", [("/kwic?q=复议&sort=up", "sort"), ("/kwic?q=复议&width=0", "width"),
                                        ("/kwic?q=复议&width=abc", "width"), ('/kwic?q="复议', "检索")])
def test_kwic_parameters_that_cannot_be_used_get_a_400_with_a_message(reuse_client, url, words):
    response = reuse_client.get(url)
    assert response.status_code == 400 and words in response.get_data(as_text=True)
    api = reuse_client.get(url.replace("/kwic", "/api/kwic"))
    assert api.status_code == 400 and api.get_json()["error"]


# --- distribution --------------------------------------------------------------------------

def stats_rows(dom) -> dict[str, list[str]]:
    return {tr.attributes["data-cell"]: [td.text() for td in tr.css("td")] for tr in dom.css("[data-cell]")}


def test_stats_by_year_shows_coverage_counts_and_rates_with_the_gap_year_empty(reuse_page):
    _, dom = reuse_page('/stats?q="行政复议"')
    rows = stats_rows(dom)
    assert list(rows) == ["2019", "2020", "2021", "2022", "2023", "全部"]
    assert rows["2019"] == ["1", "236", "1", "1", "100", "42.37"]
    assert rows["2020"][:4] == ["2", "495", "3", "2"]
    assert rows["2021"][:4] == ["2", "396", "4", "2"]
    assert rows["2022"] == ["语料中无报告（空缺）"], "a year without reports is a gap, never a zero"
    assert rows["全部"][:4] == ["6", "1251", "9", "6"]


def test_stats_compares_queries_given_as_repeated_q(reuse_page):
    _, dom = reuse_page('/stats?q="行政复议"&q=出庭应诉')
    headers = [th.text() for th in dom.css("th.q")]
    assert headers == ['Q1："行政复议"', "Q2：出庭应诉"]
    assert len(stats_rows(dom)["2019"]) == 2 + 4 * 2
    boxes = [i.attributes.get("value") for i in dom.css("[data-stats-form] input[name=q]")]
    assert boxes == ['"行政复议"', "出庭应诉", "", ""]


def test_stats_shows_the_chart_inline_as_svg(reuse_page, reuse_library):
    response, dom = reuse_page('/stats?q="行政复议"')
    chart = dom.css_first("[data-chart] svg")
    assert chart is not None and chart.css("polyline")
    assert "<script" not in response.get_data(as_text=True).split("<main", 1)[1]


def test_stats_svg_is_the_librarys_chart_for_a_paper(reuse_client, reuse_library):
    response = reuse_client.get('/stats.svg?q="行政复议"&metric=per_10k_chars')
    assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    expected = stats.to_svg(stats.distribution(reuse_library, ['"行政复议"']), metric="per_10k_chars")
    assert response.get_data(as_text=True) == expected
    assert ET.fromstring(response.get_data()).tag == f"{SVG}svg"


def test_stats_by_province_lists_every_province_and_shows_the_uncovered_as_gaps(reuse_page):
    _, dom = reuse_page('/stats?q="行政复议"&by=province')
    rows = stats_rows(dom)
    assert len(rows) == 31 + 1
    assert rows["四川省"][:4] == ["3", "731", "4", "3"]
    assert rows["北京市"] == ["语料中无报告（空缺）"]


def test_stats_filters_narrow_the_coverage_too(reuse_page):
    _, dom = reuse_page('/stats?q="行政复议"&by=city&province=四川')
    rows = stats_rows(dom)
    assert rows["成都市"][:4] == ["2", "496", "3", "2"] and rows["绵阳市"][:4] == ["1", "235", "1", "1"]
    assert rows["全部"][:2] == ["3", "731"]


def test_stats_csv_is_long_format_with_gaps_left_empty(reuse_client):
    rows = read_csv(reuse_client.get('/stats.csv?q="行政复议"&q=出庭应诉'))
    assert list(rows[0]) == list(stats.CSV_COLUMNS)
    assert len(rows) == 2 * 6                                 # 2 queries x (5 years + all)
    gap = next(r for r in rows if r["cell"] == "2022")
    assert (gap["corpus_reports"], gap["paragraphs"], gap["per_100_reports"]) == ("", "", "")


def test_stats_csv_cells_never_run_as_spreadsheet_formulas(reuse_client):
    rows = read_csv(reuse_client.get("/stats.csv?q=-出庭应诉 行政复议"))
    assert rows[0]["query"] == "'-出庭应诉 行政复议"


def test_api_stats_is_the_librarys_table_with_links(reuse_client, reuse_library):
    data = reuse_client.get('/api/stats?q="行政复议"&by=province&province=浙江').get_json()
    expected = stats.distribution(reuse_library, ['"行政复议"'], by="province", filters={"province": "浙江"})
    links = data.pop("links")
    assert data == expected.to_dict()
    assert args_of(links["html"]) == {"q": ['"行政复议"'], "province": ["浙江"], "by": ["province"]}
    assert links["svg"].startswith("/stats.svg?") and links["csv"].startswith("/stats.csv?")


def test_stats_without_a_query_shows_the_form_and_the_api_asks_for_one(reuse_page, reuse_client):
    _, dom = reuse_page("/stats")
    assert dom.css_first("[data-stats]") is None and dom.css_first("[data-stats-form]") is not None
    response = reuse_client.get("/api/stats")
    assert response.status_code == 400 and "q=" in response.get_json()["error"]


@pytest.mark.parametrize("url, words", [("/stats?q=a&q=b&q=c&q=d&q=e", "4"), ("/stats?q=复议&by=town", "by"),
                                        ("/stats?q=复议&metric=pie", "metric"), ('/stats?q="复议', "检索")])
def test_stats_parameters_that_cannot_be_used_get_a_400_with_a_message(reuse_client, url, words):
    response = reuse_client.get(url)
    assert response.status_code == 400 and words in response.get_data(as_text=True)


# --- moving between the views of one query -------------------------------------------------

def view_links(dom) -> dict[str, str]:
    return {a.attributes["data-view"]: a.attributes["href"] for a in dom.css("nav.views a")}


def test_search_links_to_the_concordance_and_distribution_of_the_same_query(reuse_page):
    _, dom = reuse_page("/search?q=行政复议&province=四川&sort=newest&page=1")
    links = view_links(dom)
    assert urlsplit(links["kwic"]).path == "/kwic" and urlsplit(links["stats"]).path == "/stats"
    for view in ("kwic", "stats"):
        assert args_of(links[view]) == {"q": ["行政复议"], "province": ["四川"]}


def test_kwic_and_stats_link_back_keeping_query_and_filters(reuse_page):
    _, dom = reuse_page("/kwic?q=行政复议&year=2020&sort=right")
    assert args_of(view_links(dom)["search"]) == {"q": ["行政复议"], "year": ["2020"]}
    _, dom = reuse_page("/stats?q=行政复议&q=出庭应诉&year=2020&by=province")
    assert args_of(view_links(dom)["kwic"]) == {"q": ["行政复议"], "year": ["2020"]}


def test_the_boilerplate_choice_follows_to_the_concordance_but_not_the_distribution(reuse_page):
    _, dom = reuse_page('/search?q="执法"&boilerplate=hide')
    links = view_links(dom)
    assert args_of(links["kwic"])["boilerplate"] == ["hide"]
    assert "boilerplate" not in args_of(links["stats"])
    _, dom = reuse_page('/kwic?q="执法"&boilerplate=hide')
    assert {r["where"].split()[-1] for r in kwic_rows(dom)} == {"武侯区", "锦江区", "西湖区"}


def test_help_documents_the_research_views(page, client):
    _, dom = page("/help")
    text = dom.css_first("#views").parent.text()
    for words in ("/kwic", "/stats", "boilerplate=hide|only", "另见于 N 份其他报告"):
        assert words in text
    data = client.get("/api/help").get_json()
    assert [v["path"] for v in data["views"]] == ["/kwic", "/stats"]
    for view in data["views"]:
        assert client.get(view["example"]).status_code == 200


def test_the_tabs_of_a_distribution_of_every_file_lead_to_pages_that_answer(page, client):
    # genre=all is the distribution's "every file"; the search and the concordance count every file already.
    _, dom = page("/stats?q=法律顾问&genre=all")
    for link in dom.css(".tabs a, nav.views a, [data-view] a, a[href^='/search?'], a[href^='/kwic?']"):
        href = link.attributes.get("href", "")
        if href.startswith(("/search?", "/kwic?")):
            assert "genre=all" not in href
            assert client.get(href).status_code == 200, href
