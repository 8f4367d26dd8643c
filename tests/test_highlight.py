"""Snippets: escaped, whole words marked, cut at sentence boundaries."""
import re
from html import unescape

import pytest
from hypothesis import given, settings, strategies as st

from searchlib.analysis import main_words, normalize, packed_word_ends, segment, word_ends, words
from searchlib.query.highlight import (SNIPPET_TARGET_CHARS, _seen_spans, _seen_spans_in_cut, _trimmed, _with_ellipses,
                                 match_spans, render, sentences, snippet)
from searchlib.query.parse import parse, positive_terms
from searchlib.query.search import SearchRequest

MARKED = re.compile(r"<mark>(.*?)</mark>")


def marked(text, q):
    spans = match_spans(text, positive_terms(parse(q).tree))
    return [text[s:e] for s, e in spans]


def test_a_word_is_not_marked_inside_a_longer_word_when_it_stands_alone_too():
    text = "外籍志愿者马克参加了马克思主义法学读书会。"
    spans = match_spans(text, positive_terms(parse("马克").tree))
    assert spans == [(text.index("马克"), text.index("马克") + 2)]


def test_a_word_found_only_inside_a_longer_word_is_marked_where_it_matched():
    assert marked("区政府常务会议开展马克思主义法治理论专题学习。", "马克") == ["马克"]


def test_the_longer_word_is_marked_whole():
    assert marked("外籍志愿者马克参加了马克思主义法学读书会。", "马克思") == ["马克思"]


def test_a_term_looked_up_as_a_word_is_never_marked_across_two_words():
    # The tiers find a piece, a related term or a common word as a segmenter word; 送法 straddles 报送|法治宣传.
    from searchlib.query.rules import AsWord
    text = "报送法治宣传信息18篇，开展送法下乡活动。"
    assert [text[s:e] for s, e in match_spans(text, [AsWord("送法")])] == ["送法"]
    assert match_spans(text, [AsWord("送法")])[0][0] == text.index("送法下乡")
    # Inside one word it still counts (法治 inside 法治政府建设, which the index holds as a sub-word).
    assert [text[s:e] for s, e in match_spans("推进法治政府建设", [AsWord("法治")])] == ["法治"]


def test_a_one_character_word_of_a_longer_run_is_marked_only_inside_the_run():
    # 不 of 行政不作为 is a word of the run, but alone it marks 不满意 as the evidence.
    assert marked("开展人民群众最不满意行政执法突出问题整治。", "行政不作为") == ["行政"]
    assert marked("坚决纠正行政不作为现象。", "行政不作为") == ["行政不作为"]
    assert marked("行政机关不依法作为的，依法问责。", "行政不作为") == ["行政", "作为"]
    # Typed alone, a one-character word is what was asked for.
    assert marked("群众对此不满意。", "不") == ["不"]


def test_a_dictionary_part_of_a_compound_is_marked():
    assert marked("建立政府法律顾问库,外聘顾问律师12名。", "顾问") == ["顾问", "顾问"]


def test_a_query_word_is_never_marked_as_a_different_term():
    # 法律 is inside 法律顾问, but the query was 顾问
    assert all(m == "顾问" for m in marked("建立政府法律顾问库。", "顾问"))


def test_traditional_text_is_marked_for_a_simplified_query_and_the_reverse():
    assert marked("全年辦理行政復議案件12件。", "行政复议") == ["行政復議"]
    assert marked("全年办理行政复议案件12件。", "行政復議") == ["行政复议"]


def test_an_exact_string_crossing_word_boundaries_is_marked_as_typed():
    assert marked("推进法治政府建设。", '"治政"') == ["治政"]


def test_words_under_not_are_not_marked():
    assert marked("行政复议与行政诉讼。", "行政复议 -诉讼") == ["行政复议"]


def test_a_word_split_by_the_segmenter_is_marked_where_its_characters_are():
    assert marked("推动“多元化解”纠纷解决机制。", "化解") == ["化解"]


def test_a_long_compound_written_apart_marks_its_parts():
    assert marked("落实行政执法“三项制度”。", "行政执法三项制度") == ["行政执法", "三项制度"]


def test_snippet_escapes_html_everywhere():
    text = "<b>行政复议</b> & 纠错。"
    html = snippet(text, match_spans(text, positive_terms(parse("行政复议").tree)))
    assert html == "&lt;b&gt;<mark>行政复议</mark>&lt;/b&gt; &amp; 纠错。"


def test_snippet_is_the_best_sentence_with_ellipses():
    text = "第一句讲别的事情。" * 3 + "第二句讲行政复议和纠错。" + "最后一句又讲别的事情。" * 12
    html = snippet(text, match_spans(text, positive_terms(parse("行政复议 纠错").tree)))
    assert html.startswith("…第二句讲<mark>行政复议</mark>和<mark>纠错</mark>。")
    assert html.endswith("…")
    assert "第一句" not in html


def test_snippet_prefers_the_sentence_with_more_different_terms():
    text = "行政复议工作。行政复议案件。依法纠错,行政复议决定履行。"
    html = snippet(text, match_spans(text, positive_terms(parse("行政复议 纠错").tree)))
    assert "<mark>纠错</mark>" in html


def test_snippet_of_a_run_on_sentence_is_cut_at_clauses_around_the_mark():
    text = "，".join(f"第{i}项工作稳步推进" for i in range(60)) + "，行政复议案件全部办结。"
    html = snippet(text, match_spans(text, positive_terms(parse("行政复议").tree)))
    assert "<mark>行政复议</mark>" in html and len(html) < 300 and html.startswith("…")


def test_hits_carry_the_snippet_and_the_full_paragraph(library):
    hit = library.search(SearchRequest(q="马克思主义")).hits[0]
    assert "<mark>马克思主义</mark>" in hit.snippet
    assert "马克思主义" in hit.text and "<mark>" not in hit.text


def test_every_hit_is_highlighted_as_its_own_paragraph_alone_would_be(library):
    for q in ("行政复议", "法治政府 建设", '"行政执法"', "化解", "法律顾问 OR 复议"):
        terms = positive_terms(parse(q).tree)
        hits = library.search(SearchRequest(q=q, limit=50)).hits
        assert hits, q
        for hit in hits:
            assert hit.snippet == snippet(hit.text, match_spans(hit.text, terms)), (q, hit.pid)


def test_highlighted_marks_the_whole_paragraph(library):
    text = "实现一村一法律顧問全覆蓋。行政复议。"
    assert library.highlighted(text, "法律顾问") == "实现一村一<mark>法律顧問</mark>全覆蓋。行政复议。"



# --- what the segmenter saw, found from the matching sentences alone ---------------------------------

def seen_in_whole_paragraph(norm, strings):
    """Rule 1 of searchlib.query.highlight, stated on the tokens of the whole paragraph: a token with the
    string's text, unless it is a sub-word inside a longer sub-word of the same word."""
    tokens = segment(norm)

    def fragment(sub):
        return sub.sub and any(t.sub and t.pos == sub.pos and t.start <= sub.start and sub.end <= t.end
                               and t.end - t.start > sub.end - sub.start for t in tokens)
    seen = {}
    for t in tokens:
        if t.text in strings and not fragment(t):
            seen.setdefault(t.text, []).append((t.start, t.end))
    return {s: sorted(spans) for s, spans in seen.items()}


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_words_seen_in_matching_sentences_are_those_seen_in_the_whole_paragraph(reports, data):
    paragraphs = [p.text for r in reports for _, _, p in r.paragraphs()]
    norm = normalize(data.draw(st.sampled_from(paragraphs)))
    sub = [t.text for t in segment(norm) if t.sub]
    strings = set(data.draw(st.lists(st.sampled_from(words(norm) + sub + ["行政执法", "法治政府", "马克", "政府"]),
                                     min_size=1, max_size=4)))
    found = {s: sorted(spans) for s, spans in _seen_spans(norm, strings).items()}
    assert found == seen_in_whole_paragraph(norm, strings)
    assert seen_in_stored_cut(norm, strings) == found


def seen_in_stored_cut(norm, strings):
    """What the highlighter sees from the word ends the index keeps for the paragraph."""
    found = _seen_spans_in_cut(norm, frozenset(strings), word_ends(norm, packed_word_ends(norm)))
    return {s: sorted(spans) for s, spans in found.items()}


def test_a_fragment_of_a_longer_sub_word_is_not_seen():
    norm = normalize("马克思主义法学读书会")
    assert "马克" not in _seen_spans(norm, {"马克", "马克思"})
    assert _seen_spans(norm, {"马克思"})["马克思"] == [(0, 3)]


# Letters, digits, CJK, the segmenter's in-word symbols (+#&._%-) and the clause breaks, mixed.
MIXED_TEXT = st.text(alphabet=st.sampled_from(list("法治政府建设行政执法复议应诉马克思主义一二三年度"
                                                   "abcXYZ0123456789é+#&._%-，、：:,;；。！？“”\"'（）()《》【】 \n")),
                     min_size=1, max_size=80)


@settings(max_examples=300, deadline=None)
@given(text=MIXED_TEXT, data=st.data())
def test_clauses_segmented_alone_give_the_whole_paragraphs_words_on_any_text(text, data):
    norm = normalize(text)
    candidates = [t.text for t in segment(norm)] or ["法治"]
    strings = set(data.draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=4)))
    found = {s: sorted(spans) for s, spans in _seen_spans(norm, strings).items()}
    assert found == seen_in_whole_paragraph(norm, strings)
    assert seen_in_stored_cut(norm, strings) == found


@pytest.mark.parametrize("length", [1, 255, 256, 65_535, 65_536])
def test_packed_word_ends_give_back_the_segmenters_cut_at_any_paragraph_length(length):
    norm = normalize(("法治政府建设，" * length)[:length])
    assert list(word_ends(norm, packed_word_ends(norm))) == [end for _, _, end in main_words(norm)]


def test_the_index_keeps_each_paragraphs_word_ends(library):
    searcher = library.searcher()
    store = library.stored_fields(searcher)
    for docnum in range(searcher.doc_count_all()):
        text = store[docnum]["text"]
        assert store.packed_word_ends(docnum) == packed_word_ends(normalize(text)), docnum


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("法治ab<>&\"' 。")), max_size=40), data=st.data())
def test_render_escapes_everything_but_its_marks(text, data):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=6)))
    spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
    start = data.draw(st.integers(0, len(text)))
    html = render(text, spans, start)
    bare = html.replace("<mark>", "").replace("</mark>", "")
    assert not set(bare) & set("<>\"'") and unescape(bare) == text[start:]


def snippet_from_every_sentence(text, spans, norm):
    """The snippet rule of highlight.snippet, read straight off the paragraph's whole sentence split."""
    parts = sentences(text)
    if not parts:
        return ""
    if not spans:
        return _with_ellipses(text, *_trimmed(text, parts[0], []), [])
    marks = {i: [(s, e) for s, e in spans if s < end and e > start] for i, (start, end) in enumerate(parts)}
    marks = {i: inside for i, inside in marks.items() if inside}
    best = max(marks, key=lambda i: (len({norm[s:e] for s, e in marks[i]}), len(marks[i]), -i))
    start, end = parts[best]
    if end - start < SNIPPET_TARGET_CHARS and best + 1 < len(parts):
        if best + 1 in marks or parts[best + 1][1] - start <= SNIPPET_TARGET_CHARS * 1.5:
            end = parts[best + 1][1]
    return _with_ellipses(text, *_trimmed(text, (start, end), spans), spans)


# Sentence ends (and a lot of them together), clause marks and words, so marks fall on every kind of edge.
SENTENCE_TEXT = st.text(alphabet=st.sampled_from(list("法治政府行政复议纠错ab，。！？；!?;\n")), max_size=400)


@settings(max_examples=400, deadline=None)
@given(text=SENTENCE_TEXT, data=st.data())
def test_the_snippet_reads_the_sentences_around_the_marks_as_the_whole_split_gives_them(text, data):
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=8))))
    spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
    norm = normalize(text)
    assert snippet(text, spans, norm) == snippet_from_every_sentence(text, spans, norm)


def test_parts_found_close_together_are_marked_only_where_they_stand_close():
    # The tiers find 矛盾纠纷调解 by its parts only where they stand close, in order; the marks say so:
    # the first clause is marked part by part, the later 纠纷 … 调解 (no 矛盾 before it) is not.
    from searchlib.query.rules import Near

    text = "加强矛盾纠纷排查调解。另有纠纷三十件，组织调解员培训。"
    spans = match_spans(text, [Near(("矛盾", "纠纷", "调解"))])
    assert [text[a:b] for a, b in spans] == ["矛盾", "纠纷", "调解"]
    assert all(b <= text.index("。") for _, b in spans)
