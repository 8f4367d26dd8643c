"""Facet counts, checked against a brute-force count over the parsed reports."""
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from searchlib.analysis import normalize
from searchlib.query.engine import Column
from searchlib.query.search import SearchRequest

FIELD_OF = {"report_year": lambda r, s: r.report_year, "province": lambda r, s: r.province,
            "city": lambda r, s: r.city, "county": lambda r, s: r.county, "level": lambda r, s: r.level,
            "body": lambda r, s: r.body, "section_kind": lambda r, s: s.kind, "genre": lambda r, s: r.genre}


def brute_force(reports, keep, facet):
    counts = Counter(FIELD_OF[facet](r, s) for r in reports for _, s, p in r.paragraphs() if keep(r, s, p))
    return {("unknown" if v is None else v): n for v, n in counts.items()}


def facet(results, name):
    return dict(results.facets[name])


def contains(word):
    return lambda r, s, p: word in normalize(p.text)


@pytest.mark.parametrize("name", ["report_year", "province", "level", "body", "section_kind", "genre"])
def test_counts_cover_the_whole_result_set_not_the_page(library, reports, name):
    results = library.search(SearchRequest(q='"行政复议"', limit=1))
    assert len(results.hits) == 1 < results.total
    assert facet(results, name) == brute_force(reports, contains("行政复议"), name)
    assert sum(facet(results, name).values()) == results.total


def test_counts_are_exact_with_a_filter_applied(library, reports):
    results = library.search(SearchRequest(q='"法治"', year="2021", limit=3))
    keep = lambda r, s, p: "法治" in normalize(p.text) and r.report_year == 2021
    for name in ("province", "level", "section_kind"):
        assert facet(results, name) == brute_force(reports, keep, name)


def test_a_filtered_facet_counts_its_other_values_disjunctively(library, reports):
    results = library.search(SearchRequest(q='"法治" province:四川', limit=3))
    # the province facet counts the query without the province filter ...
    assert facet(results, "province") == brute_force(reports, contains("法治"), "province")
    assert facet(results, "province")["四川省"] == results.total
    # ... while every other facet counts the result set shown
    keep = lambda r, s, p: "法治" in normalize(p.text) and r.province == "四川省"
    assert facet(results, "report_year") == brute_force(reports, keep, "report_year")


def test_year_facet_with_a_year_range_counts_every_year(library, reports):
    results = library.search(SearchRequest(q='"法治"', year="2021-2022"))
    assert facet(results, "report_year") == brute_force(reports, contains("法治"), "report_year")
    assert results.total == sum(n for y, n in facet(results, "report_year").items() if y in (2021, 2022))


def test_city_facet_appears_within_a_chosen_province(library, reports):
    unfiltered = library.search(SearchRequest(q='"法治"'))
    assert unfiltered.facets["city"] == [] and unfiltered.facets["county"] == []
    in_sichuan = library.search(SearchRequest(q='"法治"', province="四川"))
    keep = lambda r, s, p: "法治" in normalize(p.text) and r.province == "四川省"
    assert facet(in_sichuan, "city") == brute_force(reports, keep, "city")
    assert in_sichuan.facets["county"] == []


def test_county_facet_appears_within_a_chosen_city_and_city_counts_stay_disjunctive(library, reports):
    results = library.search(SearchRequest(q="", province="四川", city="眉山"))
    in_sichuan = lambda r, s, p: r.province == "四川省"
    assert facet(results, "city") == brute_force(reports, in_sichuan, "city")
    in_meishan = lambda r, s, p: r.city == "眉山市"
    assert facet(results, "county") == brute_force(reports, in_meishan, "county")


def test_counts_respect_same_sentence_checks(library):
    results = library.search(SearchRequest(q="行政复议 /s 纠错", limit=1))
    assert sum(facet(results, "section_kind").values()) == results.total


def test_year_facet_is_newest_first_and_others_by_count(library):
    results = library.search(SearchRequest(q="法治"))
    years = [y for y, _ in results.facets["report_year"] if y != "unknown"]
    assert years == sorted(years, reverse=True)
    counts = [n for v, n in results.facets["province"] if v != "unknown"]
    assert counts == sorted(counts, reverse=True)


def test_total_reports_counts_distinct_reports(library, reports):
    results = library.search(SearchRequest(q='"行政复议"', limit=1))
    assert results.total_reports == len({r.doc_id for r in reports for _, _, p in r.paragraphs()
                                         if "行政复议" in normalize(p.text)})


def test_stats_count_paragraphs_and_reports(library, reports):
    assert library.stats() == {"paragraphs": sum(1 for r in reports for _ in r.paragraphs()),
                               "reports": len(reports)}


@settings(max_examples=200, deadline=None)
@given(distinct=st.sampled_from([40, 5000]), data=st.data())
def test_a_column_counts_any_set_of_documents_as_a_tally_would(distinct, data):
    # A few documents are tallied in Python, more are sorted when the column has many values, and
    # counted over every value when it has few: all three must give the tally.
    codes = data.draw(st.lists(st.integers(0, distinct), min_size=1, max_size=300))
    column = Column(values=[None] + [f"v{i}" for i in range(distinct)], codes=np.array(codes, dtype=np.int32))
    docnums = np.array(sorted(set(data.draw(st.lists(st.integers(0, len(codes) - 1), max_size=len(codes))))),
                       dtype=np.int64)
    tally = Counter(codes[d] for d in docnums.tolist())
    assert column.counts(docnums) == [(column.values[code], n) for code, n in sorted(tally.items())]
    assert column.distinct(docnums) == len(tally)


@pytest.mark.parametrize("q", ["行政复议 /d 法律顾问", "法治 /d 复议"])
def test_a_facet_of_a_same_report_search_counts_what_choosing_it_shows(library, q):
    # The report's whole text decides 同篇; a section chosen afterwards picks which of its paragraphs are shown.
    results = library.search(SearchRequest(q=q, limit=0))
    counts = dict(results.facets["section_kind"])
    assert len(counts) > 1
    for section, count in counts.items():
        assert library.search(SearchRequest(q=q, section=section, limit=0)).total == count, section
