"""The indexer's flat text files give every paragraph's normalized text, faster than stored fields."""
from __future__ import annotations

import numpy as np

from searchlib.analysis import normalize
from searchlib.indexing import build_index, resolve_index_dir
from searchlib.search import Library
from searchlib.textstore import OFFSETS_SUFFIX, TEXT_SUFFIX, Texts


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
