"""The boilerplate filter of the query layer, hand-counted on tests/corpus_reuse (see EXPECTED.md).

'"执法"' is in 8 paragraphs of 5 reports: the template T (严格规范公正文明执法) in
武侯, 锦江, 涪城, 西湖 and, in traditional characters, 玄武; and once more on its own
in 武侯 (problems), 锦江 (plans) and 西湖 (执法监督). T is in 5 reports, so each
copy is shared with 4 others: boilerplate. Nothing else is.
"""
import json

import pytest

from searchlib.cli import main
from searchlib.index.indexing import build_index
from searchlib.query.parse import QueryError
from searchlib.query.search import BOILERPLATE_MIN_OTHER_REPORTS, Library, SearchRequest

from tests.conftest import REUSE_CORPUS

TEMPLATE = "-c68b196f"      # the template's text digest, the same in every report
WUHOU, JINJIANG, XIHU = "ae5edf7818e6", "63797d031ebe", "e630b876ecfd"
OWN_ENFORCEMENT = {WUHOU, JINJIANG, XIHU}   # the reports with a paragraph of their own on 执法


def test_the_threshold_is_four_other_reports_so_the_template_counts_and_a_pair_does_not():
    assert BOILERPLATE_MIN_OTHER_REPORTS == 4


def test_hiding_boilerplate_leaves_the_reports_own_paragraphs(reuse_library):
    results = reuse_library.search(SearchRequest(q='"执法"', boilerplate="hide", limit=20))
    assert (results.total, results.total_reports) == (3, 3)
    assert {h.doc_id for h in results.hits} == OWN_ENFORCEMENT
    assert not any(h.pid.endswith(TEMPLATE) for h in results.hits)
    assert results.boilerplate == "hide"


def test_only_boilerplate_keeps_the_five_copies_of_the_template(reuse_library):
    results = reuse_library.search(SearchRequest(q='"执法"', boilerplate="only", limit=20))
    assert (results.total, results.total_reports) == (5, 5)
    assert all(h.pid.endswith(TEMPLATE) for h in results.hits)


def test_facets_count_the_filtered_set_and_the_boilerplate_facet_the_unfiltered_one(reuse_library):
    plain = reuse_library.search(SearchRequest(q='"执法"', limit=0))
    hidden = reuse_library.search(SearchRequest(q='"执法"', boilerplate="hide", limit=0))
    assert plain.total == 8
    assert dict(plain.facets["boilerplate"]) == {"only": 5, "hide": 3} == dict(hidden.facets["boilerplate"])
    assert dict(hidden.facets["report_year"]) == {2019: 1, 2020: 1, 2021: 1}
    assert sum(n for _, n in hidden.facets["province"]) == hidden.total


def test_disjunctive_facets_also_leave_boilerplate_out(reuse_library):
    # With a province chosen, the province facet counts the query without it: still without templates.
    results = reuse_library.search(SearchRequest(q='"执法"', province="浙江", boilerplate="hide", limit=0))
    assert dict(results.facets["province"]) == {"四川省": 2, "浙江省": 1}


def test_ranking_never_shows_a_hidden_paragraph_on_any_page_or_in_groups(reuse_library):
    pages = [reuse_library.search(SearchRequest(q='"执法"', boilerplate="hide", limit=1, offset=i)).hits
             for i in range(4)]
    assert [len(p) for p in pages] == [1, 1, 1, 0]
    grouped = reuse_library.search(SearchRequest(q='"执法"', boilerplate="hide", group=True, limit=10))
    assert {g.doc_id for g in grouped.groups} == OWN_ENFORCEMENT and all(g.matches == 1 for g in grouped.groups)


def test_a_query_of_only_boilerplate_has_nothing_left_once_hidden(reuse_library):
    results = reuse_library.search(SearchRequest(q="法治思想", boilerplate="hide", limit=10))
    assert (results.total, results.hits) == (0, [])


def test_matching_applies_the_same_filter_for_the_research_tools(reuse_library):
    found = reuse_library.matching(SearchRequest(q='"执法"', boilerplate="only"))
    pids = {found.searcher.stored_fields(d)["pid"] for d in found.docnums}
    assert len(pids) == 5 and all(p.endswith(TEMPLATE) for p in pids)


def test_an_unknown_mode_is_a_query_error(reuse_library):
    with pytest.raises(QueryError, match="hide, only"):
        reuse_library.search(SearchRequest(q="执法", boilerplate="some"))


def test_without_the_reuse_pass_the_filter_says_what_to_run_and_plain_search_is_unchanged(library):
    assert library.reuse_store() is None
    with pytest.raises(QueryError, match="searchlib reuse --build"):
        library.search(SearchRequest(q="法治", boilerplate="hide"))
    assert "boilerplate" not in library.search(SearchRequest(q="法治")).facets


def test_after_an_update_without_the_pass_the_filter_asks_for_it(tmp_path):
    build_index([REUSE_CORPUS / "r1_wuhou_2019.txt", REUSE_CORPUS / "r2_jinjiang_2020.txt"], tmp_path, rebuild=True)
    lib = Library(tmp_path)
    try:
        assert lib.reuse_store() is not None                               # the build ran the pass
        build_index([REUSE_CORPUS / "r3_fucheng_2020.txt"], tmp_path, reuse=False)
        assert lib.reuse_store() is None
        with pytest.raises(QueryError, match="reuse"):
            lib.search(SearchRequest(q="执法", boilerplate="only"))
    finally:
        lib.close()


def test_cli_search_takes_boilerplate(reuse_index_dir, capsys):
    assert main(["search", '"执法"', "--index", str(reuse_index_dir), "--boilerplate", "hide", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["total"], data["boilerplate"], data["facets"]["boilerplate"]) == (3, "hide", {"only": 5, "hide": 3})


def test_cli_boilerplate_without_reuse_data_is_one_line_and_exit_2(index_dir, capsys):
    assert main(["search", "法治", "--index", str(index_dir), "--boilerplate", "only"]) == 2
    err = capsys.readouterr().err
    assert "searchlib reuse --build" in err and "Traceback" not in err and err.count("\n") == 1
