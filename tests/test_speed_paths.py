"""The NumPy fast path (searchlib.postings) answers exactly as Whoosh's own matchers do.

``Library(fast=False)`` is the reference: every query through Whoosh. One
documented difference: Whoosh's AndMaybe under an And drops the title/heading
bonus of a paragraph the intersection reached by skipping (its optional
matcher is skipped to the target, not to where the required one landed), so
for several words Whoosh's scores depend on matcher navigation. The fast path
always adds the bonus, as the engine documents; for those queries totals and
facets are compared, and each score against the sum of Whoosh's scores of the
words taken one by one.
"""
from __future__ import annotations

import time

import pytest
from whoosh import query as wq

from searchlib import postings
from searchlib.engine import Compiler
from searchlib.query import QueryError, parse
from searchlib.search import Library, SearchRequest

SINGLE_CLAUSE = [
    SearchRequest(q="法治"),
    SearchRequest(q="行政复议"),
    SearchRequest(q="行政执法三项制度"),
    SearchRequest(q='"合法性审查"'),
    SearchRequest(q='"法"'),
    SearchRequest(q='"合法性审查"', province="四川"),
    SearchRequest(q='"法治政府"', year="2019-2021"),
    SearchRequest(q="法治 -复议"),
    SearchRequest(q="复议 OR 诉讼"),
    SearchRequest(q="依法行政", limit=50, offset=20),
    SearchRequest(q="", province="四川"),
    # Orders other than relevance, and report groups: NumPy on the fast path, Whoosh's sorting as reference.
    SearchRequest(q="法治", sort="newest", limit=30),
    SearchRequest(q="行政复议", sort="oldest", limit=20, offset=5),
    SearchRequest(q='"法"', limit=15, offset=30),  # every match ties at 1.0: the pid decides
    SearchRequest(q='"的"', limit=50),
    SearchRequest(q="法治", group=True, limit=8, mode="strict"),
    SearchRequest(q="行政复议", group=True, sort="newest", mode="strict"),
    SearchRequest(q="依法行政", group=True, province="四川", mode="strict"),
]
# A one-character exact string is Whoosh's Prefix query, which Whoosh scores as a constant 1 in a
# relevance search but, sorted by year, as the sum of the bigrams it expands to. The fast path
# scores it 1 in both: sorted by year, ties are then in pid order (year groups: in doc_id order).
ONE_CHARACTER_SORTED = [
    SearchRequest(q='"法"', sort="newest", limit=40),
    SearchRequest(q='"法"', group=True, sort="oldest", limit=5, offset=2, mode="strict"),
]
# A word's clause (with its title/heading bonus) under an And: see the module docstring.
SEVERAL_WORDS = [
    SearchRequest(q="依法行政", province="四川"),
    SearchRequest(q="法治", year="2021"),
    SearchRequest(q="法治 year:2019-2021"),
    SearchRequest(q="行政执法 监督"),
    SearchRequest(q="行政复议 /s 案件"),
    SearchRequest(q="行政复议纠错"),
    SearchRequest(q="依法行政 法治 year:2020-2022"),
    # Later words are evaluated only over the paragraphs the earlier ones left.
    SearchRequest(q='"府建设" 法治 依法'),
    SearchRequest(q='依法 "府建设"'),
]


@pytest.fixture(scope="module")
def whoosh_library(index_dir):
    lib = Library(index_dir, fast=False)
    yield lib
    lib.close()


def _comparable(results) -> dict:
    data = results.to_dict()
    data.pop("took_ms")
    data.pop("stages_ms")
    return data


@pytest.mark.parametrize("request_", SINGLE_CLAUSE, ids=lambda r: f"{r.q}|{r.filters()}|{r.offset}")
def test_fast_path_returns_what_whoosh_returns(library, whoosh_library, request_):
    fast, reference = library.search(request_), whoosh_library.search(request_)
    assert reference.total > 0 or request_.q == '"法"'
    assert _comparable(fast) == _comparable(reference)


@pytest.mark.parametrize("request_", ONE_CHARACTER_SORTED, ids=lambda r: f"{r.q}|{r.sort}|{r.group}")
def test_a_sorted_one_character_string_matches_as_whoosh_and_orders_by_year_then_id(
        library, whoosh_library, request_):
    fast, reference = library.search(request_), whoosh_library.search(request_)
    assert fast.total == reference.total > 0 and fast.facets == reference.facets
    assert all(hit.score == 1.0 for hit in fast.hits)
    every = library.search(SearchRequest(q=request_.q, sort=request_.sort, group=request_.group, limit=1000,
                                         mode=request_.mode))
    keyed = [(-(h.report_year or 0) if request_.sort == "newest" else h.report_year,
              h.doc_id if request_.group else h.pid) for h in every.hits]
    assert keyed == sorted(keyed)
    assert [h.pid for h in fast.hits] == [h.pid for h in every.hits[request_.offset:][:request_.limit]]


@pytest.mark.parametrize("request_", SEVERAL_WORDS, ids=lambda r: r.q)
def test_several_words_same_matches_and_facets_as_whoosh(library, whoosh_library, request_):
    fast, reference = library.search(request_), whoosh_library.search(request_)
    assert reference.total > 0
    assert (fast.total, fast.total_reports, fast.facets) == (reference.total, reference.total_reports,
                                                            reference.facets)


@pytest.mark.parametrize("request_", SEVERAL_WORDS, ids=lambda r: r.q)
def test_a_term_looked_up_document_by_document_scores_as_its_whole_list(library, request_, monkeypatch):
    """Under an AND, a term is read whole or looked up for the remaining documents only
    (RESTRICTED_LOOKUP_SHARE decides): the answers are the same either way."""
    monkeypatch.setattr(postings, "RESTRICTED_LOOKUP_SHARE", 10**12)  # never look up
    whole = _comparable(library.search(request_))
    monkeypatch.setattr(postings, "RESTRICTED_LOOKUP_SHARE", 0)  # always look up
    assert _comparable(library.search(request_)) == whole


PHRASE_WAYS = {  # (TEXT_CHECK_PER_SEGMENT, CANDIDATE_POSTINGS_PER_SEGMENT)
    "suffix arrays only": (-10**12, 0),
    "texts read for a restricted phrase": (10**12, 0),
    "bigram candidates beside a sibling word": (-10**12, 10**12),
}


@pytest.mark.parametrize("q", ["行政复议纠错", "合法性审查 法治", '"府建设" 法治 依法', '依法 "府建设"',
                               "依法行政 法治政府建设", "行政执法 监督 year:2019-2021", "法治政府 /s 合法性审查"])
def test_a_phrase_is_found_the_same_every_way(library, q, monkeypatch):
    """A phrase's documents come from the suffix arrays, from reading the texts of the documents
    still in the running, or from its bigrams' candidates (constants decide): the answers agree."""
    answers = {}
    for way, (texts, candidates) in PHRASE_WAYS.items():
        monkeypatch.setattr(postings, "TEXT_CHECK_PER_SEGMENT", texts)
        monkeypatch.setattr(postings, "CANDIDATE_POSTINGS_PER_SEGMENT", candidates)
        answers[way] = _comparable(library.search(SearchRequest(q=q, limit=50)))
    first = answers.pop("suffix arrays only")
    assert first["total"] > 0
    assert answers == {way: first for way in answers}


@pytest.mark.parametrize("q", ["行政执法 监督", "依法行政 法治", "法治 year:2019-2021", "依法行政 province:四川"])
def test_several_clauses_score_is_the_sum_of_each_clauses_whoosh_score(library, q):
    searcher = library.searcher()
    compiled = Compiler(searcher).compile(parse(q).tree)
    assert isinstance(compiled, wq.And)
    scored = library.fast_path(searcher).evaluate(compiled)
    per_word = [{hit.docnum: hit.score for hit in searcher.search(part, limit=None)} for part in compiled.subqueries]
    assert len(scored.docs)
    for docnum, score in zip(scored.docs.tolist(), scored.scores.tolist()):
        assert score == pytest.approx(sum(scores[docnum] for scores in per_word), rel=1e-12)


def test_posting_arrays_are_whooshs_postings(library):
    searcher = library.searcher()
    fast = library.fast_path(searcher)
    reader = searcher.reader()
    common = max((t for t in reader.lexicon("text")), key=lambda t: reader.doc_frequency("text", t))
    for fieldname, term in (("text", common), ("exact", "法治"), ("title", "法治")):
        ids, weights = fast.postings(fieldname, term)
        matcher = reader.postings(fieldname, term)
        expected_ids, expected_weights = [], []
        while matcher.is_active():
            expected_ids.append(matcher.id())
            expected_weights.append(matcher.weight())
            matcher.next()
        assert ids.tolist() == expected_ids
        assert weights.tolist() == expected_weights


def test_field_lengths_are_the_ones_whoosh_scores_with(library):
    searcher = library.searcher()
    lengths = library.fast_path(searcher).lengths("text")
    for docnum in range(0, searcher.doc_count_all(), 97):
        assert lengths[docnum] == (searcher.doc_field_length(docnum, "text", 1) or 0)


def test_grouped_results_agree(library, whoosh_library):
    request = SearchRequest(q="法治", group=True, limit=5, mode="strict")
    assert _comparable(library.search(request)) == _comparable(whoosh_library.search(request))


def test_matching_for_tools_is_the_same_set(library, whoosh_library):
    request = SearchRequest(q='"法治政府" OR 复议', year="2019-2023")
    assert library.matching(request).docnums == whoosh_library.matching(request).docnums


# --- queries that must not run away ------------------------------------------------

HOSTILE = [
    "法" * 10_000,
    " OR ".join(["法治", "复议", "诉讼", "执法", "监督"] * 400),
    "* " * 200,
    "*" * 499,
    '"' + "法治" * 240 + '"',
    "(" * 300 + "法治" + ")" * 300,
    " ".join(f"-{w}" for w in ["法治", "复议", "执法"] * 100),
    " /s ".join(["法治", "政府", "建设", "监督"] * 50),
]


@pytest.mark.parametrize("q", HOSTILE, ids=lambda q: f"{q[:12]}…({len(q)})")
def test_hostile_query_gets_an_error_or_an_answer_within_two_seconds(library, q):
    started = time.perf_counter()
    try:
        results = library.search(SearchRequest(q=q))
    except QueryError as error:
        assert str(error)
    else:
        assert results.total >= 0
    assert time.perf_counter() - started < 2.0


def test_a_very_long_query_is_refused_with_a_message(library):
    with pytest.raises(QueryError, match="too long"):
        library.search(SearchRequest(q="法" * 10_000))


@pytest.mark.parametrize("character", list("法的治，。（）1a府"))
def test_a_one_character_exact_string_finds_what_whoosh_finds(library, character):
    """A Prefix of the bigram field: the fast path reads the suffix arrays instead of every bigram's list."""
    from searchlib.engine import exact_query

    searcher = library.searcher()
    query = exact_query(character)
    assert library.fast_path(searcher).evaluate(query).docs.tolist() == sorted(searcher.docs_for_query(query))


def test_reports_without_a_year_sort_where_whoosh_sorts_them(tmp_path):
    """Whoosh sorts a missing year as the greatest: first when newest first, last when oldest first."""
    import re
    import shutil

    from searchlib.config import CORPUS_DIR
    from searchlib.indexing import build_index

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    undated = corpus / "000_41d9d7d47fcb9e67.txt"
    text = undated.read_text(encoding="utf-8").replace("新民乡2021年法治政府建设报告", "新民乡法治政府建设报告")
    undated.write_text(re.sub(r"20\d\d年", "今年", text.replace("日期:2022-03-14", "")), encoding="utf-8")
    build_index([corpus], tmp_path / "index", rebuild=True, reuse=False, procs=1)
    fast, whoosh = Library(tmp_path / "index"), Library(tmp_path / "index", fast=False)
    try:
        assert any(h.report_year is None for h in fast.search(SearchRequest(q="法治", limit=200)).hits)
        for sort in ("newest", "oldest"):
            for group in (False, True):
                request = SearchRequest(q="法治", sort=sort, group=group, limit=30, offset=3, mode="strict")
                got, expected = fast.search(request), whoosh.search(request)
                assert [h.pid for h in got.hits] == [h.pid for h in expected.hits], (sort, group)
                # Whoosh's sorted search rounds one score at the display's last digit the other way.
                assert [h.score for h in got.hits] == pytest.approx([h.score for h in expected.hits], abs=2e-4)
    finally:
        fast.close()
        whoosh.close()
