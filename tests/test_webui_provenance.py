"""Where a report came from, on the pages, in the exports and in citations; non-reports marked (issue 23).

A real index built from a folder with a manifest, served by the real app through its test client.
"""
from __future__ import annotations

import csv
import io

import pytest
from selectolax.lexbor import LexborHTMLParser

from searchlib.index.indexing import build_index
from webui import create_app

REPORT = ("岳池县人民政府关于2021年法治政府建设情况的报告\n发布日期:2022-03-01  发布机构:岳池县人民政府\n"
          "2021年,岳池县坚持依法行政,行政复议决定纠错12件,普法宣传覆盖全县。\n"
          "一、主要工作\n(一)健全依法决策机制。县政府常务会议审议重大事项前均经合法性审查,行政复议工作规范。\n")
PLAN = ("渠县2022年普法依法治理工作要点\n发布日期:2022-02-01\n"
        "为深入推进全县普法依法治理工作,现将行政复议宣传等工作安排如下。\n一、强化组织领导\n各乡镇要落实普法责任制。"
        "去年行政机关负责人出庭应诉率达到100%。\n")
URL = "http://www.yuechi.gov.cn/zwgk/2022/fzzf.html"
MIRROR_URL = "http://www.gasc.gov.cn/xxgk/fzzf.html"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prov")
    (folder / "a.txt").write_text(REPORT, encoding="utf-8")
    (folder / "mirror.txt").write_text(REPORT, encoding="utf-8")
    (folder / "plan.txt").write_text(PLAN, encoding="utf-8")
    (folder / "manifest.csv").write_text(f"path,url,fetched_at\na.txt,{URL},2024-05-01\n"
                                         f"mirror.txt,{MIRROR_URL},2024-05-03\n", encoding="utf-8")
    index = tmp_path_factory.mktemp("prov-index")
    summary = build_index([folder], index, rebuild=True)
    assert summary.reports == 2 and len(summary.merged) == 1
    return create_app({"INDEX_DIR": str(index), "TESTING": True}).test_client()


def hit_for(client, q: str) -> dict:
    hits = client.get(f"/api/search?q={q}").get_json()["hits"]
    assert hits
    return hits[0]


def test_a_hit_carries_its_source_url_and_capture_date(client):
    hit = hit_for(client, "纠错")
    assert hit["source_url"] == URL and hit["fetched_at"] == "2024-05-01" and hit["genre"] == "report"


def test_the_permalink_page_shows_every_source_url_and_cites_the_original(client):
    hit = hit_for(client, "纠错")
    dom = LexborHTMLParser(client.get(hit["url"]).get_data(as_text=True))
    urls = [a.attributes["href"] for a in dom.css("[data-source-url]")]
    assert urls == [URL, MIRROR_URL]
    assert "2024-05-01" in dom.css_first("[data-source-urls]").text()
    assert dom.css_first("[data-fetched-at]").text() == "2024-05-01"
    citation = dom.css_first("#citation").text()
    assert citation.startswith("岳池县人民政府. 岳池县人民政府关于2021年法治政府建设情况的报告[EB/OL]. 2022: 第")
    assert citation.endswith(f"{URL}.")


def test_the_report_page_shows_the_sources_too(client):
    hit = hit_for(client, "纠错")
    dom = LexborHTMLParser(client.get(f"/d/{hit['doc_id']}").get_data(as_text=True))
    assert [a.attributes["href"] for a in dom.css("[data-source-url]")] == [URL, MIRROR_URL]
    assert "同一文本共 2 个来源" in dom.css_first("[data-copies]").text()
    assert dom.css_first("#citation").text().endswith(f"{URL}.")


def test_csv_and_json_exports_carry_the_source_url(client):
    body = client.get("/export.csv?q=纠错").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows and all(r["source_url"] == URL and r["fetched_at"] == "2024-05-01" for r in rows)
    data = client.get("/export.json?q=纠错").get_json()
    assert "source_url" in data["columns"] and data["rows"][0]["source_url"] == URL


@pytest.mark.parametrize("fmt, content_type, expected", [
    ("txt", "text/plain", f"[EB/OL]. 2022: 第1段(2022-03-01)["),
    ("ris", "application/x-research-info-systems", "TY  - RPRT\nTI  - 岳池县人民政府关于2021年法治政府建设情况的报告\n"
                                                    "AU  - 岳池县人民政府\nPY  - 2022\nDA  - 2022/03/01\n"),
    ("bib", "application/x-bibtex", "  author = {{岳池县人民政府}},\n  year = {2022},\n"),
])
def test_citations_export_in_three_formats_with_the_original_url(client, fmt, content_type, expected):
    response = client.get(f"/cite.{fmt}?q=纠错")
    assert response.status_code == 200 and response.content_type.startswith(content_type)
    text = response.get_data(as_text=True)
    assert expected in text and URL in text
    assert "佚名" not in text and "无题名" not in text


def test_citations_of_chosen_paragraphs_and_an_unknown_one(client):
    hit = hit_for(client, "纠错")
    text = client.get(f"/cite.ris?pid={hit['pid']}").get_data(as_text=True)
    assert text.count("TY  - RPRT") == 1 and f"UR  - {URL}" in text
    assert client.get("/cite.ris?pid=nope").status_code == 404
    assert client.get("/cite.doc?q=纠错").status_code == 404


def test_a_plan_among_the_reports_is_marked_as_not_a_report(client):
    page = LexborHTMLParser(client.get("/search?q=行政复议&group=paragraph").get_data(as_text=True))
    marked = [h for h in page.css("[data-hit]") if h.css_first("[data-genre-mark]")]
    unmarked = [h for h in page.css("[data-hit]") if not h.css_first("[data-genre-mark]")]
    assert len(marked) == 1 and len(unmarked) == 2
    assert all("岳池县" in h.css_first(".hit-title").text() for h in unmarked)
    assert "普法依法治理工作要点" in marked[0].css_first(".hit-title").text()
    assert "非报告" in marked[0].css_first("[data-genre-mark]").text()
    # In the default view, reports in tiers, the report itself is marked.
    reports = LexborHTMLParser(client.get("/search?q=行政复议").get_data(as_text=True))
    marked = [g for g in reports.css("li.group") if g.css_first(".group-title [data-genre-mark]")]
    assert len(marked) == 1 and "普法依法治理工作要点" in marked[0].css_first(".group-title").text()


def test_the_distribution_counts_reports_by_default_and_everything_on_request(client):
    default = client.get("/api/stats?q=行政复议").get_json()
    every = client.get("/api/stats?q=行政复议&genre=all").get_json()
    others = client.get("/api/stats?q=行政复议&genre=other").get_json()
    assert default["totals"]["corpus_reports"] == 1 and default["totals"]["counts"][0]["reports"] == 1
    assert every["totals"]["corpus_reports"] == 2 and every["totals"]["counts"][0]["reports"] == 2
    assert others["totals"]["counts"][0]["reports"] == 1
    page = LexborHTMLParser(client.get("/stats?q=行政复议").get_data(as_text=True))
    assert "只统计法治政府建设报告" in page.css_first("[data-genre-default]").text()


def test_bibtex_keys_are_unique_when_several_paragraphs_of_one_report_are_cited(client):
    import re
    text = client.get("/cite.bib?q=行政复议").get_data(as_text=True)
    keys = re.findall(r"^@misc\{([^,]+),", text, flags=re.M)
    assert len(keys) > 1 and len(set(keys)) == len(keys)
    assert len({k.rsplit("-p", 1)[0] for k in keys}) < len(keys), "the corpus should cite one report twice here"


def test_publication_compliance_judges_reports_by_default_and_everything_on_request(client):
    # A plan has no deadline: counted as late or on time it would skew the shares.
    default = client.get("/api/compliance").get_json()
    every = client.get("/api/compliance?genre=all").get_json()
    assert default["totals"]["reports"] == 1 and every["totals"]["reports"] == 2
    assert client.get("/api/compliance?q=类型:其他").get_json()["totals"]["reports"] == 1
    page = LexborHTMLParser(client.get("/compliance").get_data(as_text=True))
    assert "只判断法治政府建设报告" in page.css_first("[data-genre-default]").text()


def test_indicators_list_what_reports_state_by_default_and_everything_on_request(client):
    # The plan states a rate; a plan's figure is not what a report states.
    default = client.get("/api/indicators").get_json()["rows"]
    every = client.get("/api/indicators?genre=all").get_json()["rows"]
    assert not [r for r in default if "渠县" in (r.get("title") or "")]
    assert [r for r in every if "渠县" in (r.get("title") or "")]


def test_a_file_that_is_not_a_report_is_cited_as_a_web_page_without_an_invented_author(client):
    ris = client.get("/cite.ris?q=普法责任制").get_data(as_text=True)
    plan = [record for record in ris.split("ER  -") if "渠县" in record]
    assert plan and "TY  - ELEC" in plan[0]
    # Without a publisher named, a news article on a government's site is not the government's work.
    from webui.present import author
    news = {"genre": "other", "body": "government", "division_code": "140000", "province": "山西省"}
    assert author(news) == "佚名" and author({**news, "genre": "report"}) == "山西省人民政府"
    report = client.get("/cite.ris?q=合法性审查").get_data(as_text=True)
    assert "TY  - RPRT" in report and "AU  - 岳池县人民政府" in report
