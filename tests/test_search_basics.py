"""What a researcher expects from the seeds: the Foundation's query basics."""
import shutil

import pytest
from hypothesis import assume, given, strategies as st

from searchlib.analysis import normalize
from searchlib.index.fieldstore import FIELD_OFFSETS_SUFFIX
from searchlib.index.indexing import IndexDamaged, build_index, resolve_index_dir
from searchlib.query.search import MAX_QUERY_CHARS, STAGES, Library, QueryError, SearchRequest

QUOTES = set('"“”＂「」')


def search(library, q, **kw):
    kw.setdefault("limit", 1000)
    return library.search(SearchRequest(q=q, **kw))


def test_quoted_term_finds_every_paragraph_containing_it_and_only_those(library, reports):
    expected = {p.pid for r in reports for _, _, p in r.paragraphs() if "行政复议" in normalize(p.text)}
    results = search(library, '"行政复议"')
    assert expected and {h.pid for h in results.hits} == expected
    assert results.total == len(expected)


def test_exact_string_crossing_a_word_boundary(library):
    results = search(library, '"治政"')
    assert results.total > 0
    assert all("治政" in normalize(h.text) for h in results.hits)
    assert any("法治政府" in h.text for h in results.hits)


def test_unquoted_words_all_must_match(library):
    results = search(library, "出庭应诉")
    assert results.total >= 3
    assert all("出庭应诉" in h.text for h in results.hits)


def test_full_width_query_finds_the_half_width_text(library):
    results = search(library, "１２３４５热线")
    assert [h.title for h in results.hits] == ["关于成都市武侯区2023年法治政府建设情况的报告"]
    assert "12345热线" in results.hits[0].text


def test_traditional_and_simplified_find_the_same_paragraphs(library):
    traditional = {h.pid for h in search(library, "行政復議").hits}
    simplified = {h.pid for h in search(library, "行政复议").hits}
    assert traditional == simplified
    # the traditional-script report is found by a simplified query
    assert any("復議" in h.text for h in search(library, "行政复议").hits)


def test_sub_word_query_finds_the_longer_word(library):
    results = search(library, "共和国")
    assert results.total >= 2
    assert all("共和国" in h.text for h in results.hits)
    assert "<mark>共和国</mark>" in results.hits[0].snippet


def test_snippets_are_escaped_and_marked(library):
    hit = search(library, "行政复议").hits[0]
    assert "<mark>行政复议</mark>" in hit.snippet
    assert hit.url == f"/p/{hit.pid}"


@pytest.mark.parametrize("group", [False, True])
def test_a_search_says_where_its_time_went(library, group):
    results = library.search(SearchRequest(q="行政复议", group=group))
    assert results.hits
    assert list(results.stages_ms) == list(STAGES)
    assert all(ms >= 0 for ms in results.stages_ms.values())
    # Each stage is rounded to a microsecond, the total to 10 µs.
    assert abs(sum(results.stages_ms.values()) - results.took_ms) <= 0.01
    assert "stages_ms" not in results.to_json()  # timing detail for profiling, not the public shape


def test_unbalanced_quote_is_a_clear_error(library):
    with pytest.raises(QueryError, match="unbalanced quote"):
        search(library, '"行政复议')


def test_huge_query_is_refused_clearly(library):
    with pytest.raises(QueryError, match="too long"):
        search(library, "法" * (MAX_QUERY_CHARS + 1))


def _paragraph_texts(reports):
    return [(p.pid, p.text) for r in reports for _, _, p in r.paragraphs()]


@given(data=st.data())
def test_quoted_substring_always_finds_its_paragraph(library, reports, data):
    paragraphs = _paragraph_texts(reports)
    pid, text = data.draw(st.sampled_from(paragraphs))
    size = data.draw(st.integers(min_value=2, max_value=min(12, len(text))))
    start = data.draw(st.integers(min_value=0, max_value=len(text) - size))
    piece = text[start:start + size]
    # A quote character inside the string would end the quoted query early.
    assume(not (set(piece) & QUOTES) and piece.strip() == piece and piece.strip())
    results = search(library, f'"{piece}"')
    found = {h.pid for h in results.hits}
    assert pid in found
    assert all(normalize(piece) in normalize(h.text) for h in results.hits)


def _stored_fields_agree_with_whoosh(index) -> tuple[int, int]:
    """(documents checked, of which with a text that normalizing changes)."""
    library = Library(index)
    try:
        searcher = library.searcher()
        stored = library.stored_fields(searcher)
        live = list(searcher.reader().all_doc_ids())
        changed = 0
        for docnum in reversed(live):  # the last segment first: no answer can come from a neighbour
            expected = searcher.stored_fields(docnum)
            assert stored[docnum] == expected and stored.pid(docnum) == expected["pid"]
            if normalize(expected["text"]) != expected["text"]:
                changed += 1
                assert not stored.normalized(docnum)
        return len(live), changed
    finally:
        library.close()


@pytest.fixture(scope="module")
def several_segments(tmp_path_factory, corpus_dir):
    index = tmp_path_factory.mktemp("segments")
    files = sorted(corpus_dir.iterdir())
    for start in range(0, len(files), 3):
        build_index(files[start:start + 3], index, procs=1, reuse=False)
    return index


def test_stored_fields_read_from_the_field_files_are_whooshs(several_segments):
    folder = resolve_index_dir(several_segments)
    assert len(list(folder.glob(f"*{FIELD_OFFSETS_SUFFIX}"))) > 1
    checked, changed = _stored_fields_agree_with_whoosh(several_segments)
    assert checked > 80 and changed > 0  # (a text normalizing changes is kept as it was)


def test_an_index_whose_field_files_are_gone_is_damaged_and_says_how_to_rebuild(several_segments, tmp_path):
    # Every segment of an index of this format has its field files: there is no second way to read them.
    copy = tmp_path / "copy"
    shutil.copytree(several_segments, copy, symlinks=True)
    for path in resolve_index_dir(copy).glob("*.fields.*"):
        path.unlink()
    with pytest.raises(IndexDamaged, match="stored-field files .* `searchlib index --rebuild"):
        _stored_fields_agree_with_whoosh(copy)
