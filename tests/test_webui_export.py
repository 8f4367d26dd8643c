"""Exports: every hit of the current query, one row per paragraph, ready for Excel or a script."""
from __future__ import annotations

import csv
import io

import pytest

from searchlib.query.search import SearchRequest
from webui import create_app
from searchlib.export import REPORT_COLUMNS
from webui.present import EXPORT_COLUMNS, spreadsheet_safe

QUERY = "法治"


def read_csv(response) -> list[dict]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "a UTF-8 BOM, or Excel shows mojibake"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_export_has_every_hit_of_the_query_in_result_order(client, library):
    expected = library.search(SearchRequest(q=QUERY, limit=1000))
    response = client.get(f"/export.csv?q={QUERY}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = read_csv(response)
    assert [r["pid"] for r in rows] == [h.pid for h in expected.hits]
    assert response.headers["X-Total-Hits"] == str(expected.total) == str(len(rows))


def test_csv_rows_carry_permalink_report_metadata_section_and_text(client, library):
    hit = library.search(SearchRequest(q="１２３４５热线", limit=1)).hits[0]
    rows = read_csv(client.get("/export.csv?q=１２３４５热线"))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    row = rows[0]
    assert row["permalink"] == f"http://127.0.0.1:8000/p/{hit.pid}"
    assert (row["title"], row["province"], row["county"], row["report_year"]) == \
        (hit.title, "四川省", "武侯区", "2023")
    assert (row["section_kind"], row["section_heading"]) == (hit.section_kind, hit.section_heading)
    assert row["paragraph_number"] == str(hit.position + 1)
    assert row["text"] == hit.text


def test_export_follows_the_filters_and_ignores_the_page(client, library):
    expected = library.search(SearchRequest(q=QUERY, year="2021", limit=1000)).total
    rows = read_csv(client.get(f"/export.csv?q={QUERY}&year=2021&page=3&limit=2"))
    assert len(rows) == expected and {r["report_year"] for r in rows} == {"2021"}


def test_search_page_links_to_the_export_of_its_query(page):
    _, dom = page(f"/search?q={QUERY}&province=四川省&page=2&limit=2")
    links = {a.text(): a.attributes["href"] for a in dom.css(".exports > a")}
    assert links["CSV"] == "/export.csv?q=%E6%B3%95%E6%B2%BB&province=%E5%9B%9B%E5%B7%9D%E7%9C%81"
    assert links["JSON"].startswith("/export.json?")


def test_json_export_says_how_many_rows_and_whether_it_was_cut(client, library):
    total = library.search(SearchRequest(q=QUERY, limit=0)).total
    data = client.get(f"/export.json?q={QUERY}").get_json()
    assert (data["total"], data["exported"], data["truncated"]) == (total, total, False)
    assert data["columns"] == list(EXPORT_COLUMNS) and set(data["rows"][0]) == set(EXPORT_COLUMNS)


@pytest.fixture
def small_export_client(index_dir):
    return create_app({"INDEX_DIR": str(index_dir), "TESTING": True, "EXPORT_LIMIT": 3}).test_client()


def test_exports_stop_at_the_stated_limit_and_say_so(small_export_client, library):
    total = library.search(SearchRequest(q=QUERY, limit=0)).total
    assert total > 3
    response = small_export_client.get(f"/export.csv?q={QUERY}")
    assert len(read_csv(response)) == 3
    assert (response.headers["X-Exported-Rows"], response.headers["X-Export-Limit"]) == ("3", "3")
    data = small_export_client.get(f"/export.json?q={QUERY}").get_json()
    assert (data["exported"], data["export_limit"], data["truncated"]) == (3, 3, True)
    page = small_export_client.get(f"/search?q={QUERY}").get_data(as_text=True)
    assert "至多 3 段" in page


def test_export_refuses_an_unreadable_query_with_a_message(client):
    response = client.get('/export.csv?q="法治')
    assert response.status_code == 400 and "quote" in response.get_data(as_text=True)


@pytest.mark.parametrize("cell, shown", [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"),
                                         ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("法治", "法治"),
                                         (2021, "2021"), (None, "")])
def test_csv_cells_never_run_as_spreadsheet_formulas(cell, shown):
    assert spreadsheet_safe(cell) == shown


# --- one row per report (issue 21, item 9) ---------------------------------------------------

def test_report_export_is_one_row_per_report_with_its_match_count_and_best_paragraph(client, library):
    grouped = library.search(SearchRequest(q=QUERY, limit=1000, group=True, mode="strict"))
    response = client.get(f"/export-reports.csv?q={QUERY}&page=2&group=report&mode=strict")
    rows = read_csv(response)
    assert list(rows[0]) == list(REPORT_COLUMNS)
    assert [r["doc_id"] for r in rows] == [g.doc_id for g in grouped.groups]
    assert len({r["doc_id"] for r in rows}) == len(rows) == grouped.total_reports
    assert response.headers["X-Total-Reports"] == str(grouped.total_reports)
    for row, group in zip(rows, grouped.groups):
        assert row["matches"] == str(group.matches)
        assert row["best_permalink"] == f"http://127.0.0.1:8000{group.best.url}"
        assert row["url"] == f"http://127.0.0.1:8000/d/{group.doc_id}"
        assert (row["title"], row["report_year"]) == (group.title or "", str(group.report_year or ""))
    assert sum(int(r["matches"]) for r in rows) == grouped.total


def test_report_export_of_the_default_search_has_every_tier(client, library):
    tiered = library.search(SearchRequest(q=QUERY, limit=1000, group=True))
    rows = read_csv(client.get(f"/export-reports.csv?q={QUERY}"))
    assert [(r["doc_id"], r["tier"]) for r in rows] == [(g.doc_id, str(g.tier)) for g in tiered.groups]
    assert len(rows) == tiered.total_groups > tiered.total_reports


def test_report_export_json_follows_the_filters(client, library):
    expected = library.search(SearchRequest(q=QUERY, year="2021", limit=1000, group=True, mode="strict"))
    data = client.get(f"/export-reports.json?q={QUERY}&year=2021&mode=strict").get_json()
    assert data["columns"] == list(REPORT_COLUMNS)
    assert [r["doc_id"] for r in data["rows"]] == [g.doc_id for g in expected.groups]
    assert (data["total_reports"], data["exported"], data["truncated"]) == (expected.total_reports,
                                                                             expected.total_reports, False)
    assert {r["report_year"] for r in data["rows"]} == {2021}


def test_report_export_stops_at_the_limit_and_says_so(small_export_client, library):
    data = small_export_client.get(f"/export-reports.json?q={QUERY}").get_json()
    assert (data["exported"], data["truncated"]) == (3, True)


def test_every_result_page_links_to_both_exports(page):
    _, dom = page(f"/search?q={QUERY}&province=四川省&group=report")
    links = {a.attributes["data-format"]: a.attributes["href"] for a in dom.css("[data-report-export] a")}
    assert links["csv"].startswith("/export-reports.csv?q=") and "province=" in links["csv"]
    assert links["json"].startswith("/export-reports.json?") and "group" not in links["json"]
