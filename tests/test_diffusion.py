"""Term diffusion: first year per place, cumulative places, beside coverage.
Hand counts: tests/corpus_tools/EXPECTED.md ("Diffusion of 枫桥经验")."""
from __future__ import annotations

import csv
import io
import json

import pytest

from searchlib.research import diffusion
from searchlib.cli import main
from searchlib.query.parse import QueryError
from searchlib.query.search import SearchRequest


def test_first_year_per_province_with_the_first_report_linked(tools_library):
    result = diffusion.diffusion(tools_library, SearchRequest(q="枫桥经验"))
    assert [(m.place, m.year, m.reports) for m in result.places] == [("浙江省", 2019, 2), ("安徽省", 2020, 1),
                                                                     ("江苏省", 2021, 1)]
    zhejiang = result.places[0]
    assert zhejiang.title == "杭州市西湖区2019年法治政府建设工作报告"      # not the 2021 one, which mentions it again
    text = tools_library.paragraph(zhejiang.pid)["text"]
    assert "枫桥经验" in text and zhejiang.url == f"/p/{zhejiang.pid}"


def test_cumulative_places_beside_coverage(tools_library):
    result = diffusion.diffusion(tools_library, SearchRequest(q="枫桥经验"))
    assert [(p.year, p.new, p.cumulative, p.coverage, p.covered_cumulative) for p in result.years] == [
        (2019, 1, 1, 1, 1), (2020, 1, 2, 1, 2), (2021, 1, 3, 2, 3), (2022, 0, 3, 1, 3)]
    assert result.never == []


def test_a_year_without_reports_is_shown_as_a_gap_and_places_that_never_mention_it_are_listed(tools_library):
    # Under 浙江 by county: 西湖区 in 2019 and 2021, nothing from 2020.
    result = diffusion.diffusion(tools_library, SearchRequest(q="枫桥经验", province="浙江"), by="county")
    assert [(p.year, p.coverage, p.cumulative) for p in result.years] == [(2019, 1, 1), (2020, 0, 1), (2021, 1, 1)]
    assert "无报告" in diffusion.to_svg(result)
    bailing = diffusion.diffusion(tools_library, SearchRequest(q="败诉"))
    assert [m.place for m in bailing.places] == ["江苏省"] and bailing.never == ["安徽省", "浙江省"]


def test_what_cannot_be_answered_says_why(tools_library):
    with pytest.raises(QueryError):
        diffusion.diffusion(tools_library, SearchRequest(q=""))
    with pytest.raises(QueryError):
        diffusion.diffusion(tools_library, SearchRequest(q="枫桥经验"), by="city")   # no province chosen


def test_cli_and_web_twins_agree(tools_index_dir, tools_client, capsys, tmp_path):
    svg = tmp_path / "d.svg"
    assert main(["diffusion", "枫桥经验", "--index", str(tools_index_dir), "--json", "--svg", str(svg)]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert svg.read_text(encoding="utf-8").startswith("<svg")
    api = tools_client.get("/api/diffusion?q=枫桥经验").get_json()
    assert api["places"] == cli["places"] and api["years"] == cli["years"]
    raw = tools_client.get("/diffusion.csv?q=枫桥经验").data
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["place"], r["first_year"]) for r in rows] == [("浙江省", "2019"), ("安徽省", "2020"), ("江苏省", "2021")]
    html = tools_client.get("/diffusion?q=枫桥经验").get_data(as_text=True)
    assert "<svg" in html and html.count("data-place=") == 3
    assert tools_client.get("/diffusion?q=枫桥经验&by=county").status_code == 400
    assert tools_client.get("/api/diffusion").status_code == 400
