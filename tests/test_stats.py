"""Distribution by year and place, hand-counted on tests/corpus_reuse (see EXPECTED.md)."""
import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from searchlib.research import stats
from searchlib.cli import main
from searchlib.query.parse import QueryError

SVG = "{http://www.w3.org/2000/svg}"


def cell(table, key):
    return next(c for c in table.cells if c.key == key)


def test_by_year_counts_paragraphs_and_reports_against_coverage(reuse_library):
    table = stats.distribution(reuse_library, ['"行政复议"'], by="year")
    assert [c.key for c in table.cells] == [2019, 2020, 2021, 2022, 2023]
    got = {c.key: (c.corpus_reports, c.corpus_chars, c.counts[0].paragraphs, c.counts[0].reports)
           for c in table.cells}
    assert got == {2019: (1, 236, 1, 1), 2020: (2, 495, 3, 2), 2021: (2, 396, 4, 2),
                   2022: (None, None, None, None), 2023: (1, 124, 1, 1)}
    assert (table.totals.corpus_reports, table.totals.corpus_chars) == (6, 1251)
    assert (table.totals.counts[0].paragraphs, table.totals.counts[0].reports) == (9, 6)


def test_rates_are_normalized_by_the_cell_coverage(reuse_library):
    table = stats.distribution(reuse_library, ['"行政复议"', "出庭应诉"], by="year")
    c2019, c2020 = cell(table, 2019), cell(table, 2020)
    assert c2019.counts[0].per_10k_chars == round(1 / 236 * 10_000, 4)
    assert c2020.counts[1].reports == 1 and c2020.counts[1].per_100_reports == 50.0
    assert c2019.counts[1].paragraphs == 0 and c2019.counts[1].per_100_reports == 0.0


def test_a_year_without_reports_is_a_gap_not_a_zero(reuse_library):
    gap = cell(stats.distribution(reuse_library, ["行政复议"], by="year"), 2022)
    assert gap.gap and gap.corpus_reports is None
    assert gap.counts[0].paragraphs is None and gap.counts[0].per_100_reports is None


def test_a_year_range_filter_shows_its_whole_range(reuse_library):
    table = stats.distribution(reuse_library, ["行政复议"], by="year", filters={"year": "2018-2020"})
    assert [(c.key, c.corpus_reports) for c in table.cells] == [(2018, None), (2019, 1), (2020, 2)]


def test_a_filter_of_several_years_shows_those_years_only(reuse_library, reuse_index_dir, capsys):
    for given in ("2019|2021", "2019,2021", "2021、2019"):
        table = stats.distribution(reuse_library, ["行政复议"], by="year", filters={"year": given})
        assert [(c.key, c.corpus_reports) for c in table.cells] == [(2019, 1), (2021, 2)], given
    table = stats.distribution(reuse_library, ["行政复议 year:2018-2019,2022"], by="year")
    assert [(c.key, c.corpus_reports) for c in table.cells] == [(2018, None), (2019, 1), (2022, None)]
    assert main(["stats", "--index", str(reuse_index_dir), "行政复议", "--year", "2019,2021", "--csv"]) == 0
    records = csv.DictReader(io.StringIO(capsys.readouterr().out.removeprefix("\ufeff"), newline=""))
    assert [r["cell"] for r in records] == ["2019", "2021", "全部"]


def test_by_province_lists_every_mainland_province_with_gaps(reuse_library):
    table = stats.distribution(reuse_library, ['"行政复议"', '"法治思想"'], by="province")
    assert len(table.cells) == 31
    assert sum(1 for c in table.cells if c.gap) == 28
    zj = cell(table, "浙江省")
    assert zj.corpus_reports == 2 and zj.counts[0].reports == 2
    # Only 西湖区 of the two 浙江 reports carries the template paragraph with 法治思想.
    assert zj.counts[1].reports == 1 and zj.counts[1].per_100_reports == 50.0
    assert cell(table, "四川省").counts[1].per_100_reports == 100.0


def test_drill_down_to_cities_of_a_province_and_counties_of_a_city(reuse_library):
    cities = stats.distribution(reuse_library, ["行政复议"], by="city", filters={"province": "四川"})
    assert len(cities.cells) == 21
    assert {c.key: c.corpus_reports for c in cities.cells if not c.gap} == {"成都市": 2, "绵阳市": 1}
    counties = stats.distribution(reuse_library, ["行政复议"], by="county", filters={"city": "成都"})
    assert {c.key: c.counts[0].paragraphs for c in counties.cells if not c.gap} == {"武侯区": 1, "锦江区": 2}
    assert any(c.key == "青羊区" and c.gap for c in counties.cells)


def test_section_filter_shrinks_coverage_to_that_section(reuse_library):
    table = stats.distribution(reuse_library, ['"行政复议"'], by="year", filters={"section": "problems"})
    got = {c.key: (c.corpus_reports, c.corpus_chars, c.counts[0].paragraphs) for c in table.cells}
    # 上城区 (2021) has no problems section; 玄武区 (2023) neither, so 2022-2023 are gaps and the table ends.
    assert got == {2019: (1, 23, 0), 2020: (2, 37, 0), 2021: (1, 44, 2)}


def test_more_than_four_queries_or_an_unknown_axis_are_refused(reuse_library):
    with pytest.raises(QueryError):
        stats.distribution(reuse_library, ["a", "b", "c", "d", "e"])
    with pytest.raises(QueryError):
        stats.distribution(reuse_library, ["行政复议"], by="township")


def test_csv_leaves_gaps_empty_and_has_a_totals_row(reuse_library):
    table = stats.distribution(reuse_library, ['"行政复议"'], by="year")
    records = list(csv.DictReader(io.StringIO(stats.to_csv(table).removeprefix("\ufeff"), newline="")))
    assert [r["cell"] for r in records] == ["2019", "2020", "2021", "2022", "2023", "全部"]
    gap = records[3]
    assert gap["corpus_reports"] == "" and gap["paragraphs"] == "" and gap["per_100_reports"] == ""
    assert records[-1]["paragraphs"] == "9" and records[-1]["reports"] == "6"
    assert {r["filters"] for r in records} == {"genre:report"}, "what was counted travels with the numbers"


def test_json_gives_gaps_as_null(reuse_library):
    data = json.loads(stats.to_json(stats.distribution(reuse_library, ['"行政复议"'], by="year")))
    gap = data["cells"][3]
    assert gap["key"] == 2022 and gap["corpus_reports"] is None and gap["counts"][0]["paragraphs"] is None


def test_year_chart_breaks_its_line_at_the_gap(reuse_library):
    svg = stats.to_svg(stats.distribution(reuse_library, ['"行政复议"'], by="year"), metric="paragraphs")
    root = ET.fromstring(svg)
    lines = root.findall(f"{SVG}polyline")
    points = root.findall(f"{SVG}circle")
    # 2019-2021 is one run; 2023 stands alone after the gap year: one line, four points.
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 3
    assert len(points) == 4
    assert any("2022" in (r.findtext(f"{SVG}title") or "") for r in root.findall(f"{SVG}rect"))


def test_place_chart_draws_a_bar_per_query_and_marks_empty_places(reuse_library):
    svg = stats.to_svg(stats.distribution(reuse_library, ['"行政复议"', "出庭应诉"], by="province"))
    root = ET.fromstring(svg)
    bars = [r for r in root.findall(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 3 * 2
    assert svg.count("无报告") == 28


def test_cli_stats_table_csv_and_svg(reuse_index_dir, capsys, tmp_path):
    chart = tmp_path / "chart.svg"
    assert main(["stats", '"行政复议"', "出庭应诉", "--index", str(reuse_index_dir), "--svg", str(chart)]) == 0
    out = capsys.readouterr().out
    assert "2022" in out and "(no reports)" in out
    ET.fromstring(chart.read_text(encoding="utf-8"))
    assert main(["stats", "行政复议", "--by", "province", "--index", str(reuse_index_dir), "--csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 + 31 + 1
    assert main(["stats", "a", "b", "c", "d", "e", "--index", str(reuse_index_dir)]) == 2


def test_the_per_paragraph_columns_agree_with_the_stored_paragraphs(library):
    """Built from the facet columns and the text files' lengths, not by reading every stored paragraph."""
    from searchlib.research.stats import paragraph_columns

    def _stored_columns(searcher, names):   # the slow, obvious way: every stored paragraph read
        reader = searcher.reader()
        columns = {n: [None] * reader.doc_count_all() for n in names + ("chars",)}
        for docnum, stored in reader.iter_docs():
            for n in names:
                columns[n][docnum] = stored.get(n)
            columns["chars"][docnum] = len(stored.get("text", ""))
        return columns

    with library.pinned() as searcher:
        fast = paragraph_columns(library, searcher)
        names = ("doc_id", "report_year", "province", "city", "county")
        stored = _stored_columns(searcher, names)
        live = [docnum for docnum, _ in searcher.reader().iter_docs()]
        assert live and max(fast["chars"]) > 0
        for name in names + ("chars",):
            assert [fast[name][d] for d in live] == [stored[name][d] for d in live], name
