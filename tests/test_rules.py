"""The matching rulebook: one plan per typed run, and every consumer of it agrees.

The index query, the highlighter and the same-sentence check each apply the plan of
:mod:`searchlib.query.rules` their own way (Whoosh terms and bigram phrases, marks on the
text, substring tests and the segmenter on a sentence). The contract: over the real
test index they find the same paragraphs.
"""
import ast
import inspect

import pytest
from hypothesis import given, settings, strategies as st

from searchlib import analysis

from searchlib.query import highlight

from searchlib.ingest import report
from searchlib.analysis import normalize
from searchlib.query.parse import Exact, SameSentence, Words, parse
from searchlib.query.rules import Word, _holds_in, plan_run, sentence_match, sentences_of
from searchlib.query.search import SearchRequest

# One run per way of matching: a dictionary word; a run the segmenter splits (also found
# as typed); a word whose characters the segmenter cut across (法规 in 执法|规范化 and
# 普法|规划); traditional characters;
# full-width digits; a long compound that also matches as its parts; a quoted string
# across words; a single character (a word only, never a bare character).
RUNS = ["行政复议", "行政复议纠错", "法规", "行政復議", "１２３４５热线", "行政执法三项制度", '"治政"', "率"]


def _engine(library, q: str) -> set[str]:
    results = library.search(SearchRequest(q=q, limit=1000))
    assert results.total == len(results.hits)
    return {h.pid for h in results.hits}


def _marked_whole(word: Word, marks: set[str]) -> bool:
    """The highlighter marked ``word``: itself, or (a compound) each of its parts."""
    return any(word.text in m for m in marks) or bool(word.parts) and all(_marked_whole(p, marks) for p in word.parts)


def _highlighted(node: Words | Exact, text: str) -> bool:
    """Whether the marks on ``text`` show the whole run: every word of it, or the quoted string."""
    norm = normalize(text)
    marks = {norm[s:e] for s, e in highlight.match_spans(text, [node])}
    run = plan_run(node)
    if run.exact:
        return run.literal in marks
    return all(_marked_whole(w, marks) for w in run.words)


@pytest.fixture(scope="module")
def paragraphs(reports) -> dict[str, str]:
    return {p.pid: p.text for r in reports for _, _, p in r.paragraphs()}


@pytest.mark.parametrize("q", RUNS)
def test_the_engine_the_highlighter_and_the_sentence_check_find_the_same_paragraphs(library, paragraphs, q):
    node = parse(q).tree
    assert isinstance(node, (Words, Exact))
    found = _engine(library, q)
    assert found, f"{q} should find something in the test corpus"
    highlighted = {pid for pid, text in paragraphs.items() if _highlighted(node, text)}
    # The paragraph as one sentence: what the 同句 check decides for a paragraph without sentence ends.
    holds = {pid for pid, text in paragraphs.items() if _holds_in(node, normalize(text), {})}
    assert highlighted == found
    assert holds == found
    # And the 同句 check itself, on the paragraphs that are one sentence.
    one_sentence = {pid for pid, text in paragraphs.items() if len(sentences_of(text)) == 1}
    clause = SameSentence((node,))
    assert {pid for pid in one_sentence if sentence_match(clause, paragraphs[pid])} == found & one_sentence


@pytest.mark.parametrize("q", ["行政复议", "法规", "行政復議", '"治政"', "率"])
def test_a_single_word_is_marked_in_exactly_the_paragraphs_it_finds(library, paragraphs, q):
    node = parse(q).tree
    assert {pid for pid, text in paragraphs.items() if highlight.match_spans(text, [node])} == _engine(library, q)


def test_a_run_is_planned_once_into_its_words_parts_and_strings():
    split = plan_run(Words("行政复议纠错"))
    assert split.word_texts == ("行政复议", "纠错") and split.as_typed and split.literal == "行政复议纠错"
    compound = plan_run(Words("行政执法三项制度")).words[0]
    assert [p.text for p in compound.parts] == ["行政执法", "三项制度"]
    assert compound.alternatives == (frozenset({"行政执法三项制度"}), frozenset({"行政执法", "三项制度"}))
    assert plan_run(Words("行政復議")).word_texts == ("行政复议",)
    assert plan_run(Words("１２３４５热线")).normalized == "12345热线"
    quoted = plan_run(Exact("治政"))
    assert quoted.exact and quoted.words == () and quoted.alternatives == (frozenset({"治政"}),)
    single = plan_run(Words("率")).words[0]
    assert not single.by_characters and single.alternatives is None  # it needs the segmenter
    assert plan_run(Words("行政复议")) is plan_run(Words("行政复议", required=True))  # planned once


def test_the_highlighter_reads_the_rulebook_not_the_engine():
    tree = ast.parse(inspect.getsource(highlight))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "searchlib.query.rules" in imported and "searchlib.query.engine" not in imported


def test_sentence_ends_are_declared_once():
    text = "一是推进。二是落实！三是?四是；五是\n六是"
    assert highlight.SENTENCE_END is analysis.SENTENCE_END
    assert [text[s:e].rstrip(analysis.SENTENCE_END_CHARS) for s, e in highlight.sentences(text)] \
        == sentences_of(text)
    # A title line has no sentence punctuation (line breaks are not in a line).
    assert all(report._SENTENCE_PUNCT.search(c) for c in "。!?;")
    assert set(analysis.SENTENCE_END_CHARS) - set(analysis.SENTENCE_PUNCT) == {"\n"}


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["重大", "行政", "决策", "行政执法", "三项制度", "。", "，", "的", "a", "1", "“", "落实", "𠀀"]),
                max_size=12))
def test_the_byte_condition_of_a_compounds_parts_holds_wherever_the_parts_stand_close(pieces):
    # The evaluator decodes a text only where the byte pattern finds something: it must never miss a close match.
    from searchlib.query.rules import _word, parts_near, parts_near_bytes
    text = "".join(pieces)
    for compound in ("重大行政决策", "行政执法三项制度"):
        word = _word(compound)
        if parts_near(word).search(text):
            assert parts_near_bytes(word).search(text.encode("utf-8")), text
