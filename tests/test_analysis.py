"""The analyzer: word positions, sub-words, normalization."""
from hypothesis import given, strategies as st

from searchlib.analysis import is_word, bigrams, normalize, segment, words


def test_normalize_keeps_length_so_offsets_map_onto_the_original():
    original = "行政復議ＡＢＣ１２３（二）　“出庭”"
    assert len(normalize(original)) == len(original)


@given(st.text(max_size=60))
def test_normalize_never_changes_length(text):
    assert len(normalize(text)) == len(text)


def test_full_width_and_traditional_forms_normalize_to_plain_simplified():
    assert normalize("１２３４５热线") == "12345热线"
    assert normalize("行政復議") == "行政复议"
    assert normalize("ＡＢＣ") == "abc"


def test_positions_are_consecutive_word_numbers():
    tokens = [t for t in segment(normalize("依法推进行政复议工作")) if not t.sub]
    assert [t.pos for t in tokens] == list(range(len(tokens)))
    assert [t.text for t in tokens][:2] == ["依法", "推进"]


def test_sub_words_share_their_parent_position():
    tokens = segment(normalize("中华人民共和国宪法"))
    parent = next(t for t in tokens if t.text == "中华人民共和国")
    sub = next(t for t in tokens if t.text == "共和国")
    assert sub.sub and sub.pos == parent.pos
    tokens = segment(normalize("法治政府建设"))
    assert {"法治政府", "建设"} <= {t.text for t in tokens}


def test_domain_dictionary_keeps_terms_whole():
    assert "出庭应诉率" in words("全区出庭应诉率未达100%")
    assert "一村一法律顾问" in words("建立完善一村一法律顾问制度")
    assert "枫桥经验" in words("坚持发展枫桥经验")


def test_numbers_and_single_characters_are_kept_latin_is_lowercased_not_stemmed():
    assert "3" in words("开展3次培训")
    assert "率" in words("纠错率")
    assert "running" in words("Running")


def test_punctuation_is_not_a_word_but_breaks_adjacency():
    tokens = [t for t in segment(normalize("复议,纠错")) if not t.sub]
    assert [t.text for t in tokens] == ["复议", "纠错"]
    assert tokens[1].pos - tokens[0].pos == 2


def test_bigrams_spell_out_every_substring():
    assert bigrams("法治政府") == ["法治", "治政", "政府", "府"]


def test_sub_words_see_the_domain_dictionary_even_when_called_first():
    # A fresh interpreter, so that sub_words really is the first call.
    import subprocess
    import sys

    code = "from searchlib.analysis import sub_words; print([w for w, _ in sub_words('负责人出庭应诉')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "出庭应诉" in out.stdout, out.stderr


@given(st.text())
def test_a_token_is_a_word_when_it_has_a_letter_or_digit(token):
    assert is_word(token) == any(c.isalnum() for c in token)
