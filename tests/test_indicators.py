"""Indicators: numeric facts read at index time, each with its sentence (data/indicators.toml).

Counts are by hand: the seeds' sentences are quoted in each test; tests/corpus_tools/EXPECTED.md
lists every fact of the constructed reports.
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from searchlib.research import indicators
from searchlib.cli import main
from searchlib.index.indexing import build_index, delete_reports, resolve_index_dir
from searchlib.query.search import Library, SearchRequest

from tests.conftest import TOOLS_CORPUS


def facts_of(text: str) -> list[tuple[str, float]]:
    return [(f.indicator, f.value) for f in indicators.extract(text)]


# --- reading one sentence ----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    # 东坡区 2021 (seed 001): the received and concluded counts; 行政复议监督案件 9 件 is another thing
    ("办理区政府行政复议案件107件、办结97件,办理区政府行政复议监督案件9件、办结9件;",
     [("reconsideration_received", 107), ("reconsideration_concluded", 97)]),
    # 繁阳镇 2024 (seed 003)
    ("今年以来我镇积极做好因征地、拆迁等方面产生的行政诉讼案件1起,行政机关主要负责人出庭应诉率100%,无行政复议案件。",
     [("litigation_cases", 1), ("appearance_rate", 100)]),
    ("全市行政首长出庭应诉率达99.66%", [("appearance_rate", 99.66)]),
    ("行政机关负责人出庭应诉率首次达到１００％。", [("appearance_rate", 100)]),       # full-width digits
    ("全年办理行政复议案件30件，纠错率10%。", [("reconsideration_received", 30),
                                              ("reconsideration_correction_rate", 10)]),
    ("依托12345热线受理群众诉求8000余件,办结率99%。", [("hotline_completion_rate", 99)]),
    ("全年行政诉讼案件败诉率为3.2%", [("litigation_loss_rate", 3.2)]),
    ("出具合法性审查意见书429份、合法性审查意见函210份。", [("legality_review_opinions", 429)]),
])
def test_a_sentence_that_states_an_indicator_is_read(text, expected):
    assert facts_of(text) == expected


@pytest.mark.parametrize("text", [
    "全区出庭应诉率未达100%",                              # 东坡区 2021's problems section: a negation
    "个别部门负责人出庭应诉率不到90%",
    "出庭应诉率同比提高5%",                                # a change, not the rate
    "行政复议案件数量同比增长42.8%",
    "按时办结率100%",                                      # whose 办结率? not the 12345 hotline's
    "审查清理规范性文件33件",                              # cleaned up, not filed
    "依申请公开办结率100%",
    "出庭应诉率达到120%",                                  # a rate above 100 is a misreading
    "行政复议案件1,089件",                                 # part of a longer number is never read
])
def test_a_neighbouring_or_negated_number_is_not_read(text):
    assert facts_of(text) == []


def test_the_number_is_the_one_that_belongs_to_the_indicator():
    text = "36个政府部门、16个镇(街道)聘用52名法律顾问,区级领导配备法务助理18名。"
    assert facts_of(text) == [("legal_advisers", 52)]
    (fact,) = indicators.extract(text)
    assert text[fact.start:fact.end] == "52"
    assert fact.sentence == text


def test_the_sentence_is_the_reports_own_and_its_offsets_point_at_the_value():
    text = "一是强化备案。今年向市司法局备案規範性文件１３件，清理33件。二是其他。"
    (fact,) = indicators.extract(text)
    assert (fact.indicator, fact.value, fact.unit) == ("normative_documents_filed", 13, "件")
    assert fact.sentence == "今年向市司法局备案規範性文件１３件，清理33件。"    # traditional, full-width kept
    assert text[fact.start:fact.end] == "１３"


def test_every_definition_is_documented_and_compiles():
    defs = indicators.definitions()
    assert len(defs) >= 10
    for d in defs:
        assert d.name and d.aliases and d.unit and d.patterns
    with pytest.raises(ValueError):
        indicators.parse_definitions('[[indicator]]\nkey="x"\nname="x"\naliases=["x"]\nunit="件"\n'
                                     'patterns=["x(\\\\d+)件"]\n')   # no {NUM}: the value is not captured


# --- at index time, beside the index --------------------------------------------------------------

def test_the_seeds_facts_are_in_the_index(library):
    rows = indicators.facts(library, SearchRequest(province="四川", year="2021"))
    got = {(r.indicator, r.value) for r in rows if r.place == "四川省眉山市东坡区"}
    assert ("reconsideration_received", 107) in got and ("reconsideration_concluded", 97) in got
    fanyang = indicators.facts(library, SearchRequest(year="2024"), "appearance_rate")
    assert [(r.place, r.year, r.value, r.unit) for r in fanyang] == [("安徽省芜湖市繁昌区繁阳镇", 2024, 100, "%")]
    assert "出庭应诉率100%" in fanyang[0].sentence and fanyang[0].url.startswith("/p/")


def test_every_fact_of_the_constructed_reports(tools_library):
    rows = indicators.facts(tools_library, SearchRequest())
    got = sorted((r.place[-3:], r.year, r.indicator, r.value) for r in rows)
    assert got == sorted([
        ("蜀山区", 2020, "reconsideration_received", 42), ("蜀山区", 2020, "reconsideration_concluded", 40),
        ("蜀山区", 2020, "reconsideration_correction_rate", 12.5), ("蜀山区", 2020, "appearance_rate", 100),
        ("蜀山区", 2020, "legal_advisers", 52), ("蜀山区", 2020, "legal_adviser_decisions", 30),
        ("蜀山区", 2020, "normative_documents_filed", 23), ("蜀山区", 2020, "hotline_completion_rate", 98.5),
        ("梁溪区", 2021, "litigation_cases", 18), ("梁溪区", 2021, "litigation_loss_rate", 5.6),
        ("西湖区", 2021, "reconsideration_concluded", 64), ("西湖区", 2021, "appearance_rate", 98),
        ("蜀山区", 2022, "reconsideration_received", 51), ("蜀山区", 2022, "appearance_rate", 100),
    ])


def test_filters_and_the_query_narrow_the_facts(tools_library):
    assert len(indicators.facts(tools_library, SearchRequest(province="浙江"))) == 2
    assert len(indicators.facts(tools_library, SearchRequest(year="2021"))) == 4
    assert len(indicators.facts(tools_library, SearchRequest(level="township"))) == 0
    # the query picks paragraphs: only t1's and t5's 行政复议与应诉 paragraphs and t4's 行政复议 one say 纠错/…
    by_query = indicators.facts(tools_library, SearchRequest(q="纠错率"))
    assert [(r.indicator, r.value) for r in by_query if r.indicator.endswith("rate")] == [
        ("reconsideration_correction_rate", 12.5), ("appearance_rate", 100)]


def test_place_by_year_table(tools_library):
    rows = indicators.facts(tools_library, SearchRequest(), "appearance_rate")
    table = indicators.pivot(rows, "appearance_rate")
    assert table.years == [2020, 2021, 2022]
    assert table.cells == {("安徽省合肥市蜀山区", 2020): [100], ("安徽省合肥市蜀山区", 2022): [100],
                           ("浙江省杭州市西湖区", 2021): [98]}


def test_an_update_reads_only_the_new_segment_and_a_delete_drops_the_facts(tmp_path):
    index = tmp_path / "index"
    first = [p for p in sorted(TOOLS_CORPUS.glob("t*.txt")) if not p.name.startswith("t5")]
    build_index(first, index, rebuild=True, reuse=False, procs=1)
    meta = _meta(index)
    assert meta["facts"] == "12" and meta["segments_copied"] == "0"
    build_index([TOOLS_CORPUS / "t5_shushan_2022.txt"], index, reuse=False, procs=1)
    meta = _meta(index)
    assert meta["paragraphs_read"] == "5" and meta["facts"] == "14"   # t5 only: its 5 paragraphs (headings are not)
    library = Library(index)
    try:
        assert len(indicators.facts(library, SearchRequest())) == 14
        t2 = next(r.doc_id for r in indicators.facts(library, SearchRequest(q="败诉")))
        delete_reports(index, [t2])
        rows = indicators.facts(library, SearchRequest())
        assert len(rows) == 12 and not any(r.doc_id == t2 for r in rows)
        # every tool's "all paragraphs" leaves the deleted report out too
        from searchlib.research.compliance import compliance
        assert compliance(library, SearchRequest()).totals.reports == 4
    finally:
        library.close()


def test_an_index_without_the_table_says_which_command_builds_it(tmp_path, capsys):
    index = tmp_path / "index"
    build_index([TOOLS_CORPUS / "t4_xihu_2021.txt"], index, rebuild=True, reuse=False, procs=1)
    (resolve_index_dir(index) / indicators.FILE_NAME).unlink()
    assert main(["indicators", "--index", str(index)]) == 2
    assert "searchlib indicators --build" in capsys.readouterr().err
    assert main(["indicators", "--index", str(index), "--build"]) == 0
    assert "2 fact(s)" in capsys.readouterr().out


def _meta(index) -> dict[str, str]:
    con = sqlite3.connect(resolve_index_dir(index) / indicators.FILE_NAME)
    try:
        return dict(con.execute("SELECT key, value FROM meta"))
    finally:
        con.close()


# --- the CLI and the web twins ------------------------------------------------------------------

def test_cli_rows_table_and_csv(tools_index_dir, capsys):
    assert main(["indicators", "--index", str(tools_index_dir), "--indicator", "appearance_rate", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 3 and {r["value"] for r in data["rows"]} == {100, 98}
    assert main(["indicators", "--index", str(tools_index_dir), "--indicator", "appearance_rate", "--table"]) == 0
    assert capsys.readouterr().out.splitlines() == ["place\t2020\t2021\t2022", "安徽省合肥市蜀山区\t100\t—\t100",
                                                    "浙江省杭州市西湖区\t—\t98\t—"]
    assert main(["indicators", "--index", str(tools_index_dir), "--indicator", "nope"]) == 2
    assert "unknown indicator" in capsys.readouterr().err
    assert main(["indicators", "--list"]) == 0
    assert "appearance_rate" in capsys.readouterr().out


def test_page_json_and_csv_agree(tools_client):
    page = tools_client.get("/indicators?province=安徽&indicator=appearance_rate")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("data-fact=") == 2 and 'data-total>2<' in html
    api = tools_client.get("/api/indicators?province=安徽&indicator=appearance_rate").get_json()
    assert api["total"] == 2 and [r["year"] for r in api["rows"]] == [2020, 2022]
    response = tools_client.get("/indicators.csv?province=安徽&indicator=appearance_rate")
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["year"], r["value"], r["unit"]) for r in rows] == [("2020", "100", "%"), ("2022", "100", "%")]
    assert rows[0]["url"].startswith("http://localhost/p/")
    table = tools_client.get("/indicators.csv?indicator=appearance_rate&view=table").data.decode("utf-8-sig")
    assert table.splitlines() == ["place,2020,2021,2022", "安徽省合肥市蜀山区,100,,100", "浙江省杭州市西湖区,,98,"]


def test_bad_parameters_get_a_400_in_the_pages_language(tools_client):
    response = tools_client.get("/api/indicators?indicator=nope")
    assert response.status_code == 400 and "未知的指标" in response.get_json()["error"]
    assert tools_client.get("/indicators?view=chart").status_code == 400


def test_the_page_says_which_command_builds_a_missing_table(tmp_path):
    from webui import create_app

    index = tmp_path / "index"
    build_index([TOOLS_CORPUS / "t4_xihu_2021.txt"], index, rebuild=True, reuse=False, procs=1)
    (resolve_index_dir(index) / indicators.FILE_NAME).unlink()
    client = create_app({"INDEX_DIR": str(index), "TESTING": True}).test_client()
    response = client.get("/api/indicators")
    assert response.status_code == 503 and "searchlib indicators --build" in response.get_json()["error"]
    assert client.get("/compliance").status_code == 200          # the other tools do not need it
