"""The indexer's flat text files give every paragraph's normalized text, faster than stored fields."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from searchlib.analysis import normalize
from searchlib.index.indexing import IndexDamaged, build_index, resolve_index_dir
from searchlib.query.search import Library, SearchRequest
from searchlib.index.textstore import (OFFSETS_SUFFIX, SUFFIX_ARRAY_SUFFIX, SUFFIX_TOP_SUFFIX, TEXT_SUFFIX,
                                 SuffixSearch, Texts, paragraph_of_each, paragraphs_holding, paragraphs_of,
                                 suffix_array, suffix_array_top)


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
    texts = Texts(Library(tmp_path).searcher())
    try:  # every segment, merged or added, has its suffix array's top
        assert texts._segments and all(segment.search is not None for segment in texts._segments)
    finally:
        texts.close()


def test_an_index_without_its_text_files_is_damaged_and_says_how_to_rebuild(tmp_path, corpus_dir):
    build_index([corpus_dir], tmp_path, rebuild=True, procs=1, reuse=False)
    for path in list(resolve_index_dir(tmp_path).glob(f"*{TEXT_SUFFIX}")) + \
            list(resolve_index_dir(tmp_path).glob(f"*{OFFSETS_SUFFIX}")):
        path.unlink()
    with pytest.raises(IndexDamaged, match="text files .* `searchlib index --rebuild"):
        _all_texts_agree(tmp_path)


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


def _searched_from_the_top(paragraphs: list[str], needle: str, stride: int, width: int) -> list[int]:
    """The paragraphs holding ``needle`` as a SuffixSearch finds them, its files written as the indexer
    writes them but with the given top stride and prefix width."""
    blob, offsets = _texts_file(paragraphs)
    suffixes = suffix_array(blob)
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: Path(folder) / name for name in ("text", "sa", "par", "top")}
        paths["text"].write_bytes(blob)
        np.save(paths["sa"].with_suffix(".npy"), suffixes)
        np.save(paths["par"].with_suffix(".npy"), paragraph_of_each(offsets, suffixes))
        np.save(paths["top"].with_suffix(".npy"), suffix_array_top(blob, suffixes, stride, width))
        fd = os.open(paths["text"], os.O_RDONLY)
        search = SuffixSearch(*(paths[n].with_suffix(".npy") for n in ("sa", "par", "top")), fd, stride=stride)
        try:
            encoded = needle.encode("utf-8")
            return paragraphs_of(offsets, *search.occurrences(encoded), len(encoded)).tolist()
        finally:
            search.close()
            os.close(fd)


@settings(max_examples=300, deadline=None)
@given(paragraphs=st.lists(st.text(alphabet="法治政府建设。a1é\x00", max_size=12), min_size=1, max_size=40),
       needle=st.text(alphabet="法治政府建设。a1é\x00", min_size=1, max_size=5),
       stride=st.sampled_from([1, 2, 3, 7, 256]), width=st.sampled_from([1, 2, 3, 5, 24]))
def test_the_suffix_array_top_finds_exactly_the_paragraphs_holding_a_string(paragraphs, needle, stride, width):
    # Widths shorter than the needle, ties among sampled prefixes, NUL bytes (the top's padding):
    # the window the top leaves must still hold every occurrence.
    assert _searched_from_the_top(paragraphs, needle, stride, width) == \
        [i for i, p in enumerate(paragraphs) if needle in p]


def test_the_top_narrows_a_search_to_a_window_of_the_suffix_array():
    paragraphs = [f"第{i}条 依法行政{i % 7} 法治政府建设" for i in range(400)]
    assert _searched_from_the_top(paragraphs, "依法行政3", 16, 24) == [i for i in range(400) if i % 7 == 3]
    assert _searched_from_the_top(paragraphs, "不在这里", 16, 24) == []


def test_holding_agrees_with_checking_every_paragraph(library):
    texts = Texts(library.searcher())
    try:
        assert all(segment.search is not None for segment in texts._segments)  # the top files are there
        docs = np.arange(library.searcher().doc_count_all(), dtype=np.int64)
        for string in ("法治", "行政复议", "府建设", "。", "不在任何段落里的字符串"):
            assert texts.holding(string.encode()).tolist() == \
                docs[texts.containing(docs, string.encode())].tolist()
    finally:
        texts.close()


def test_a_suffix_array_without_its_top_file_is_damage_that_names_the_rebuild(tmp_path, corpus_dir):
    # (Suffix arrays written before the top files: such an index has an older format.)
    build_index([corpus_dir], tmp_path, rebuild=True, procs=1, reuse=False)
    strings = ["法治", "不在任何段落里的字符串"]
    with_top = Texts(Library(tmp_path).searcher())
    before = {string: with_top.holding(string.encode()).tolist() for string in strings}
    with_top.close()
    assert before["法治"] and not before["不在任何段落里的字符串"]
    tops = list(resolve_index_dir(tmp_path).glob(f"*{SUFFIX_TOP_SUFFIX}"))
    assert tops
    for path in tops:
        path.unlink()
    with pytest.raises(IndexDamaged, match="suffix array files .* `searchlib index --rebuild"):
        Texts(Library(tmp_path).searcher())


def _mapped_kb(blob) -> int:
    """How much of the memory map ``blob`` is in this process's memory (its Rss in /proc/self/smaps)."""
    address = np.frombuffer(blob, dtype=np.uint8).ctypes.data
    total, current = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            first = line.split()[0]
            if "-" in first and not first.endswith(":"):
                start, end = (int(bound, 16) for bound in first.split("-"))
                current = start <= address < end
            elif current and line.startswith("Rss:"):
                total += int(line.split()[1])
    return total


def test_scans_past_the_budget_let_go_of_the_mapped_text(library):
    searcher = library.searcher()
    texts = Texts(searcher)
    try:
        maps = [segment.blob for segment in texts._segments]  # (the library's own maps are others)
        docs = np.arange(searcher.doc_count_all(), dtype=np.int64)
        together = [["法治".encode(), "政府".encode()]]
        expected = [any("法治" in s and "政府" in s for s in re.split("[。！？；!?;\n]", texts.get(d)))
                    for d in docs.tolist()]
        assert any(expected) and not all(expected)

        texts.mapped_budget = 1 << 40
        assert texts.in_one_sentence(docs, together).tolist() == expected
        assert sum(_mapped_kb(blob) for blob in maps) > 0  # within the budget: left mapped
        texts.mapped_budget = 0
        assert texts.in_one_sentence(docs, together).tolist() == expected
        assert sum(_mapped_kb(blob) for blob in maps) == 0  # past it: let go of
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
