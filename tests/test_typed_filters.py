"""A filter means the same wherever it is written: typed in the query or given as a parameter.

`年份:2021 层级:县级 法律顾问` and `法律顾问` with year=2021&level=county are one request. Every view
(search, concordance, distribution, their exports and the CLI) must give the same answer for both,
and a distribution must divide by the coverage of those same filters (issue 21, item 1).
"""
from __future__ import annotations

import csv
import io
import json

import pytest

from searchlib.research import stats
from searchlib.cli import main
from searchlib.query.parse import QueryError

TYPED = "年份:2021 层级:县级 法律顾问"
WORDS = "法律顾问"
PARAMS = {"year": "2021", "level": "county"}
PARAM_QUERY = "q=法律顾问&year=2021&level=county"
TYPED_QUERY = "q=年份:2021 层级:县级 法律顾问"


def coverage_and_counts(table: stats.Distribution) -> list[tuple]:
    return [(c.label, c.corpus_reports, c.corpus_chars, [(n.paragraphs, n.reports, n.per_100_reports,
                                                          n.per_10k_chars) for n in c.counts])
            for c in table.cells + [table.totals]]


def test_the_example_matches_something_so_the_comparisons_below_mean_something(library):
    table = stats.distribution(library, [WORDS], filters=PARAMS)
    assert table.totals.counts[0].paragraphs > 0
    everything = stats.distribution(library, [WORDS])
    assert everything.totals.corpus_reports > table.totals.corpus_reports, "the filters narrow the coverage"


def test_typed_filters_narrow_the_coverage_as_parameters_do(library):
    typed = stats.distribution(library, [TYPED])
    params = stats.distribution(library, [WORDS], filters=PARAMS)
    assert coverage_and_counts(typed) == coverage_and_counts(params)
    # Reports only by default (issue 23): the genre is one of the filters both are counted under.
    assert typed.filters == params.filters == {"year": "2021", "level": "county", "genre": "report"}


def test_every_year_cell_is_divided_by_reports_that_pass_the_typed_filters(library):
    typed = stats.distribution(library, [TYPED])
    assert [c.key for c in typed.cells] == [2021], "a year the filter excludes is not a cell"
    only = typed.cells[0]
    assert only.counts[0].per_100_reports == round(only.counts[0].reports / only.corpus_reports * 100, 4)


def test_queries_with_different_filters_cannot_share_one_table(library):
    with pytest.raises(QueryError, match="share their filters"):
        stats.distribution(library, [TYPED, WORDS])


def test_a_filter_under_or_is_refused_rather_than_counted_against_all_years(library):
    with pytest.raises(QueryError, match="OR, NOT"):
        stats.distribution(library, ["法律顾问 (年份:2021 OR 年份:2022)"])


def test_the_same_typed_filter_in_every_query_is_shared(library):
    typed = stats.distribution(library, ["年份:2021 法律顾问", "年份:2021 行政复议"])
    params = stats.distribution(library, ["法律顾问", "行政复议"], filters={"year": "2021"})
    assert coverage_and_counts(typed) == coverage_and_counts(params)


# --- the web views ----------------------------------------------------------------------------

def table_cells(dom) -> dict[str, list[str]]:
    return {tr.attributes["data-cell"]: [td.text() for td in tr.css("td")] for tr in dom.css("[data-cell]")}


def test_stats_page_table_is_the_same_for_both_spellings(page):
    _, typed = page("/stats?" + TYPED_QUERY)
    _, params = page("/stats?" + PARAM_QUERY)
    assert table_cells(typed) == table_cells(params) and table_cells(typed)


def test_stats_exports_are_the_same_for_both_spellings(client):
    def drop_query(records):
        return [{k: v for k, v in r.items() if k != "query"} for r in records]

    for path in ("/stats.csv", "/api/stats"):
        typed, params = client.get(f"{path}?{TYPED_QUERY}"), client.get(f"{path}?{PARAM_QUERY}")
        assert typed.status_code == params.status_code == 200
        if path.endswith(".csv"):
            rows = [list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff")))) for r in (typed, params)]
            assert drop_query(rows[0]) == drop_query(rows[1])
        else:
            a, b = typed.get_json(), params.get_json()
            assert (a["cells"], a["totals"], a["filters"]) == (b["cells"], b["totals"], b["filters"])
    svg_typed = client.get("/stats.svg?" + TYPED_QUERY).get_data(as_text=True)
    svg_params = client.get("/stats.svg?" + PARAM_QUERY).get_data(as_text=True)
    assert svg_typed.replace(TYPED, WORDS) == svg_params


def test_search_and_its_exports_are_the_same_for_both_spellings(client, page):
    _, typed = page("/search?" + TYPED_QUERY)
    _, params = page("/search?" + PARAM_QUERY)
    assert typed.css_first("[data-total]").text() == params.css_first("[data-total]").text() != "0"
    pids = [[a.attributes["href"] for a in dom.css("a.permalink")] for dom in (typed, params)]
    assert pids[0] == pids[1]
    a, b = (client.get(f"/api/search?{q}").get_json() for q in (TYPED_QUERY, PARAM_QUERY))
    assert (a["total"], a["total_reports"], a["facets"]) == (b["total"], b["total_reports"], b["facets"])
    assert [h["pid"] for h in a["hits"]] == [h["pid"] for h in b["hits"]]
    for path in ("/export.csv", "/export.json", "/export-reports.csv", "/export-reports.json"):
        # Streamed bodies are closed unread: left to the garbage collector, they finish outside their request.
        with client.get(f"{path}?{TYPED_QUERY}") as typed_export, client.get(f"{path}?{PARAM_QUERY}") as params_export:
            assert typed_export.headers["X-Total-Hits"] == params_export.headers["X-Total-Hits"]
    for path in ("/export.json", "/export-reports.json"):
        a, b = (client.get(f"{path}?{q}").get_json()["rows"] for q in (TYPED_QUERY, PARAM_QUERY))
        assert a == b and a


def test_kwic_and_its_exports_are_the_same_for_both_spellings(client, page):
    _, typed = page("/kwic?" + TYPED_QUERY)
    _, params = page("/kwic?" + PARAM_QUERY)
    rows = [[tr.text() for tr in dom.css("[data-kwic-row]")] for dom in (typed, params)]
    assert rows[0] == rows[1] and rows[0]
    a, b = (client.get(f"/api/kwic?{q}").get_json() for q in (TYPED_QUERY, PARAM_QUERY))
    assert a["rows"] == b["rows"] and a["total"] == b["total"]
    assert client.get("/kwic.csv?" + TYPED_QUERY).get_data() == client.get("/kwic.csv?" + PARAM_QUERY).get_data()


# --- the command line -------------------------------------------------------------------------

def cli_json(capsys, *argv) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_gives_the_same_answers_for_both_spellings(index_dir, capsys):
    where = ["--index", str(index_dir)]
    params = ["--year", "2021", "--level", "county"]
    typed_stats = cli_json(capsys, "stats", TYPED, "--json", *where)
    param_stats = cli_json(capsys, "stats", WORDS, "--json", *params, *where)
    assert (typed_stats["cells"], typed_stats["totals"]) == (param_stats["cells"], param_stats["totals"])
    typed_search = cli_json(capsys, "search", TYPED, "--json", "--limit", "50", *where)
    param_search = cli_json(capsys, "search", WORDS, "--json", "--limit", "50", *params, *where)
    assert [h["pid"] for h in typed_search["hits"]] == [h["pid"] for h in param_search["hits"]]
    assert typed_search["total"] == param_search["total"] > 0
    typed_kwic = cli_json(capsys, "kwic", TYPED, "--json", *where)
    param_kwic = cli_json(capsys, "kwic", WORDS, "--json", *params, *where)
    assert typed_kwic["rows"] == param_kwic["rows"] and typed_kwic["rows"]
