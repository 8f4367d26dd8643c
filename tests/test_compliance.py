"""Publication compliance: each report's publication date against 1 April of the following year
(or another deadline). Hand counts: tests/corpus_tools/EXPECTED.md, and the seeds' dates as the
pages show them (常庄街道 2021: 2022-04-07; 新城镇 2020: 2021-05-14; the rest before 1 April)."""
from __future__ import annotations

import csv
import io
import json

import pytest

from searchlib.research import compliance
from searchlib.cli import main
from searchlib.query.parse import QueryError
from searchlib.query.search import SearchRequest


def test_the_seed_changzhuang_2021_is_late_by_six_days(library):
    result = compliance.compliance(library, SearchRequest(province="山东"))
    (report,) = [r for r in result.reports if "常庄街道" in r.place]
    assert (report.year, report.publish_date, report.deadline) == (2021, "2022-04-07", "2022-04-01")
    assert (report.status, report.days_late) == ("late", 6)
    seeds = compliance.compliance(library, SearchRequest(q='"法治政府"', year="2020-2024"))
    late = {r.place: r.days_late for r in seeds.late}
    assert late.get("山东省枣庄市薛城区常庄街道") == 6 and late.get("天津市滨海新区新城镇") == 43


def test_each_constructed_report_against_1_april(tools_library):
    result = compliance.compliance(tools_library, SearchRequest())
    by_doc = {(r.place, r.year): (r.status, r.days_late) for r in result.reports}
    assert by_doc == {("安徽省合肥市蜀山区", 2020): ("on_time", None), ("江苏省无锡市梁溪区", 2021): ("late", 39),
                      ("浙江省杭州市西湖区", 2019): ("no_date", None), ("浙江省杭州市西湖区", 2021): ("on_time", None),
                      ("安徽省合肥市蜀山区", 2022): ("on_time", None)}
    t = result.totals
    assert (t.reports, t.known, t.on_time, t.late, t.unknown, t.on_time_share) == (5, 4, 3, 1, 1, 75.0)


def test_shares_by_year_and_province_count_known_dates_with_the_unknown_beside(tools_library):
    result = compliance.compliance(tools_library, SearchRequest())
    got = [(s.key, s.known, s.on_time, s.late, s.unknown, s.on_time_share) for s in result.by_year_province]
    assert got == [((2019, "浙江省"), 0, 0, 0, 1, None), ((2020, "安徽省"), 1, 1, 0, 0, 100.0),
                   ((2021, "江苏省"), 1, 0, 1, 0, 0.0), ((2021, "浙江省"), 1, 1, 0, 0, 100.0),
                   ((2022, "安徽省"), 1, 1, 0, 0, 100.0)]
    assert [(s.key, s.known, s.on_time, s.unknown) for s in result.by_level] == [(("county",), 4, 3, 1)]
    assert [(s.key, s.known, s.on_time, s.late, s.unknown) for s in result.by_year_level] == [
        ((2019, "county"), 0, 0, 0, 1), ((2020, "county"), 1, 1, 0, 0), ((2021, "county"), 2, 1, 1, 0),
        ((2022, "county"), 1, 1, 0, 0)]


def test_the_deadline_is_configurable_and_its_own_day_is_on_time(tools_library):
    earlier = compliance.compliance(tools_library, SearchRequest(), deadline="03-31")
    assert [(r.place, r.days_late) for r in earlier.late] == [("江苏省无锡市梁溪区", 40), ("浙江省杭州市西湖区", 1)]
    for bad in ("13-01", "02-30", "4/1", "", "04-01-2022"):
        with pytest.raises(QueryError):
            compliance.compliance(tools_library, SearchRequest(), deadline=bad)


def test_a_report_without_a_year_has_no_deadline():
    assert compliance.status_of(None, "2022-01-01", (4, 1)) == ("no_year", None, None)
    assert compliance.status_of(2021, "2022-04", (4, 1)) == ("no_date", None, "2022-04-01")   # not a whole date


def test_the_query_and_filters_choose_the_reports(tools_library):
    assert compliance.compliance(tools_library, SearchRequest(q="枫桥经验")).totals.reports == 4
    assert compliance.compliance(tools_library, SearchRequest(province="浙江")).totals.reports == 2


def test_cli_summary_and_csv(tools_index_dir, capsys):
    assert main(["compliance", "--index", str(tools_index_dir)]) == 0
    out = capsys.readouterr().out
    assert "3 on time, 1 late, 1 unknown" in out and "late by   39 day(s): 2021 江苏省无锡市梁溪区" in out
    assert main(["compliance", "--index", str(tools_index_dir), "--part", "level", "--csv"]) == 0
    raw = capsys.readouterr().out
    assert raw.startswith("\ufeff") and "county,5,4,3,1,75.0,1,1,0" in raw
    assert main(["compliance", "--index", str(tools_index_dir), "--json", "--deadline", "03-31"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["late"] == 2
    assert main(["compliance", "--index", str(tools_index_dir), "--deadline", "4/1"]) == 2


def test_page_json_and_csv_agree(tools_client):
    html = tools_client.get("/compliance").get_data(as_text=True)
    assert 'data-late>1<' in html and 'data-unknown>1<' in html and html.count("data-late=") == 1
    api = tools_client.get("/api/compliance?deadline=03-31").get_json()
    assert api["deadline"] == "03-31" and [r["days_late"] for r in api["late"]] == [40, 1]
    raw = tools_client.get("/compliance.csv?part=late").data
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["place"], r["days_late"]) for r in rows] == [("江苏省无锡市梁溪区", "39")]
    year_level = tools_client.get("/compliance.csv?part=year_level").data.decode("utf-8-sig").splitlines()
    assert year_level[0].startswith("year,level,reports,known") and "2021,county,2,2,1,1,50.0,0,0,0" in year_level
    assert tools_client.get("/compliance?deadline=13-01").status_code == 400
    assert "截止日期" in tools_client.get("/api/compliance?deadline=x").get_json()["error"]
