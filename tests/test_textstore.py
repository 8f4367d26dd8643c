"""The indexer's flat text files give every paragraph's normalized text, faster than stored fields."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from searchlib.analysis import normalize
from searchlib.indexing import build_index, resolve_index_dir
from searchlib.search import Library, SearchRequest
from searchlib.textstore import (OFFSETS_SUFFIX, SUFFIX_ARRAY_SUFFIX, TEXT_SUFFIX, Texts, paragraph_of_each,
                                 paragraphs_holding, suffix_array)


def _all_texts_agree(index) -> int:
    library = Library(index)
    try:
        searcher = library.searcher()
        texts = Texts(searcher)
        try:
            reader = searcher.reader()
            checked = 0
            for docnum, stored in reader.iter_docs():
                assert texts.get(docnum) == normalize(stored["text"])
                checked += 1
            return checked
        finally:
            texts.close()
    finally:
        library.close()


def test_every_paragraph_reads_back_as_stored(index_dir):
    assert list(resolve_index_dir(index_dir).glob(f"*{TEXT_SUFFIX}"))
    assert _all_texts_agree(index_dir) > 80


def test_texts_stay_right_after_updates_merge_segments(tmp_path, corpus_dir):
    files = sorted(corpus_dir.iterdir())
    for start in range(0, len(files), 3):
        build_index(files[start:start + 3], tmp_path, procs=1, reuse=False)
    assert _all_texts_agree(tmp_path) > 80


def test_without_text_files_the_stored_text_is_used(tmp_path, corpus_dir):
    build_index([corpus_dir], tmp_path, rebuild=True, procs=1, reuse=False)
    for path in list(resolve_index_dir(tmp_path).glob(f"*{TEXT_SUFFIX}")) + \
            list(resolve_index_dir(tmp_path).glob(f"*{OFFSETS_SUFFIX}")):
        path.unlink()
    assert _all_texts_agree(tmp_path) > 80


def test_containing_finds_exactly_the_paragraphs_holding_a_string(library):
    searcher = library.searcher()
    texts = Texts(searcher)
    try:
        docs = np.arange(searcher.doc_count_all(), dtype=np.int64)
        for string in ("法治", "行政复议", "合法性审查", "。", "不在任何段落里的字符串"):
            expected = [string in texts.get(d) for d in docs.tolist()]
            assert texts.containing(docs, string.encode("utf-8")).tolist() == expected
        some = docs[::3]
        assert texts.containing(some, "法治".encode()).tolist() == ["法治" in texts.get(d) for d in some.tolist()]
    finally:
        texts.close()


# --- the suffix arrays: every paragraph holding a string, found by binary search ------------------

def _texts_file(paragraphs: list[str]) -> tuple[bytes, np.ndarray]:
    encoded = [p.encode("utf-8") for p in paragraphs]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return b"".join(encoded), offsets


@settings(max_examples=300, deadline=None)
@given(paragraphs=st.lists(st.text(alphabet="法治政府建设。a1é", max_size=12), min_size=1, max_size=40),
       needle=st.text(alphabet="法治政府建设。a1é", min_size=1, max_size=4))
def test_the_suffix_array_finds_exactly_the_paragraphs_holding_a_string(paragraphs, needle):
    blob, offsets = _texts_file(paragraphs)
    suffixes = suffix_array(blob)
    found = paragraphs_holding(blob, offsets, suffixes, paragraph_of_each(offsets, suffixes), needle.encode("utf-8"))
    assert found.tolist() == [i for i, p in enumerate(paragraphs) if needle in p]


def test_a_string_running_on_into_the_next_paragraph_is_not_found():
    blob, offsets = _texts_file(["推进法治", "政府建设", "法治政府"])
    suffixes = suffix_array(blob)
    found = paragraphs_holding(blob, offsets, suffixes, paragraph_of_each(offsets, suffixes), "法治政府".encode())
    assert found.tolist() == [2]


def test_holding_agrees_with_checking_every_paragraph(library):
    texts = Texts(library.searcher())
    try:
        docs = np.arange(library.searcher().doc_count_all(), dtype=np.int64)
        for string in ("法治", "行政复议", "府建设", "。", "不在任何段落里的字符串"):
            assert texts.holding(string.encode()).tolist() == \
                docs[texts.containing(docs, string.encode())].tolist()
    finally:
        texts.close()


def test_without_suffix_arrays_exact_strings_find_the_same_paragraphs(tmp_path, corpus_dir):
    build_index([corpus_dir], tmp_path, rebuild=True, procs=1, reuse=False)
    queries = ['"府建设"', '"行政复议"', '"法治政府建设"', "法治政府建设 依法", '"行政复议" OR "应诉率"']
    with_arrays = Library(tmp_path)
    try:
        assert Texts(with_arrays.searcher()).holding("法治".encode()) is not None
        before = {q: [(h.pid, h.score) for h in with_arrays.search(SearchRequest(q=q, limit=1000)).hits]
                  for q in queries}
    finally:
        with_arrays.close()
    for path in resolve_index_dir(tmp_path).glob(f"*{SUFFIX_ARRAY_SUFFIX}"):
        path.unlink()
    without = Library(tmp_path)
    try:
        assert Texts(without.searcher()).holding("法治".encode()) is None
        for q in queries:
            assert before[q] and [(h.pid, h.score) for h in without.search(SearchRequest(q=q, limit=1000)).hits] \
                == before[q], q
    finally:
        without.close()
