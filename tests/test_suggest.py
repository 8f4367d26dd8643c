"""What a search that finds nothing or little offers instead (issue 19, point 8), on the test corpus's real index.

Each suggestion is a variant of the researcher's query (one word dropped, all words in one report, quotes
lifted) counted under the very request the page made: its filters, boilerplate choice, view and mode.
"""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from searchlib.analysis import normalize
from searchlib.cli import main as cli_main
from searchlib.query.parse import And, Filter, Not, parse
from searchlib.query.search import SearchRequest
from searchlib.query.suggest import FEW_REPORTS, MAX_VARIANT_SEARCHES, found, suggest, variants

NOWHERE = "量子纠缠"        # in no report of the test corpus (checked by test_the_missing_word_is_in_no_report)
VIEWS = {"tiers": dict(group=True), "reports": dict(group=True, mode="strict"), "paragraphs": dict(group=False)}


def texts(reports) -> list[tuple[str, str]]:
    """(doc_id, normalized paragraph text) of every paragraph of the corpus."""
    return [(r.doc_id, normalize(p.text)) for r in reports for _, _, p in r.paragraphs()]


def test_the_missing_word_is_in_no_report(reports):
    assert not any(NOWHERE in text for _, text in texts(reports))
    assert sum("法律顾问" in text for _, text in texts(reports)) > 3


@pytest.mark.parametrize("view", VIEWS)
def test_a_word_found_nowhere_is_offered_dropped(library, view):
    request = SearchRequest(q=f"法律顾问 {NOWHERE}", **VIEWS[view])
    offered = suggest(library, request)
    dropped = [s for s in offered if s.kind == "drop"]
    assert [(s.q, s.dropped) for s in dropped] == [("法律顾问", NOWHERE)], \
        "dropping 法律顾问 leaves the word found nowhere: no suggestion"
    alone = library.search(SearchRequest(q="法律顾问", limit=0, **VIEWS[view]))
    assert (dropped[0].reports, dropped[0].paragraphs) == (found(alone) if view == "tiers" else alone.total_reports,
                                                          alone.total)
    assert dropped[0].view == view


# Queries that find nothing or little in some view, with filters typed, chosen, NOTs and quotes.
CASES = [
    (f"法律顾问 {NOWHERE}", {}),
    ("法律顾问 枫桥经验", {}),
    ("法律顾问 枫桥经验", {"year": "2021"}),
    ("年份:2021 法律顾问 枫桥经验 -复议", {}),
    ('"法律顾问" "枫桥经验"', {"province": "浙江"}),
    ('"复议的纠错"', {}),
    (f"+{NOWHERE} 法律顾问 枫桥经验", {"level": "county"}),
    ("法律顾问 年份:1990", {"level": "county"}),
    ("法律顾问 /d 枫桥经验 行政复议", {}),
    ("出庭应诉 /s 执法 -量子纠缠", {}),
]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("q, filters", CASES)
def test_each_suggestion_finds_what_it_says_and_more_than_the_query(library, q, filters, view):
    request = SearchRequest(q=q, **filters, **VIEWS[view])
    current = library.search(replace(request, limit=0))
    for s in suggest(library, request):
        # the very request, with the query (and for some kinds a filter or the view) changed
        ran = library.search(replace(request, q=s.q, limit=0, **s.changes))
        assert s.paragraphs == ran.total
        assert s.reports == (found(ran) if s.view == "tiers" else ran.total_reports)
        assert s.partial == (ran.tiers[3] if s.partial else 0)
        assert s.found == found(ran), "it finds what it says"
        assert s.found > found(current) or (s.partial and found(current) == 0), "never a dead end"
        if s.kind == "same_paragraph" and view == "tiers":
            assert ran.tiers[1] > current.tiers[1], "it offers one paragraph: it finds more there"


def test_a_request_with_a_suggestion_for_every_case_is_in_the_test(library):
    offered = {(q, view) for q, filters in CASES for view in VIEWS
               if suggest(library, SearchRequest(q=q, **filters, **VIEWS[view]))}
    assert len(offered) >= 12
    kinds = {s.kind for q, filters in CASES for view in VIEWS
             for s in suggest(library, SearchRequest(q=q, **filters, **VIEWS[view]))}
    assert kinds == {"drop", "same_report", "words", "same_paragraph", "fuzzy", "no_filter"}


def test_an_empty_result_offers_each_filter_left_out_typed_or_chosen(library):
    for request in (SearchRequest(q="法律顾问 年份:1990", group=True), SearchRequest(q="法律顾问", year="1990")):
        [offered] = [s for s in suggest(library, request) if s.kind == "no_filter"]
        everywhere = library.search(replace(request, q="法律顾问", year=None, limit=0))
        assert found(everywhere) > 0 and offered.q == "法律顾问" and offered.found == found(everywhere)
        assert offered.dropped == "year:1990"
    assert suggest(library, SearchRequest(q="法律顾问", year="1990"))[0].changes == {"year": None}


def test_an_empty_strict_result_offers_the_tiers_with_their_partial_matches(library):
    request = SearchRequest(q=f"法律顾问 {NOWHERE}", group=True, mode="strict")
    [fuzzy] = [s for s in suggest(library, request) if s.kind == "fuzzy"]
    tiers = library.search(replace(request, mode="fuzzy", limit=0)).tiers
    assert fuzzy.changes == {"mode": "fuzzy"} and fuzzy.q == request.q
    assert (fuzzy.reports, fuzzy.partial) == (tiers[1] + tiers[2], tiers[3]) and tiers[3] > 0


def test_a_chosen_filter_is_counted_in_every_suggestion(library):
    request = SearchRequest(q="法律顾问 枫桥经验", year="2021", group=False)
    offered = {s.q: s for s in suggest(library, request)}
    everywhere = library.search(SearchRequest(q="法律顾问", limit=0))
    in_2021 = library.search(SearchRequest(q="法律顾问", year="2021", limit=0))
    assert offered["法律顾问"].paragraphs == in_2021.total < everywhere.total


def test_typed_filters_nots_and_quotes_stay_in_every_variant(library):
    q = '年份:2021 层级:县级 "法律顾问" 枫桥经验 -复议'
    kept = [n for n in parse(q).tree.children if isinstance(n, (Filter, Not))]
    for variant in variants(q):
        tree = parse(variant.q).tree
        children = tree.children if isinstance(tree, And) else (tree,)
        assert [n for n in children if isinstance(n, (Filter, Not))] == kept, variant
    assert [v.q for v in variants(q) if v.kind == "drop"] == [
        'year:2021 level:county "法律顾问" -复议', "year:2021 level:county 枫桥经验 -复议"]


def test_a_same_sentence_clause_is_offered_loosened_to_one_paragraph(library, reports):
    offered = suggest(library, SearchRequest(q="出庭应诉 /s 执法", group=False))
    assert [(s.kind, s.q) for s in offered] == [("same_paragraph", "出庭应诉 执法")]
    assert offered[0].paragraphs == sum("出庭应诉" in text and "执法" in text for _, text in texts(reports))


def test_a_same_report_clause_loses_only_the_member_dropped():
    assert [(v.kind, v.q, v.dropped) for v in variants("(复议 /d 诉讼) 纠错 -撤销 年份:2021")] == [
        ("same_report", "(复议 /d 诉讼 /d 纠错) -撤销 year:2021", ""),
        ("drop", "(复议 /d 诉讼) -撤销 year:2021", "纠错"),
        ("drop", "复议 纠错 -撤销 year:2021", "诉讼"),
        ("drop", "诉讼 纠错 -撤销 year:2021", "复议")]


def test_a_quoted_phrase_is_unquoted_as_its_words_and_a_lone_word_quoted():
    assert [(v.kind, v.q) for v in variants('"出庭 应诉" 纠错')][0] == ("words", "出庭 应诉 纠错")
    assert [(v.kind, v.q) for v in variants("法治政 -诉讼")] == [("exact", '"法治政" -诉讼')]
    assert variants("+法治政") == [] and variants("year:2021") == [] and variants('"a') == []


def test_the_boilerplate_choice_is_counted_in_every_suggestion(reuse_library):
    # 行政复议 is in no template paragraph of the reuse corpus: with 只看模板段落 nothing is worth offering,
    # although 行政复议 alone finds paragraphs when the choice is not kept.
    request = SearchRequest(q=f"行政复议 {NOWHERE}", boilerplate="only", group=False)
    assert suggest(reuse_library, request) == []
    assert [s.q for s in suggest(reuse_library, replace(request, boilerplate=None))] == ["行政复议"]


def test_same_report_is_offered_where_the_words_are_in_different_paragraphs(library, reports):
    offered = suggest(library, SearchRequest(q="法律顾问 枫桥经验", group=True, mode="strict"))
    assert offered[0].kind == "same_report" and offered[0].q == "法律顾问 /d 枫桥经验"
    by_report: dict[str, str] = {}
    for doc_id, text in texts(reports):
        by_report[doc_id] = by_report.get(doc_id, "") + "\n" + text
    both = {d for d, text in by_report.items() if "法律顾问" in text and "枫桥经验" in text}
    assert offered[0].reports == len(both) > 0
    assert not any("法律顾问" in text and "枫桥经验" in text for _, text in texts(reports)), \
        "no paragraph holds both: that is why the strict view is empty"


def test_a_same_sentence_clause_whose_words_share_no_paragraph_is_offered_as_same_report(library, reports):
    # Loosened to one paragraph, 法律顾问 /s 枫桥经验 finds only reports that hold the words apart (its second tier):
    # it is offered as what it is, never as 同段即可.
    offered = suggest(library, SearchRequest(q="法律顾问 /s 枫桥经验", group=True))
    assert [(s.kind, s.q) for s in offered] == [("same_report", "法律顾问 枫桥经验")]
    assert offered[0].same_paragraph == 0 < offered[0].reports


def test_the_tiered_view_does_not_offer_same_report_as_a_query_of_its_own(library):
    # Its second tier already lists the reports holding every word somewhere.
    assert all(v.kind != "same_report" for v in variants("法律顾问 枫桥经验", same_report=False))
    assert all(s.kind != "same_report" for s in suggest(library, SearchRequest(q="法律顾问 枫桥经验", group=True)))


def test_a_query_that_finds_enough_gets_nothing(library):
    request = SearchRequest(q="行政复议 纠错", group=True)
    results = library.search(request)
    assert found(results) >= FEW_REPORTS
    assert suggest(library, request, results) == []
    assert suggest(library, SearchRequest(q="法律顾问", group=False)) == []


def test_a_few_reports_in_the_tiered_view_get_suggestions(library):
    request = SearchRequest(q="法律顾问 枫桥经验", group=True)
    results = library.search(request)
    assert 0 < found(results) < FEW_REPORTS and results.total_groups >= FEW_REPORTS, \
        "some reports hold both words, many one of them"
    assert [s.kind for s in suggest(library, request, results)] == ["drop", "drop"]


def test_all_words_kept_first_then_drops_with_the_fewest_results_first(library):
    q = "法律顾问 行政复议 出庭应诉"    # no paragraph holds the three; each pair is in some paragraph
    offered = suggest(library, SearchRequest(q=q, group=False))
    assert [s.kind for s in offered] == ["same_report", "drop", "drop", "drop"]
    drops = [s.found for s in offered if s.kind == "drop"]
    assert drops == sorted(drops) and len(set(drops)) == 3
    searched = [v.q for v in variants(q) if v.kind == "drop"]
    assert [s.q for s in offered[1:]] != searched, "the order is the counts', not the typed order"


def test_nothing_is_offered_when_no_variant_finds_anything(library):
    assert suggest(library, SearchRequest(q=f"{NOWHERE} 暗物质湮灭", group=False)) == []


def test_at_most_a_few_variants_are_searched(library):
    # Eight concepts: the word found nowhere comes first, and dropping it is the only variant that finds
    # anything. Variants are searched last-typed first, so a bounded search never reaches it.
    words = ["法律顾问", "法治", "政府", "建设", "工作", "推进", "依法"]
    hits = library.search(SearchRequest(q=" ".join(words), limit=0))
    assert hits.total > 0, "the seven words share a paragraph"
    q = " ".join([NOWHERE, *words])
    assert len(variants(q)) > MAX_VARIANT_SEARCHES
    assert [v.q for v in variants(q)].index(" ".join(words)) >= MAX_VARIANT_SEARCHES
    assert suggest(library, SearchRequest(q=q, group=False)) == []
    assert [s.q for s in suggest(library, SearchRequest(q=f"{' '.join(words)} {NOWHERE}", group=False))] == \
        [" ".join(words)]


# --- the command line ---------------------------------------------------------------------------

def test_the_cli_prints_one_line_a_suggestion_after_an_empty_result(index_dir, library, capsys):
    assert cli_main(["search", f"法律顾问 {NOWHERE}", "--index", str(index_dir), "--strict", "--year", "2021"]) == 0
    out = capsys.readouterr().out.splitlines()
    alone = library.search(SearchRequest(q="法律顾问", year="2021", group=True, mode="strict", limit=0))
    assert out[-1] == f"try 法律顾问 (without {NOWHERE}): {alone.total_reports} reports, {alone.total} paragraphs"
    assert alone.total > 0


def test_the_cli_keeps_a_csv_clean_and_says_it_on_stderr(index_dir, capsys):
    assert cli_main(["search", '"复议的纠错"', "--index", str(index_dir), "--csv"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("try 复议的纠错 (as words, not an exact string): 1 report with every word "
                                   "(1 in one paragraph), 1 paragraph; ")
    assert captured.err.endswith(" partial matches\n") and captured.err.count("\n") == 1
    assert "try" not in captured.out


def test_the_cli_json_carries_them(index_dir, capsys):
    assert cli_main(["search", '"复议的纠错"', "--index", str(index_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(s["kind"], s["q"], s["reports"], s["paragraphs"]) for s in data["suggestions"]] == \
        [("words", "复议的纠错", 1, 1)]


# --- the web page and its JSON twin ---------------------------------------------------------------

def offered_links(dom) -> list[dict]:
    return [{"href": a.attributes["href"], "q": a.text(), "reports": int(a.attributes["data-reports"]),
             "paragraphs": int(a.attributes["data-paragraphs"]), "line": a.parent.text(),
             "kind": a.parent.attributes["data-suggestion-kind"]} for a in dom.css("[data-suggestion]")]


def test_an_empty_page_offers_dropping_the_word_found_nowhere_and_keeps_every_filter(page):
    _, dom = page(f"/search?q=法律顾问+{NOWHERE}&group=paragraph&year=2021&sort=newest")
    assert dom.css_first(".empty") is not None
    [link] = offered_links(dom)
    assert link["kind"] == "drop" and link["q"] == "法律顾问"
    assert link["line"].startswith(f"去掉“{NOWHERE}”：")
    assert f"{link['paragraphs']} 段（{link['reports']} 份报告）" in link["line"]
    assert all(f"{k}={v}" in link["href"] for k, v in (("year", "2021"), ("sort", "newest"), ("group", "paragraph")))
    _, followed = page(link["href"])
    assert followed.css_first("[data-total]").text() == str(link["paragraphs"]) != "0"
    assert followed.css_first("input[name=year]").attributes["value"] == "2021"


def test_a_tiered_page_with_few_full_matches_offers_them_above_its_results(page, library):
    _, dom = page("/search?q=法律顾问+枫桥经验")
    assert dom.css_first(".empty") is None and dom.css("li.group"), "partial matches are listed"
    box = dom.css_first("[data-suggestions]")
    assert box is not None and "含全部检索词的报告较少" in box.text()
    links = offered_links(dom)
    assert [link["kind"] for link in links] == ["drop", "drop"]
    for link in links:
        assert f"{link['reports']} 份报告含其余检索词" in link["line"]
        _, followed = page(link["href"])
        tiers = library.search(SearchRequest(q=link["q"], group=True, limit=0)).tiers
        assert link["reports"] == tiers[1] + tiers[2] > 2
        assert followed.css_first("[data-tiers]").text().startswith(f"{tiers[1]} 份报告同段含全部检索词")
        # The line says how many of them hold every word in one paragraph: what the page it leads to counts first.
        assert (f"其中 {tiers[1]} 份同段" if tiers[1] else "不在同一段") in link["line"]


def test_a_page_that_finds_enough_offers_nothing(page):
    _, dom = page("/search?q=行政复议+纠错")
    assert dom.css("[data-suggestion]") == [] and dom.css_first("[data-suggestions]") is None


def test_the_json_twin_carries_the_suggestions_and_their_pages(client):
    data = client.get(f"/api/search?q=法律顾问+{NOWHERE}&mode=strict&province=山东").get_json()
    assert [(s["kind"], s["q"], s["dropped"]) for s in data["suggestions"]] == [
        ("fuzzy", f"法律顾问 {NOWHERE}", ""), ("drop", "法律顾问", NOWHERE)]
    fuzzy, href = data["links"]["suggestions"]
    assert "province=" in fuzzy and "mode=" not in fuzzy, "the tiered view is the default"
    assert "province=" in href and "mode=strict" in href
    followed = client.get(href.replace("/search?", "/api/search?", 1)).get_json()
    assert (followed["total_reports"], followed["total"]) == (data["suggestions"][1]["reports"],
                                                            data["suggestions"][1]["paragraphs"])
    assert followed["filters"] == {"province": "山东"} and followed["total"] > 0


def test_a_run_the_segmenter_cuts_across_is_offered_as_an_exact_string(library, reports):
    # 法治政 is no word run: the words 法治 + 政 find nothing, the characters are in every 法治政府.
    offered = suggest(library, SearchRequest(q="法治政", group=False))
    assert [(s.kind, s.q) for s in offered] == [("exact", '"法治政"')]
    assert offered[0].paragraphs == sum("法治政" in text for _, text in texts(reports)) > 0
