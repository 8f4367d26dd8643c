"""The engine answers what a scan of the paragraphs says a query means (tests/scan.py), fast.

Every query goes through one evaluator (searchlib.query.postings); these tests hold it
to the plain-Python meaning of a query on a real index on disk: the paragraphs
matched, the order of every sort, the report groups, and one score per
paragraph whatever the sort or grouping.
"""
from __future__ import annotations

import time

import pytest
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length, length_to_byte

from searchlib.query import postings
from searchlib.analysis import normalize
from searchlib.query.engine import exact_query
from searchlib.query.parse import QueryError
from searchlib.query.search import Library, SearchRequest
from tests import scan

# (query, parameter filters): words, strings, filters, AND/OR/NOT, 同句, 同篇.
SCANNED = [
    ("法治", {}),
    ("行政复议", {}),
    ("行政执法三项制度", {}),
    ('"合法性审查"', {}),
    ('"法"', {}),
    ('"合法性审查"', {"province": "四川"}),
    ('"法治政府"', {"year": "2019-2021"}),
    ("法治 -复议", {}),
    ("复议 OR 诉讼", {}),
    ("依法行政", {"province": "四川"}),
    ("", {"province": "四川"}),
    ("法治", {"year": "2021"}),
    ("行政执法 监督", {}),
    ("行政复议纠错", {}),
    ("依法行政 法治 year:2020-2022", {}),
    ('"府建设" 法治 依法', {}),
    ('依法 "府建设"', {}),
    ("行政复议 /s 案件", {}),
    ("法治政府 /s 合法性审查", {}),
    ("行政复议 /d 法律顾问", {}),
    ('"法治政府" OR 复议', {"year": "2019-2023"}),
    ("(复议 OR 诉讼) -法治", {}),
    ("复议 -(行政 /s 案件)", {}),
]
SORTS = ("relevance", "newest", "oldest", "published")
SEVERAL_WORDS = [SearchRequest(q=q, **filters) for q, filters in SCANNED[12:17]]
# Several words, a sort that needs the pid to break ties, a string every match of which scores alike.
SCORED = ["法治", "行政复议 法律顾问", "依法行政 法治政府建设", '"法"', "行政复议 /s 案件", "复议 OR 诉讼"]


@pytest.fixture(scope="module")
def everything(library):
    return scan.paragraphs(library)


def _comparable(results) -> dict:
    data = results.to_dict()
    data.pop("took_ms")
    data.pop("stages_ms")
    return data


def _ids(request_):
    return f"{request_[0]}|{request_[1]}"


@pytest.mark.parametrize("query", SCANNED, ids=_ids)
def test_the_engine_matches_the_paragraphs_a_scan_finds(library, everything, query):
    q, filters = query
    expected = {p.stored["pid"] for p in scan.matching(q, everything, **filters)}
    found = library.matching(SearchRequest(q=q, **filters))
    got = {found.stored.pid(d) for d in found.docnums}
    assert got == expected
    results = library.search(SearchRequest(q=q, **filters))
    assert results.total == len(expected)
    assert results.total_reports == len({p.stored["doc_id"] for p in scan.matching(q, everything, **filters)})


@pytest.mark.parametrize("query", SCANNED[:12], ids=_ids)
def test_facets_count_the_paragraphs_a_scan_finds(library, everything, query):
    q, filters = query
    found = scan.matching(q, everything, **filters)
    facets = library.search(SearchRequest(q=q, **filters)).facets
    if "province" not in filters:
        expected = {}
        for p in found:
            value = p.stored.get("province") or "unknown"
            expected[value] = expected.get(value, 0) + 1
        assert dict(facets["province"]) == expected
    years: dict = {}
    for p in found:
        years[p.stored.get("report_year") or "unknown"] = years.get(p.stored.get("report_year") or "unknown", 0) + 1
    if "year" not in filters and "year:" not in q:
        assert dict(facets["report_year"]) == years


def _sort_key(sort: str, hit) -> tuple:
    """The documented result order: relevance; or the year (publication date) first, a report without one
    last; then the score, highest first; then the paragraph id."""
    if sort == "relevance":
        return (-hit.score, hit.pid)
    value = hit.publish_date if sort == "published" else hit.report_year
    if value is None:
        return (1, 0, -hit.score, hit.pid)
    number = int(str(value).replace("-", "")) if sort == "published" else value
    return (0, number if sort == "oldest" else -number, -hit.score, hit.pid)


@pytest.mark.parametrize("sort", SORTS)
# The last: a NOT of a 同句 clause keeps paragraphs whose words are in different sentences, ranked too.
@pytest.mark.parametrize("q", ["法治", "行政复议", '"法"', "依法行政 法治", "行政复议 /s 案件", "复议 -(行政 /s 案件)"])
def test_every_sort_gives_every_match_in_its_order(library, everything, q, sort):
    expected = {p.stored["pid"] for p in scan.matching(q, everything)}
    assert 0 < len(expected) <= 1000
    hits = library.search(SearchRequest(q=q, sort=sort, limit=1000, snippets=False)).hits
    assert {h.pid for h in hits} == expected
    assert [_sort_key(sort, h) for h in hits] == sorted(_sort_key(sort, h) for h in hits)
    # A page is a slice of the whole order.
    page = library.search(SearchRequest(q=q, sort=sort, limit=15, offset=7, snippets=False)).hits
    assert [h.pid for h in page] == [h.pid for h in hits[7:22]]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("q", ["法治", "行政复议", "依法行政 法治"])
def test_strict_groups_are_the_reports_a_scan_finds_with_their_best_paragraph(library, everything, q, sort):
    found = scan.matching(q, everything)
    per_report: dict[str, int] = {}
    for p in found:
        per_report[p.stored["doc_id"]] = per_report.get(p.stored["doc_id"], 0) + 1
    scores = {h.pid: h.score for h in library.search(SearchRequest(q=q, limit=1000, snippets=False)).hits}
    groups = library.search(SearchRequest(q=q, group=True, mode="strict", sort=sort, limit=1000,
                                          snippets=False)).groups
    assert {g.doc_id: g.matches for g in groups} == per_report
    for g in groups:
        assert g.best.score == max(s for pid, s in scores.items() if pid.startswith(g.doc_id))
    keys = [_sort_key(sort, g.best)[:-1] + (g.doc_id,) for g in groups]
    assert keys == sorted(keys)


@pytest.mark.parametrize("q", SCORED)
def test_a_paragraph_has_one_score_whatever_the_sort_or_grouping(library, q):
    seen: dict[str, set[float]] = {}
    for sort in SORTS:
        views = [SearchRequest(q=q, sort=sort, limit=1000, snippets=False)]
        views += [SearchRequest(q=q, sort=sort, limit=1000, group=True, mode=mode, snippets=False)
                  for mode in ("strict", "fuzzy")]
        for request_ in views:
            results = library.search(request_)
            strict = {h.pid for h in library.search(SearchRequest(q=q, limit=1000, snippets=False)).hits}
            shown = list(results.hits) + [h for g in results.groups or [] for h in g.paragraphs]
            for hit in shown:
                if hit.pid in strict:  # (fuzzy groups also show paragraphs that match only part of the query)
                    seen.setdefault(hit.pid, set()).add(hit.score)
    assert seen
    assert {pid: scores for pid, scores in seen.items() if len(scores) > 1} == {}


@pytest.mark.parametrize("word", ["法治", "复议", "行政复议", "的", "法律顾问"])
def test_a_words_score_is_bm25_over_the_paragraphs_token_counts(library, everything, word):
    searcher = library.searcher()
    expected = scan.bm25(word, everything, searcher.weighting, lambda n: byte_to_length(length_to_byte(n)))
    scored = library.evaluator(searcher).evaluate(wq.Term("text", word))
    assert expected
    got = dict(zip(scored.docs.tolist(), scored.scores.tolist()))
    assert got.keys() == expected.keys()
    assert [got[d] for d in sorted(got)] == pytest.approx([expected[d] for d in sorted(got)], rel=1e-9)


@pytest.mark.parametrize("q", ["行政执法 监督", "依法行政 法治", "法治 year:2019-2021", "依法行政 province:四川"])
def test_several_clauses_score_the_sum_of_each_clause(library, q):
    """An AND adds its clauses' scores (each word with its own title/heading bonus)."""
    from searchlib.query.engine import Compiler
    from searchlib.query.parse import parse

    searcher = library.searcher()
    compiled = Compiler(searcher).compile(parse(q).tree)
    assert isinstance(compiled, wq.And)
    fast = library.evaluator(searcher)
    scored = fast.evaluate(compiled)
    per_clause = [dict(zip(*(a.tolist() for a in (s.docs, s.scores))))
                  for s in (fast.evaluate(part) for part in compiled.subqueries)]
    assert len(scored.docs)
    for docnum, score in zip(scored.docs.tolist(), scored.scores.tolist()):
        assert score == pytest.approx(sum(scores[docnum] for scores in per_clause), rel=1e-12)


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


def test_posting_arrays_are_whooshs_postings(library):
    searcher = library.searcher()
    fast = library.evaluator(searcher)
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
    lengths = library.evaluator(searcher).lengths("text")
    for docnum in range(0, searcher.doc_count_all(), 97):
        assert lengths[docnum] == (searcher.doc_field_length(docnum, "text", 1) or 0)


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
def test_a_one_character_exact_string_finds_every_paragraph_holding_it(library, everything, character):
    """A Prefix of the bigram field: the evaluator reads the suffix arrays instead of every bigram's list."""
    searcher = library.searcher()
    found = library.evaluator(searcher).evaluate(exact_query(character)).docs.tolist()
    assert found == sorted(p.docnum for p in everything if normalize(character) in p.norm)


def test_reports_without_a_year_come_last_in_every_sort(tmp_path):
    """A report without a year (or a publication date) comes after the dated ones, newest or oldest first,
    paragraphs and report groups alike."""
    import re
    import shutil

    from searchlib.config import CORPUS_DIR
    from searchlib.index.indexing import build_index

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    undated = corpus / "000_41d9d7d47fcb9e67.txt"
    text = undated.read_text(encoding="utf-8").replace("新民乡2021年法治政府建设报告", "新民乡法治政府建设报告")
    undated.write_text(re.sub(r"20\d\d年", "今年", text.replace("日期:2022-03-14", "")), encoding="utf-8")
    build_index([corpus], tmp_path / "index", rebuild=True, reuse=False, procs=1)
    library = Library(tmp_path / "index")
    try:
        every = library.search(SearchRequest(q="法治", limit=1000, snippets=False)).hits
        assert any(h.report_year is None for h in every)
        for sort in ("newest", "oldest", "published"):
            hits = library.search(SearchRequest(q="法治", sort=sort, limit=1000, snippets=False)).hits
            assert {h.pid for h in hits} == {h.pid for h in every}
            assert [_sort_key(sort, h) for h in hits] == sorted(_sort_key(sort, h) for h in hits)
            groups = library.search(SearchRequest(q="法治", sort=sort, group=True, limit=1000, mode="strict",
                                                  snippets=False)).groups
            dated = [(g.best.publish_date if sort == "published" else g.report_year) is not None for g in groups]
            assert dated == sorted(dated, reverse=True) and not dated[-1], sort
    finally:
        library.close()
