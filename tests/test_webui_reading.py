"""Reading: a paragraph's permalink page, the whole report, their JSON twins, and citations."""
from __future__ import annotations

import datetime as dt

import pytest

from searchlib.query.search import SearchRequest
from webui.present import author, citation

QUERY = "行政复议"


@pytest.fixture(scope="module")
def hotline(library):
    """The Wuhou 2023 report (tests/corpus_extra/hotline_2023.txt): its paragraphs in reading order."""
    hit = library.search(SearchRequest(q="１２３４５热线", limit=1)).hits[0]
    return library.report(hit.doc_id)


# --- the permalink page ---------------------------------------------------------------------

def test_permalink_page_shows_the_paragraph_its_neighbours_section_and_report(page, hotline):
    before, target, after = hotline[0], hotline[1], hotline[2]
    _, dom = page(f"/p/{target['pid']}")
    assert dom.css_first("[data-focus]").text() == target["text"]
    assert dom.css_first(".context.before").text() == before["text"]
    assert dom.css_first(".context.after").text() == after["text"]
    assert target["heading"] in dom.css_first(".where").text()
    assert f"第 2 段 / 共 {len(hotline)} 段" in dom.css_first(".where").text()
    assert dom.css_first("h1").text() == target["title"]
    meta = dom.css_first(".meta").text()
    assert "武侯区" in meta and "2023" in meta and "2024-02-20" in meta


def test_the_first_paragraph_has_no_previous_and_the_last_no_next(page, hotline):
    _, first = page(f"/p/{hotline[0]['pid']}")
    assert first.css_first(".context.before") is None and first.css_first(".context.after") is not None
    _, last = page(f"/p/{hotline[-1]['pid']}")
    assert last.css_first(".context.after") is None and last.css_first(".context.before") is not None


def test_permalink_reached_from_a_search_highlights_the_query(page, hotline):
    _, plain = page(f"/p/{hotline[1]['pid']}")
    assert plain.css_first("[data-focus] mark") is None
    _, marked = page(f"/p/{hotline[1]['pid']}?q={QUERY}")
    assert [m.text() for m in marked.css("[data-focus] mark")] == [QUERY] * hotline[1]["text"].count(QUERY)
    back = marked.css_first(".crumbs a").attributes["href"]
    assert back.startswith("/search?q=")


def test_permalink_links_to_the_whole_report_at_that_paragraph(page, hotline):
    pid, doc_id = hotline[1]["pid"], hotline[1]["doc_id"]
    _, dom = page(f"/p/{pid}?q={QUERY}")
    href = dom.css_first("[data-read-report]").attributes["href"]
    assert href.startswith(f"/d/{doc_id}?") and href.endswith(f"#{pid}")


def test_permalink_offers_a_gbt_7714_citation_with_a_paragraph_locator(page, hotline):
    pid = hotline[1]["pid"]
    _, dom = page(f"/p/{pid}")
    text = dom.css_first("#citation").text()
    today = dt.date.today().isoformat()
    assert text == (f"成都市武侯区人民政府. 关于成都市武侯区2023年法治政府建设情况的报告[EB/OL]. "
                    f"2024: 第2段(2024-02-20)[{today}]. http://127.0.0.1:8000/p/{pid}.")
    button = dom.css_first("button[data-copy-target=citation]")
    assert button is not None and "hidden" in button.attributes, "the copy button appears only with JavaScript"


def test_unknown_paragraph_gets_a_friendly_404_with_a_search_box(page):
    response, dom = page("/p/000000000000-deadbeef?q=复议", status=404)
    assert "没有编号为 000000000000-deadbeef 的段落" in dom.css_first(".notice").text()
    assert dom.css_first(".notice input[name=q]").attributes["value"] == "复议"
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_paragraph_gone_from_a_report_still_there_leads_to_the_report(page, client, hotline):
    doc_id = hotline[0]["doc_id"]
    _, dom = page(f"/p/{doc_id}-00000000", status=404)
    assert f"报告 {doc_id} 中没有编号为 {doc_id}-00000000 的段落" in dom.css_first(".notice").text()
    assert dom.css_first("[data-error-link]").attributes["href"] == f"/d/{doc_id}"
    assert client.get(f"/api/p/{doc_id}-00000000").get_json()["link"] == f"/d/{doc_id}"
    _, dom = page("/p/000000000000-deadbeef", status=404)
    assert dom.css_first("[data-error-link]") is None, "no report to lead to"


def test_api_paragraph_is_the_pages_json_twin(client, hotline):
    pid = hotline[1]["pid"]
    data = client.get(f"/api/p/{pid}?q={QUERY}").get_json()
    assert data["paragraph"]["text"] == hotline[1]["text"]
    assert data["paragraph"]["highlighted"].count(f"<mark>{QUERY}</mark>") == hotline[1]["text"].count(QUERY) == 3
    assert data["paragraph"]["paragraph_number"] == 2
    assert data["previous"]["pid"] == hotline[0]["pid"] and data["next"]["pid"] == hotline[2]["pid"]
    assert data["report"]["title"] == hotline[1]["title"] and data["report"]["locality"] == "四川省 成都市 武侯区"
    assert "第2段" in data["citation"]
    assert data["links"]["report"].endswith(f"#{pid}")


def test_api_paragraph_unknown_is_a_json_404(client):
    response = client.get("/api/p/nope")
    assert response.status_code == 404 and response.get_json()["error"]


# --- the whole report ----------------------------------------------------------------------------

def test_report_page_shows_every_paragraph_anchored_at_its_pid(page, hotline):
    _, dom = page(f"/d/{hotline[0]['doc_id']}")
    paras = dom.css("article p.para")
    assert [p.attributes["id"] for p in paras] == [h["pid"] for h in hotline]
    for node, stored in zip(paras, hotline):
        assert node.text().endswith(stored["text"])
        assert node.css_first("a.para-link").attributes["href"] == f"/p/{stored['pid']}"


def test_report_page_has_a_table_of_contents_by_section(page, hotline):
    _, dom = page(f"/d/{hotline[0]['doc_id']}")
    toc = [(a.attributes["href"], a.text()) for a in dom.css(".toc li a")]
    headings = list(dict.fromkeys(h["heading"] for h in hotline))
    assert [text for _, text in toc] == headings
    for href, _ in toc:
        assert dom.css_first(href) is not None, f"the table of contents points at {href}"


def test_report_page_highlights_a_query_and_counts_the_paragraphs_with_it(page, hotline):
    _, dom = page(f"/d/{hotline[0]['doc_id']}?q={QUERY}")
    marked = {p.attributes["id"] for p in dom.css("p.para") if p.css_first("mark")}
    assert marked == {h["pid"] for h in hotline if QUERY in h["text"]}
    assert dom.css_first("[data-matches]").text().startswith(f"“{QUERY}”：本报告 {len(marked)} 段含全部检索词（已标亮）")


def test_report_page_tells_paragraphs_with_every_word_from_those_with_some(page, hotline):
    # 12345热线 and 纠错 share no paragraph of this report: each is marked, none holds both.
    _, dom = page(f"/d/{hotline[0]['doc_id']}?q=热线 纠错率")
    marked = [p for p in dom.css("p.para") if p.css_first("mark")]
    assert len(marked) == sum("热线" in h["text"] or "纠错" in h["text"] for h in hotline) >= 2
    assert dom.css_first("[data-matches]").text().startswith(
        f"“热线 纠错率”：本报告没有一段含全部检索词；{len(marked)} 段含部分检索词或其同义、拆分形式（已标亮）")
    _, dom = page(f"/d/{hotline[0]['doc_id']}?q=行政复议 纠错率")
    assert dom.css_first("[data-matches]").text().startswith("“行政复议 纠错率”：本报告 1 段含全部检索词，另 ")


def test_unknown_report_gets_a_friendly_404(page):
    _, dom = page("/d/ffffffffffff", status=404)
    assert "没有编号为 ffffffffffff 的报告" in dom.text()


def test_api_report_is_the_pages_json_twin(client, hotline):
    data = client.get(f"/api/d/{hotline[0]['doc_id']}").get_json()
    assert data["paragraph_total"] == len(hotline)
    pids = [p["pid"] for s in data["sections"] for p in s["paragraphs"]]
    assert pids == [h["pid"] for h in hotline]
    assert [s["heading"] for s in data["sections"]] == list(dict.fromkeys(h["heading"] for h in hotline))
    assert "[EB/OL]. (2024-02-20)[" in data["citation"] and "段" not in data["citation"]
    assert data["report"]["source"] == "hotline_2023.txt", "no server directories in what the app shows"


def test_a_traditional_script_report_without_title_or_place_still_reads(tmp_path):
    from searchlib.index.indexing import build_index
    from webui import create_app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # No title line, no place: the page starts with the body, in traditional script.
    (corpus / "untitled.txt").write_text("今年以來,我們深化行政復議體制改革,全年辦理行政復議案件12件。\n"
                                         "一、主要做法\n(一)推進公共法律服務。實現一村一法律顧問全覆蓋。\n",
                                         encoding="utf-8")
    build_index([corpus], tmp_path / "index", rebuild=True)
    client = create_app({"INDEX_DIR": str(tmp_path / "index"), "TESTING": True}).test_client()
    data = client.get("/api/search?q=行政复议").get_json()
    (hit,) = data["hits"]
    assert hit["title"] is None
    html = client.get(f"/d/{hit['doc_id']}").get_data(as_text=True)
    assert "（无题名）" in html and "[无题名][EB/OL]" in html


# --- citations (GB/T 7714-2015, electronic resource) -------------------------------------------

TODAY = dt.date(2025, 1, 5)


def test_citation_prefers_the_publisher_the_page_names():
    meta = {"publisher": "眉山市东坡区人民政府", "title": "关于2021年法治政府建设情况的报告",
            "publish_date": "2022-03-02", "county": "东坡区", "city": "眉山市", "body": "government"}
    assert citation(meta, 5, "http://x/p/a", TODAY) == (
        "眉山市东坡区人民政府. 关于2021年法治政府建设情况的报告[EB/OL]. 2022: 第5段(2022-03-02)[2025-01-05]. http://x/p/a.")


@pytest.mark.parametrize("meta, expected", [
    ({"body": "government", "province": "四川省", "city": "成都市", "county": "武侯区", "division_code": "510107"},
     "成都市武侯区人民政府"),
    ({"body": "government", "province": "天津市", "city": "天津市", "county": "滨海新区", "division_code": "120116"},
     "天津市滨海新区人民政府"),
    ({"body": "government", "county": "薛城区", "township": "常庄街道", "division_code": "370403005"}, "常庄街道办事处"),
    ({"body": "government", "township": "新民乡", "division_code": "511423201"}, "新民乡人民政府"),
    ({"body": "government", "province": "四川省", "division_code": "510000"}, "四川省人民政府"),
    ({"body": "department", "county": "武侯区", "division_code": "510107"}, "佚名"),
    ({}, "佚名"),
])
def test_citation_author_falls_back_to_the_government_of_a_place_pinned_to_one_division(meta, expected):
    assert author(meta) == expected


def test_citation_author_is_never_taken_from_a_place_the_page_does_not_pin_down():
    # Issue 23: no division code means the place is partly inferred; 佚名 says "not known", honestly.
    assert author({"body": "government", "province": "四川省", "city": "成都市", "county": "武侯区"}) == "佚名"


def test_citation_of_an_untitled_report_gives_an_honest_label_not_no_title():
    meta = {"province": "四川省", "city": "成都市", "county": "武侯区", "report_year": 2021}
    assert citation(meta, 2, "http://x/p/a", TODAY).startswith(
        "佚名. [四川省成都市武侯区2021年报告（原文无题名）][EB/OL]. ")


def test_citation_of_an_untitled_news_item_or_notice_does_not_call_it_a_report():
    meta = {"province": "山西省", "report_year": 2025, "genre": "other"}
    assert citation(meta, 1, "http://x/p/a", TODAY).startswith("佚名. [山西省2025年文件（原文无题名）][EB/OL]. ")


def test_citation_cites_the_original_url_when_it_is_known():
    meta = {"title": "某报告", "publish_date": "2022-03-02", "url": "http://www.wuhou.gov.cn/a.html"}
    assert citation(meta, 3, "http://x/p/a", TODAY) == \
        "佚名. 某报告[EB/OL]. 2022: 第3段(2022-03-02)[2025-01-05]. http://www.wuhou.gov.cn/a.html."


def test_citation_without_a_publish_date_says_so():
    assert citation({"title": "某报告"}, 3, "http://x/p/a", TODAY) == \
        "佚名. 某报告[EB/OL]. [出版年不详]: 第3段[2025-01-05]. http://x/p/a."


def test_citation_of_a_whole_report_has_no_locator():
    meta = {"title": "某报告", "publish_date": "2022-03-02"}
    assert citation(meta, None, "http://x/d/a", TODAY) == "佚名. 某报告[EB/OL]. (2022-03-02)[2025-01-05]. http://x/d/a."
    assert citation({"title": "某报告"}, None, "http://x/d/a", TODAY) == "佚名. 某报告[EB/OL]. [2025-01-05]. http://x/d/a."
