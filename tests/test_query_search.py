"""The query language against the real index: every operator, filter, alias and sort."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from searchlib.analysis import normalize
from searchlib.query.rules import _holds_in, literal_words, sentence_strings, sentences_of
from searchlib.query.parse import Exact, Or, SameSentence, Words
from searchlib.query.search import QueryError, SearchRequest
from searchlib.index.textstore import in_one_sentence, sentence_cuts


def search(library, q="", **kw):
    kw.setdefault("limit", 1000)
    return library.search(SearchRequest(q=q, **kw))


def pids(results):
    return {h.pid for h in results.hits}


def all_paragraphs(reports):
    return [(r, s, p) for r in reports for _, s, p in r.paragraphs()]


def test_or_is_the_union_and_and_the_intersection(library):
    a, b = pids(search(library, "枫桥经验")), pids(search(library, "放管服"))
    assert a and b and a != b
    assert pids(search(library, "枫桥经验 OR 放管服")) == a | b
    assert pids(search(library, "枫桥经验 放管服")) == a & b


def test_not_removes_every_paragraph_with_the_word(library):
    with_review = pids(search(library, "行政复议"))
    without = search(library, "行政复议 -诉讼")
    assert pids(without) < with_review
    assert all("诉讼" not in normalize(h.text) for h in without.hits)
    assert pids(search(library, "行政复议 NOT 诉讼")) == pids(without)


def test_a_not_only_query_finds_everything_else(library, reports):
    everything = len(all_paragraphs(reports))
    with_word = search(library, "行政复议").total
    assert search(library, "-行政复议").total == everything - with_word


def test_or_mixed_with_not(library):
    results = search(library, "枫桥经验 OR -行政")
    expected = pids(search(library, "枫桥经验")) | pids(search(library, "-行政"))
    assert pids(results) == expected


def test_brackets_group(library):
    grouped = pids(search(library, "(复议 | 诉讼) 纠错"))
    assert grouped == (pids(search(library, "复议 纠错")) | pids(search(library, "诉讼 纠错")))


def test_quoted_string_is_exact_even_across_words(library, reports):
    expected = {p.pid for _, _, p in all_paragraphs(reports) if "放管服" in normalize(p.text)}
    assert pids(search(library, '"放管服"')) == expected


def test_same_sentence_requires_one_sentence_to_hold_both(library, reports):
    same = search(library, "行政复议 /s 纠错")
    anywhere = search(library, "行政复议 纠错")
    assert 0 < same.total < anywhere.total
    for hit in same.hits:
        assert any("行政复议" in s and "纠错" in s for s in sentences_of(hit.text))
    excluded = pids(anywhere) - pids(same)
    for hit in anywhere.hits:
        if hit.pid in excluded:
            assert not any("行政复议" in s and "纠错" in s for s in sentences_of(hit.text))


def test_same_sentence_inside_an_or_is_checked_too(library):
    combined = pids(search(library, "(行政复议 /s 纠错) OR 枫桥经验"))
    assert combined == pids(search(library, "行政复议 /s 纠错")) | pids(search(library, "枫桥经验"))


def test_same_sentence_totals_and_pages_agree(library):
    full = search(library, "行政复议 /s 纠错")
    page = search(library, "行政复议 /s 纠错", limit=2, offset=1)
    assert page.total == full.total
    assert [h.pid for h in page.hits] == [h.pid for h in full.hits[1:3]]


@pytest.mark.parametrize("in_query, params", [
    ("year:2021", {"year": "2021"}),
    ("年份:2019-2022", {"year": "2019-2022"}),
    ("province:四川", {"province": "四川省"}),
    ("省份:四川", {"province": "四川"}),
    ("city:成都", {"city": "成都市"}),
    ("county:武侯区", {"county": "武侯"}),
    ("level:county|township", {"level": "county|township"}),
    ("层级:县级", {"level": "county"}),
    ("body:department", {"body": "部门"}),
    ("section:problems", {"section": "存在问题"}),
    ("章节:存在问题", {"section": "problems"}),
])
def test_filters_mean_the_same_in_the_query_and_as_parameters(library, in_query, params):
    from_query = search(library, in_query)
    from_params = search(library, "", **params)
    assert from_query.total > 0
    assert pids(from_query) == pids(from_params)


def test_filters_select_exactly_the_matching_reports(library, reports):
    expected = {p.pid for r, s, p in all_paragraphs(reports)
                if r.province == "四川省" and r.report_year in (2021, 2022, 2023) and s.kind == "problems"}
    assert pids(search(library, "year:2021-2023 province:四川 section:problems")) == expected


def test_short_province_name_finds_the_full_name(library):
    results = search(library, "province:四川")
    assert results.total > 0 and {h.province for h in results.hits} == {"四川省"}


def test_title_filter_needs_the_title_words(library):
    results = search(library, "title:诸暨")
    assert results.total > 0 and all("诸暨" in h.title for h in results.hits)


def test_a_word_only_in_the_title_does_not_make_every_paragraph_match(library, reports):
    zhuji = next(r for r in reports if r.title and r.title.startswith("诸暨市"))
    body_has_it = [p for _, _, p in zhuji.paragraphs() if "诸暨" in p.text]
    found = [h for h in search(library, "诸暨").hits if h.doc_id == zhuji.doc_id]
    assert len(found) == len(body_has_it) < len(list(zhuji.paragraphs()))


def test_a_title_match_ranks_a_paragraph_higher(library):
    # Two paragraphs of the same length mention 武汉; one is in 武汉市司法局's report.
    hits = search(library, "武汉 专项整治").hits
    assert len(hits) == 2 and hits[0].title.startswith("武汉市司法局") and hits[0].score > hits[1].score


def test_an_unquoted_run_as_typed_ranks_above_its_words_scattered(library):
    hits = search(library, "行政复议纠错").hits
    together = [i for i, h in enumerate(hits) if "行政复议纠错" in normalize(h.text)]
    scattered = [i for i, h in enumerate(hits) if "行政复议纠错" not in normalize(h.text)]
    assert together and scattered and max(together) < min(scattered)


def test_a_word_split_by_the_segmenter_is_still_found(library):
    # 化解 stands inside 多元化解 and across cuts: researchers mean the characters
    results = search(library, "化解")
    assert any("多元化解" in h.text for h in results.hits)


def test_a_long_compound_is_found_written_apart(library):
    results = search(library, "行政执法三项制度")
    assert any("行政执法“三项制度”" in h.text for h in results.hits)
    exact_first = [("行政执法三项制度" in h.text) for h in results.hits]
    assert exact_first[0] and exact_first == sorted(exact_first, reverse=True)


def test_a_long_compound_as_its_parts_needs_them_close_together_or_terms_in_one_sentence(library, reports):
    # 重大 … 行政 … 决策 over a paragraph is not 重大行政决策; 行政执法“三项制度” is 行政执法三项制度, and so is
    # 行政执法公示、执法全过程记录、重大执法决定法制审核三项制度 (parts of four characters: one sentence will do).
    texts = {p.pid: normalize(p.text) for _, _, p in all_paragraphs(reports)}
    found = pids(search(library, "重大行政决策", mode="strict"))
    assert found and all("重大行政决策" in texts[pid] for pid in found)
    assert "d5c91ae83517-88e9bd69" not in found   # 重大, 行政 and 决策 apart
    assert all("重大" in texts[pid] and "决策" in texts[pid] for pid in ["d5c91ae83517-88e9bd69"])
    apart = pids(search(library, "行政执法三项制度", mode="strict"))
    assert "f9f1606193f0-4c2862fe" in apart and "d5c91ae83517-3da708e7" in apart
    assert "d5c91ae83517-08b27d14" not in pids(search(library, "法治政府建设示范", mode="strict"))   # a sentence apart
    # The same rule in one sentence (同句) and in the counts.
    assert pids(search(library, "重大行政决策 /s 决策", mode="strict")) <= found
    assert search(library, "重大行政决策", mode="strict").total == len(found)


def test_traditional_full_width_query_reads_as_simplified(library):
    assert search(library, "行政復議").understood == "行政复议"
    assert pids(search(library, "行政復議")) == pids(search(library, "行政复议"))


def test_understood_shows_the_segmented_normalized_query(library):
    assert search(library, "出庭应诉率").understood == "出庭应诉率"
    assert search(library, "行政复议纠错").understood == "行政复议 纠错"
    assert search(library, "复议 -诉讼 年份:2021").understood == "复议 AND NOT 诉讼 AND year:2021"
    assert search(library, "(a | b) /s c").understood == "(a OR b) /s c"


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_year_sorts_order_by_report_year(library, sort):
    years = [h.report_year for h in search(library, "法治", sort=sort).hits if h.report_year is not None]
    assert years == sorted(years, reverse=(sort == "newest")) and len(set(years)) > 2


def test_equal_scores_are_ordered_by_paragraph_id(library):
    hits = search(library, "section:problems").hits  # a filter alone: every hit scores the same
    assert len(hits) > 3 and [h.pid for h in hits] == sorted(h.pid for h in hits)


def test_pages_tile_the_ranking_exactly(library):
    full = search(library, "法治").hits
    paged = []
    for offset in range(0, len(full), 7):
        page = search(library, "法治", limit=7, offset=offset)
        assert page.total == len(full)
        paged.extend(h.pid for h in page.hits)
    assert paged == [h.pid for h in full]


def test_results_are_deterministic(library):
    first = [(h.pid, h.score) for h in search(library, "法律顾问 OR 普法").hits]
    assert first == [(h.pid, h.score) for h in search(library, "法律顾问 OR 普法").hits]


def test_group_by_report_gives_best_paragraph_and_match_count(library):
    flat = search(library, "法律顾问")
    grouped = search(library, "法律顾问", group=True, mode="strict")
    per_report = {}
    for h in flat.hits:
        per_report.setdefault(h.doc_id, []).append(h)
    assert grouped.total == flat.total and grouped.total_reports == len(per_report)
    assert [g.doc_id for g in grouped.groups] == list(per_report)  # in order of each report's best hit
    for g in grouped.groups:
        assert g.matches == len(per_report[g.doc_id])
        assert g.best.pid == per_report[g.doc_id][0].pid
    assert [h.pid for h in grouped.hits] == [g.best.pid for g in grouped.groups]


def test_group_pages_are_reports(library):
    everything = search(library, "法治", group=True).groups
    page = search(library, "法治", group=True, limit=2, offset=1).groups
    assert [g.doc_id for g in page] == [g.doc_id for g in everything[1:3]]


@pytest.mark.parametrize("request_kw, message", [
    ({"q": '"行政复议'}, "unbalanced quote"),
    ({"sort": "best"}, "unknown sort"),
    ({"offset": -1}, "negative"),
    ({"offset": 10**6}, "too deep"),
    ({"year": "去年"}, "year"),
])
def test_unusable_requests_raise_query_error(library, request_kw, message):
    with pytest.raises(QueryError, match=message):
        library.search(SearchRequest(**request_kw))


@given(st.text(max_size=80))
def test_search_never_raises_anything_but_query_error(library, text):
    try:
        library.search(SearchRequest(q=text, limit=3))
    except QueryError:
        pass


_SYNTAX = st.sampled_from(['"', "“", "”", "(", "（", ")", "-", "|", " OR ", " NOT ", "/s", " ", "year:", "省份:",
                           "level:", "复议", "纠错", "法治", "2021", "四川", "-法", "a", "*", "?", "~", ":"])


@given(st.lists(_SYNTAX, max_size=30))
def test_search_never_raises_anything_but_query_error_on_operator_soup(library, pieces):
    try:
        results = library.search(SearchRequest(q="".join(pieces), limit=3))
    except QueryError:
        return
    assert results.total >= len(results.hits)


# --- the literal shortcut of 同句 checks agrees with the general rule --------------------

_SHORTCUT_WORDS = ["行政", "复议", "行政复议", "案件", "法治", "建设", "依法", "推进", "法律顾问", "执法", "纠错", "政府"]


@settings(max_examples=200)
@given(data=st.data())
def test_the_literal_shortcut_decides_every_sentence_as_the_general_rule_does(reports, data):
    paragraphs = [p.text for r in reports for _, _, p in r.paragraphs()]
    text = data.draw(st.sampled_from(paragraphs))
    members = data.draw(st.lists(st.sampled_from(_SHORTCUT_WORDS), min_size=2, max_size=3, unique=True))
    clause = SameSentence(tuple(Words(w) for w in members))
    words = literal_words(clause)
    assert words is not None
    for sentence in sentences_of(text):
        assert all(w in sentence for w in words) == _holds_in(clause, sentence, {})


def _bytes_test_decides(clause: SameSentence, text: str) -> bool:
    """The decision of the text files' NumPy check, on a store of three paragraphs (text in the middle,
    after one that does not end a sentence), taken both ways: the paragraph alone (its bytes copied)
    and all three (most of the store: searched in place, where paragraphs lie end to end)."""
    paragraphs = [normalize(t).encode("utf-8") for t in ("推进法治政府建设", text, "法治推进。政府建设")]
    blob = b"".join(paragraphs)
    offsets = np.cumsum([0] + [len(p) for p in paragraphs])
    cuts, strings = sentence_cuts(blob, offsets), sentence_strings(clause)
    alone = bool(in_one_sentence(blob, offsets, cuts, np.array([1]), strings)[0])
    in_place = bool(in_one_sentence(blob, offsets, cuts, np.array([0, 1, 2]), strings)[1])
    assert alone == in_place
    return alone


def _general_rule_decides(clause: SameSentence, text: str) -> bool:
    return any(_holds_in(clause, s, {}) for s in sentences_of(text))


_MEMBERS = st.one_of(
    st.sampled_from(_SHORTCUT_WORDS + ["行政执法三项制度", "重大行政决策", "法治政府建设", "一村一法律顾问"]).map(Words),
    st.sampled_from(["法治政", "复议案件", "。推进", "建设"]).map(Exact),
    st.lists(st.sampled_from(_SHORTCUT_WORDS).map(Words), min_size=2, max_size=3).map(lambda ws: Or(tuple(ws))),
)


@settings(max_examples=300)
@given(data=st.data())
def test_the_sentence_strings_decides_every_paragraph_as_the_general_rule_does(reports, data):
    paragraphs = [p.text for r in reports for _, _, p in r.paragraphs()]
    text = data.draw(st.sampled_from(paragraphs))
    members = data.draw(st.lists(_MEMBERS, min_size=1, max_size=3))
    clause = SameSentence(tuple(members))
    if sentence_strings(clause) is None:
        return
    assert _bytes_test_decides(clause, text) == _general_rule_decides(clause, text)


_OVERLAPPING = ["法治", "治政", "政府", "法治政府", "建设", "设法"]


@settings(max_examples=300)
@given(text=st.text(alphabet="法治政府建设。！？；!?;\n，", max_size=40),
       members=st.lists(st.sampled_from(_OVERLAPPING), min_size=2, max_size=3, unique=True))
def test_the_sentence_strings_finds_overlapping_and_nested_words_in_one_sentence(text, members):
    clause = SameSentence(tuple(Words(w) for w in members))
    words = literal_words(clause)
    if words is None or sentence_strings(clause) is None:
        return
    assert _bytes_test_decides(clause, text) == any(all(w in s for w in words) for s in sentences_of(text))


def test_the_sentence_strings_reads_overlaps_nesting_terminators_and_compounds():
    def same(*members: str):
        return SameSentence(tuple(Words(m) for m in members))
    assert _bytes_test_decides(same("法治", "政府"), "推进法治政府建设")
    assert not _bytes_test_decides(same("法治", "政府"), "推进法治。政府建设")
    assert not _bytes_test_decides(same("法治", "政府"), "推进法治！政府建设")
    assert _bytes_test_decides(same("法治", "政府"), "政府推进法治，好")
    assert _bytes_test_decides(same("法治", "治政"), "。法治政。")  # overlapping
    assert _bytes_test_decides(same("治政", "法治"), "法治政")
    assert _bytes_test_decides(same("法治", "法治政府"), "法治政府")  # nested
    # a compound matches as its parts within one sentence, not across two
    assert _bytes_test_decides(same("行政执法三项制度", "落实"), "落实行政执法“三项制度”")
    assert not _bytes_test_decides(same("行政执法三项制度", "落实"), "落实行政执法。三项制度")
    assert not _bytes_test_decides(SameSentence((Exact("法治。建设"), Words("推进"))), "推进法治。建设")
    assert sentence_strings(same("行政复议", "率")) is None  # a single character needs the segmenter


def test_the_shortcut_is_not_taken_where_the_general_rule_differs():
    assert literal_words(SameSentence((Words("行政复议"), Words("率")))) is None          # a single character
    assert literal_words(SameSentence((Words("行政执法三项制度"), Words("案件")))) is None  # a compound


def test_the_compound_bench_script_runs_and_counts_what_search_counts(index_dir, library, capsys):
    from tests.benchscripts import load
    assert load("compounds").main(["--index", str(index_dir), "--runs", "2"]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    strict = {line[1]: int(line[2]) for line in lines if line[0] == "strict" and len(line) == 5}
    assert strict["重大行政决策"] == search(library, "重大行政决策", mode="strict").total
