"""The default search: reports in tiers, each concept found as typed, by its parts, by the thesaurus.

A small corpus written for the purpose (one report per case), and a
brute-force statement of what each tier means checked against the engine.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from searchlib.analysis import normalize
from searchlib.query.concepts import plan
from searchlib.index.indexing import build_index
from searchlib.query.parse import parse
from searchlib.query.search import Library, QueryError, SearchRequest
from searchlib.query.tiers import describe

REPORTS = {
    # both concepts in one paragraph, as typed: tier 1 for 法治宣传教育 备案
    "a_typed.txt": ("关于甲县2023年法治政府建设情况的报告", "2024-02-01",
                    ["一、主要做法", "全面落实法治宣传教育责任，规范性文件一律报送备案。", "二、存在的问题", "基层力量薄弱。"]),
    # both concepts in the report but in different paragraphs; one of them only in a heading
    "b_report.txt": ("关于乙县2023年法治政府建设情况的报告", "2024-02-02",
                     ["一、深入开展法治宣传教育", "组织送法下乡活动十二场。", "二、加强备案审查",
                      "全年审查文件三十件。"]),
    # the compound written with a word inserted (法治宣传和教育), and the thesaurus's 报备
    "c_parts.txt": ("关于丙县2023年法治政府建设情况的报告", "2024-02-03",
                    ["一、主要做法", "加强法治宣传和教育，重大事项及时报备。", "二、下一步工作安排", "继续努力。"]),
    # only the synonym 普法 of one concept: some concepts, tier 3
    "d_some.txt": ("关于丁县2023年法治政府建设情况的报告", "2024-02-04",
                   ["一、主要做法", "深入开展普法工作，建设法治文化广场。", "二、存在的问题", "经费不足。"]),
    # nothing of the query
    "e_none.txt": ("关于戊县2023年法治政府建设情况的报告", "2024-02-05",
                   ["一、主要做法", "推进综合执法改革。", "二、存在的问题", "人员不足。"]),
    # a long compound kept whole by the dictionary, written as its distinctive part only
    "f_piece.txt": ("关于己县2023年法治政府建设情况的报告", "2024-02-06",
                    ["一、主要做法", "清理规范性文件十五件。", "二、存在的问题", "审查力量不足。"]),
}


def _text(title: str, date: str, lines: list[str]) -> str:
    return "\n".join([title, f"发布日期:{date}", *lines]) + "\n"


@pytest.fixture(scope="module")
def tier_library(tmp_path_factory) -> Library:
    corpus = tmp_path_factory.mktemp("tier_corpus")
    for name, (title, date, lines) in REPORTS.items():
        (corpus / name).write_text(_text(title, date, lines), encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("tier_index")
    build_index([corpus], index_dir, rebuild=True, reuse=False, procs=1)
    library = Library(index_dir)
    yield library
    library.close()


def tiers_of(library: Library, q: str, **kw) -> dict[str, int]:
    results = library.search(SearchRequest(q=q, group=True, limit=100, **kw))
    return {Path(_source(library, g.doc_id)).name: g.tier for g in results.groups}


def _source(library: Library, doc_id: str) -> str:
    return library.report(doc_id)[0]["source"]


def test_a_report_is_placed_in_the_first_tier_it_qualifies_for(tier_library):
    assert tiers_of(tier_library, "法治宣传教育 备案") == {
        "a_typed.txt": 1, "b_report.txt": 2, "c_parts.txt": 2, "d_some.txt": 3}


def test_the_tiers_come_in_order_and_are_counted(tier_library):
    results = tier_library.search(SearchRequest(q="法治宣传教育 备案", group=True, limit=100))
    assert [g.tier for g in results.groups] == sorted(g.tier for g in results.groups)
    assert results.tiers == {1: 1, 2: 2, 3: 1, 4: 0}
    assert results.total_groups == 4
    # Counts stay strict: the paragraphs and reports with every concept in one paragraph.
    assert (results.total, results.total_reports) == (1, 1)


def test_strict_mode_is_the_first_tier_alone(tier_library):
    strict = tier_library.search(SearchRequest(q="法治宣传教育 备案", group=True, mode="strict", limit=100))
    assert [g.tier for g in strict.groups] == [1] and strict.tiers is None


def test_a_compound_is_found_by_its_distinctive_part(tier_library):
    found = tiers_of(tier_library, "行政规范性文件")
    assert found["f_piece.txt"] in (2, 3) and "e_none.txt" not in found


def test_quoting_a_concept_switches_its_expansions_off(tier_library):
    # b has it only in a section heading: text of its section for the report tiers.
    assert tiers_of(tier_library, '"法治宣传教育"') == {"a_typed.txt": 1, "b_report.txt": 2}


def test_a_required_concept_leaves_out_reports_without_it(tier_library):
    found = tiers_of(tier_library, "法治宣传教育 +备案")
    assert "d_some.txt" not in found and found["a_typed.txt"] == 1


def test_same_report_finds_concepts_in_different_paragraphs(tier_library):
    results = tier_library.search(SearchRequest(q="送法下乡 /d 审查文件", limit=100))
    assert {h.doc_id for h in results.hits} == {tier_library.search(
        SearchRequest(q="送法下乡", limit=1)).hits[0].doc_id}
    assert results.total == 2  # a paragraph with either, in the one report with both


def test_an_english_phrase_finds_its_chinese_term(tier_library):
    found = tiers_of(tier_library, "legal publicity")
    assert {"a_typed.txt", "b_report.txt", "d_some.txt"} <= set(found)


def test_english_function_words_are_not_concepts(tier_library):
    # Reports do not write "for" or "the": as concepts they would keep every report in tier 3.
    assert tiers_of(tier_library, "the filing review for legal publicity") == tiers_of(
        tier_library, "filing review legal publicity")
    assert 2 in tiers_of(tier_library, "filing review for legal publicity").values()


def test_the_reading_of_an_english_query_names_its_concepts_not_its_function_words(tier_library):
    results = tier_library.search(SearchRequest(q="the filing review for legal publicity", group=True, limit=5))
    assert results.understood == "filing review AND legal publicity"
    strict = tier_library.search(SearchRequest(q="the filing review for legal publicity", mode="strict", group=True))
    # Strictly, what a paragraph can hold: the glossary's Chinese terms, the function words dropped.
    assert strict.understood == "备案 审查 AND 普法"


@pytest.mark.parametrize("typed", ["Filing Reviews", "filing-review", "filing  review"])
def test_an_english_phrase_is_found_in_the_plural_with_hyphens_or_capitals(tier_library, typed):
    # The glossary has "filing review = 备案审查"; a researcher types it however English allows.
    assert tiers_of(tier_library, typed) == tiers_of(tier_library, "filing review") != {}


def test_the_best_paragraphs_mark_what_was_found(tier_library):
    results = tier_library.search(SearchRequest(q="法治宣传教育 备案", group=True, limit=100))
    by_file = {Path(_source(tier_library, g.doc_id)).name: g for g in results.groups}
    snippets = " ".join(h.snippet for h in by_file["c_parts.txt"].paragraphs)
    assert re.search("<mark>[^<]*法治宣传[^<]*</mark>", snippets) and "<mark>报备</mark>" in snippets


def test_tiers_agree_with_a_brute_force_reading_of_the_reports(tier_library):
    """Tier 2/3 restated in plain Python: a concept is in a report when a paragraph, heading or the title
    holds it as typed, all of its parts, or a thesaurus member (all words here are 2-5 characters, where
    "matches" means "is a substring of")."""
    for q in ("法治宣传教育 备案", "普法 报备", "法治文化 审查"):
        the_plan = plan(parse(q).tree)
        expected: dict[str, int] = {}
        for name, (title, _, lines) in REPORTS.items():
            texts = [normalize(line) for line in [title, *lines]]

            def holds(words: tuple[str, ...]) -> bool:
                return any(all(w in t for w in words) for t in texts)

            present = [holds((c.typed,)) or (bool(c.parts) and holds(c.parts))
                       or any(holds(tuple(s.split())) for s in c.synonyms) for c in the_plan.concepts]
            strict = any(all(c.typed in t for c in the_plan.concepts) for t in texts[1:])
            if strict:
                expected[name] = 1
            elif all(present):
                expected[name] = 2
            elif any(present):
                expected[name] = 3
        found = tiers_of(tier_library, q)
        assert {k: v for k, v in found.items() if v < 3} == {k: v for k, v in expected.items() if v < 3}, q
        assert set(expected) <= set(found), q


CLOSENESS = {
    "near_parts.txt": ["一、主要做法", "加强矛盾纠纷排查调解，化解率百分之九十八。", "二、备案审查", "文件全部报送备案。"],
    "far_parts.txt": ["一、主要做法", "化解矛盾，处理纠纷三十件，组织人民调解员培训两期。", "二、备案审查", "文件全部报送备案。"],
    "near_run.txt": ["一、主要做法", "为高质量发展提供法治保障。", "二、备案审查", "规范性文件全部报送备案。"],
    "far_run.txt": ["一、主要做法", "坚持法治思维，落实各项民生保障措施和兜底政策。", "二、备案审查", "规范性文件全部报送备案。"],
    "other.txt": ["一、主要做法", "推进综合执法改革。"],
}


def _township_library(tmp_path_factory, reports: dict[str, list[str]]) -> Iterator[Library]:
    """An index of one township report per file (name -> its lines under a title of its own), open while used."""
    corpus = tmp_path_factory.mktemp("corpus")
    for i, (name, lines) in enumerate(reports.items()):
        (corpus / name).write_text(_text(f"关于{'甲乙丙丁戊己庚辛'[i]}镇2023年法治政府建设情况的报告", f"2024-03-0{i + 1}", lines),
                                   encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("index")
    build_index([corpus], index_dir, rebuild=True, reuse=False, procs=1)
    with Library(index_dir) as library:
        yield library


@pytest.fixture(scope="module")
def closeness_library(tmp_path_factory) -> Iterator[Library]:
    yield from _township_library(tmp_path_factory, CLOSENESS)


def test_a_concepts_parts_count_only_close_together_and_in_order(closeness_library):
    # 矛盾纠纷调解's parts 矛盾 + 纠纷 + 调解: a few characters apart they are the concept; a clause apart,
    # not (the report then holds only the other concept, and pieces).
    found = tiers_of(closeness_library, "矛盾纠纷调解 备案")
    assert found["near_parts.txt"] == 2
    assert found["far_parts.txt"] == 3


def test_a_typed_run_of_several_words_counts_only_where_they_stand_together(closeness_library):
    # Strictly (tier 1) 法治保障 is 法治 and 保障 in one paragraph; as a concept of the report they
    # must stand together, so only near_run holds both concepts.
    found = tiers_of(closeness_library, "法治保障 备案")
    assert found["near_run.txt"] == 2
    assert found["far_run.txt"] == 3
    strict = closeness_library.search(SearchRequest(q="法治保障", group=False, limit=10))
    assert {h.doc_id for h in strict.hits} >= {g.doc_id for g in closeness_library.search(
        SearchRequest(q="法治保障", group=True, limit=10)).groups if g.tier == 1}


def test_a_typed_run_of_several_words_says_how_many_paragraphs_write_it_as_typed(closeness_library):
    # 法治保障 matches strictly wherever 法治 and 保障 share a paragraph (far_run too); as written, once.
    results = closeness_library.search(SearchRequest(q="法治保障 备案", group=True, limit=10))
    written = {c["concept"]: c["as_written"] for c in results.concepts}
    assert written == {"法治保障": 1, "备案": None}
    strict = closeness_library.search(SearchRequest(q="法治保障", group=False, limit=0)).total
    assert strict == 2 > written["法治保障"]
    narrowed = closeness_library.search(SearchRequest(q="法治保障 -高质量", group=True, limit=10))
    assert narrowed.concepts[0]["as_written"] == 0, "counted under the query's NOT and filters"


def test_the_page_says_a_run_of_several_words_matches_by_its_words_and_how_often_it_is_written(closeness_library):
    from webui import create_app

    client = create_app({"INDEX_DIR": str(closeness_library.index_dir), "TESTING": True}).test_client()
    html = client.get("/search?q=法治保障").get_data(as_text=True)
    assert "按词匹配：法治、保障 在同一段即算，原样连写的 1 段" in html


VARIANT_REPORTS = {
    # the compound with one character changed (连接 for 衔接): most of what was typed, in one paragraph
    "v_variant.txt": ["一、主要做法", "落实行政执法与刑事司法连接制度，全年向公安机关移送涉嫌犯罪案件两件，均已立案侦查。"],
    # two distinctive parts of it, in short paragraphs of their own, far apart
    "s_scattered.txt": ["一、主要做法", "深化刑事司法协作。", "二、存在的问题", "工作衔接不畅。", "部门衔接不够。"],
    "x_other1.txt": ["一、主要做法", "推进综合执法改革。"],
    "x_other2.txt": ["一、主要做法", "加强法治宣传教育。"],
    "x_other3.txt": ["一、主要做法", "规范重大行政决策程序。"],
}


@pytest.fixture(scope="module")
def variant_library(tmp_path_factory) -> Iterator[Library]:
    yield from _township_library(tmp_path_factory, VARIANT_REPORTS)


def test_in_tier_3_the_report_holding_most_of_what_was_typed_comes_first(variant_library):
    # Neither report holds 行政执法与刑事司法衔接 or its parts close together, so both are partial matches (tier 3);
    # the scattered parts score higher as words, but the variant holds most of the typed run in one paragraph.
    results = variant_library.search(SearchRequest(q="行政执法与刑事司法衔接", group=True, limit=10))
    order = [(Path(_source(variant_library, g.doc_id)).name, g.tier) for g in results.groups]
    assert order[:2] == [("v_variant.txt", 3), ("s_scattered.txt", 3)]


def _a_topic_line() -> tuple[str, str]:
    """A topic of data/related.txt and one of its terms that shares no word with it and is no thesaurus name of it."""
    from searchlib.analysis import words
    from searchlib.query.concepts import related
    for topic, terms in related().items():
        names = [n.replace(" ", "") for n in (topic, *plan(parse(topic).tree).concepts[0].synonyms)]
        for term in terms:
            if (len(topic) >= 3 and len(term) >= 3 and not set(words(term)) & set(words(topic))
                    and not any(n in term or term in n for n in names)):
                return topic, term
    pytest.fail("data/related.txt has no topic line with a term of its own")


@pytest.fixture(scope="module")
def related_library(tmp_path_factory) -> Iterator[tuple[Library, str, str]]:
    topic, term = _a_topic_line()
    reports = {"named.txt": ["一、主要做法", f"全面推进{topic}，成效明显。"],
               "related.txt": ["一、主要做法", f"扎实开展{term}活动，覆盖全部村居。"],
               "other1.txt": ["一、主要做法", "推进综合执法改革。"],
               "other2.txt": ["一、主要做法", "加强备案审查。"],
               "other3.txt": ["一、主要做法", "规范重大行政决策程序。"]}
    for library in _township_library(tmp_path_factory, reports):
        yield library, topic, term


def test_a_report_writing_a_related_term_of_a_topic_is_a_partial_match_below_the_topic(related_library):
    library, topic, term = related_library
    results = library.search(SearchRequest(q=topic, group=True, limit=10))
    order = [(Path(_source(library, g.doc_id)).name, g.tier) for g in results.groups]
    assert order == [("named.txt", 1), ("related.txt", 3)]
    assert term in results.concepts[0]["related"]
    marked = "".join(re.findall("<mark>(.*?)</mark>", results.groups[1].paragraphs[0].snippet))
    assert term in marked


def test_a_run_written_around_a_topic_has_the_topics_related_terms():
    # A heading copied from a report (抓住关键少数) is about the topic written inside it (关键少数).
    topic, term = _a_topic_line()
    run = f"切实抓好{topic}"
    from searchlib.query.concepts import related
    assert run not in related()
    concept = plan(parse(run).tree).concepts[0]
    assert term in concept.related


def test_quoting_a_topic_switches_its_related_terms_off(related_library):
    library, topic, _ = related_library
    results = library.search(SearchRequest(q=f'"{topic}"', group=True, limit=10))
    assert [Path(_source(library, g.doc_id)).name for g in results.groups] == ["named.txt"]


def test_the_results_page_names_the_related_terms_it_used(related_library):
    from webui import create_app
    library, topic, term = related_library
    app = create_app({"INDEX_DIR": str(library.index_dir), "TESTING": True})
    page = app.test_client().get("/search", query_string={"q": topic}).get_data(as_text=True)
    assert "相关 " in page and term in page


JOINED = {
    "joined.txt": ["一、主要做法", "严格执行三重一大决策制度。"],
    "one_word.txt": ["一、主要做法", "重大事项一律集体讨论决策。"],
    "common1.txt": ["一、主要做法", "规范行政决策程序。"],
    "common2.txt": ["一、主要做法", "科学决策、民主决策。"],
    "none.txt": ["一、主要做法", "推进综合执法改革。"],
    "member.txt": ["一、主要做法", "建成普法长廊两处。"],
    "culture.txt": ["一、主要做法", "繁荣法治文化。"],
}


@pytest.fixture(scope="module")
def joined_library(tmp_path_factory) -> Iterator[Library]:
    yield from _township_library(tmp_path_factory, JOINED)


def test_two_typed_words_that_spell_a_thesaurus_entry_stay_two_concepts(joined_library):
    # 三重一大 决策 spells the thesaurus entry 三重一大决策: still two concepts, as typed; 决策 is in most of these
    # reports (no distinctive part), yet as a word typed on its own it makes a report a partial match.
    found = tiers_of(joined_library, "三重一大 决策")
    assert found["joined.txt"] == 1
    assert found["one_word.txt"] == found["common1.txt"] == found["common2.txt"] == 3
    assert "none.txt" not in found
    results = joined_library.search(SearchRequest(q="三重一大 决策", group=True, limit=20))
    assert [c["concept"] for c in results.concepts] == ["三重一大", "决策"]


def test_a_member_of_the_entry_two_typed_words_spell_holds_both_of_them(joined_library):
    # 法治文化 阵地 spells 法治文化阵地, whose group holds 普法长廊: a report that writes it holds both words' topic.
    found = tiers_of(joined_library, "法治文化 阵地")
    assert found["member.txt"] == 2
    assert found["culture.txt"] == 3
    results = joined_library.search(SearchRequest(q="法治文化 阵地", group=True, limit=20))
    member = next(g for g in results.groups if g.tier == 2)
    assert member.concepts == 2


COMMON = {
    "lecture.txt": ["一、主要做法", "举办法治讲座三场，办理行政复议案件。", "深化法治建设。"],
    "talk_only.txt": ["一、主要做法", "邀请专家开展讲座。"],
    "common1.txt": ["一、主要做法", "推进法治建设，规范行政行为。"],
    "common2.txt": ["一、主要做法", "深化法治宣传，规范行政执法。"],
    "common3.txt": ["一、主要做法", "健全法治工作机制，提升行政效能。"],
    "none.txt": ["一、主要做法", "推进行政审批改革。"],
}


@pytest.fixture(scope="module")
def common_library(tmp_path_factory) -> Iterator[Library]:
    yield from _township_library(tmp_path_factory, COMMON)


def test_a_report_holding_only_a_common_word_of_a_typed_run_comes_last_in_tier_4(common_library):
    # 法治讲座 is 法治 + 讲座; 法治 is in most of these reports, so alone it is little evidence, but still evidence.
    results = common_library.search(SearchRequest(q="法治讲座", group=True, limit=100))
    order = [(Path(_source(common_library, g.doc_id)).name, g.tier) for g in results.groups]
    assert order[:2] == [("lecture.txt", 1), ("talk_only.txt", 3)]
    assert sorted(order[2:]) == [("common1.txt", 4), ("common2.txt", 4), ("common3.txt", 4)]
    assert results.tiers == {1: 1, 2: 0, 3: 1, 4: 3}
    assert describe(results.tiers).endswith("3 份仅含常见词")
    assert all("<mark>法治</mark>" in g.paragraphs[0].snippet for g in results.groups[2:])
    assert results.concepts[0]["common"] == ["法治"]
    # Elsewhere a common word shows no paragraph: lecture.txt's 深化法治建设 holds nothing but 法治.
    assert [p.text for p in results.groups[0].paragraphs] == ["举办法治讲座三场，办理行政复议案件。"]


def test_a_part_of_one_dictionary_word_is_no_common_word(common_library):
    # 行政 is in most reports, but the researcher typed the one word 行政复议, not 行政.
    assert tiers_of(common_library, "行政复议") == {"lecture.txt": 1}


def test_the_results_page_heads_tier_4_and_counts_it(common_library):
    from webui import create_app
    app = create_app({"INDEX_DIR": str(common_library.index_dir), "TESTING": True})
    page = app.test_client().get("/search", query_string={"q": "法治讲座"}).get_data(as_text=True)
    assert 'data-tier-head="4">仅含常见词' in page
    assert "3 份仅含常见词" in page
    assert "常见词 法治" in page


def test_an_english_phrases_expansion_can_be_switched_off_like_a_words(tier_library):
    from urllib.parse import quote_plus
    from webui import create_app
    app = create_app({"INDEX_DIR": str(tier_library.index_dir), "TESTING": True})
    page = app.test_client().get("/search", query_string={"q": "filing review legal publicity"}).get_data(as_text=True)
    assert f'href="/search?q={quote_plus(chr(34) + "filing review" + chr(34) + " legal publicity")}"' in page


def test_a_report_holding_every_concept_shows_where_it_holds_them_not_its_related_terms(tmp_path_factory):
    # A related term or a piece places a report in tier 3; in a report of tier 1 it is not what the report holds.
    topic, term = _a_topic_line()
    reports = {"both.txt": ["一、主要做法", f"全面推进{topic}，成效明显。", f"扎实开展{term}活动，覆盖全部村居。"],
               "other1.txt": ["一、主要做法", "推进综合执法改革。"],
               "other2.txt": ["一、主要做法", "加强备案审查。"]}
    for library in _township_library(tmp_path_factory, reports):
        group = library.search(SearchRequest(q=topic, group=True, limit=10)).groups[0]
        assert group.tier == 1
        assert [p for p in group.paragraphs if topic in p.text] and not [p for p in group.paragraphs if term in p.text]


def test_an_english_query_is_counted_where_its_chinese_terms_are(tier_library):
    # What a paragraph can hold: the paragraph view, the counts and the research views read it as its Chinese terms.
    english = tier_library.search(SearchRequest(q="the legal publicity", mode="strict", limit=100))
    chinese = tier_library.search(SearchRequest(q="普法", mode="strict", limit=100))
    assert english.total == chinese.total > 0
    assert {h.pid for h in english.hits} == {h.pid for h in chinese.hits}
    assert all("<mark>" in h.snippet for h in english.hits)
    matched = tier_library.matching(SearchRequest(q="legal publicity"))
    assert len(matched.docnums) == chinese.total


def test_a_query_of_nothing_but_operators_is_refused_not_read_as_everything(tier_library):
    for q in (")", '""', "((((", "NOT"):
        with pytest.raises(QueryError, match="nothing to search"):
            tier_library.search(SearchRequest(q=q, group=True))


PIECE_MARKS = {
    "head.txt": ["一、主要做法", "推进依法行政，解决突出问题，落实行政首长出庭制度。"],
    "other1.txt": ["一、主要做法", "推进综合执法改革。"],
    "other2.txt": ["一、主要做法", "规范行政执法行为。"],
}


@pytest.fixture(scope="module")
def piece_mark_library(tmp_path_factory) -> Iterator[Library]:
    yield from _township_library(tmp_path_factory, PIECE_MARKS)


def test_a_piece_of_several_words_is_marked_where_they_stand_together_never_word_by_word(piece_mark_library):
    # 行政首长出庭 (of the 出庭应诉率 group, and a piece of it) is three words: 行政 of 依法行政 and 出 of 突出 are not it.
    results = piece_mark_library.search(SearchRequest(q="出庭应诉率", group=True, limit=10))
    [group] = results.groups
    snippet = " ".join(h.snippet for h in group.paragraphs)
    assert "首长" in re.sub("</?mark>", "", snippet)
    assert re.search(r"<mark>行政</mark>\s*<mark>首长</mark>|<mark>行政首长", snippet)
    assert "依法<mark>" not in snippet and "突<mark>" not in snippet


def test_a_three_character_word_is_not_cut_into_two_characters_and_one_as_its_parts():
    # 青少 + 年 would find 青少 … 年 close together (青少年宫 aside, never the word's meaning).
    [concept] = plan(parse("青少年").tree).concepts
    assert concept.parts == ()
    [concept] = plan(parse("出庭应诉率").tree).concepts
    assert concept.parts == ("出庭应诉", "率"), "a longer word still is"


def test_english_words_no_glossary_phrase_holds_are_searched_as_written_with_a_note(tier_library):
    results = tier_library.search(SearchRequest(q="xylophone filing review", group=True, limit=0))
    assert [c["concept"] for c in results.concepts] == ["xylophone", "filing review"]
    assert [p for p in results.problems if "glossary" in p] == [
        "'xylophone' is not in the English glossary (data/glossary_en.txt): searched as written; the reports are "
        "in Chinese, so a Chinese term finds more"]
    assert not [p for p in tier_library.search(SearchRequest(q="court appearance rate", limit=0)).problems
                if "glossary" in p], "the whole phrase is in the glossary"
