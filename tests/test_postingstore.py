"""The flat posting files beside each segment hold exactly Whoosh's postings, and the evaluator
answers what a scan of the paragraphs finds with them, without them, and after updates merge and delete."""
from __future__ import annotations

import numpy as np
import pytest

from searchlib.index.indexing import build_index, delete_reports, resolve_index_dir
from searchlib.index.postingstore import POSTING_FIELDS, Lexicon, PostingCapture, SegmentPostings, posting_files
from searchlib.query.search import Library, SearchRequest
from tests import scan

QUERIES = ["法治", "行政复议", '"合法性审查"', "行政复议 /s 案件", "法治 -复议", "复议 OR 诉讼", "依法行政 year:2019-2021"]


def _whoosh_postings(leaf, fieldname: str, btext: bytes) -> tuple[list[int], list[float]]:
    matcher = leaf.postings(fieldname, btext)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def _check_every_term(index) -> int:
    """Compare every term of every segment's posting files with Whoosh's own postings, and the
    fast path's idf of it with Whoosh's."""
    library = Library(index)
    checked = 0
    try:
        searcher = library.searcher()
        fast = library.evaluator(searcher)
        for leaf, _ in searcher.reader().leaf_readers():
            for fieldname in POSTING_FIELDS:
                store = SegmentPostings.open(leaf.storage(), leaf.segment(), fieldname)
                assert store is not None, f"segment {leaf.segment().segment_id()} has no {fieldname} postings"
                lexicon = list(leaf.lexicon(fieldname))
                assert [bytes(t) for t in store.terms] == lexicon
                for btext in lexicon:
                    assert fast.idf(fieldname, btext) == searcher.idf(fieldname, btext)
                    docs, weights = store.get(btext)
                    expected_ids, expected_weights = _whoosh_postings(leaf, fieldname, btext)
                    # Whoosh's matcher skips deleted documents; the files keep them (the live mask drops them).
                    live = [d for d in docs.tolist() if not leaf.is_deleted(d)]
                    assert live == expected_ids
                    assert [float(w) for d, w in zip(docs.tolist(), weights.tolist())
                            if not leaf.is_deleted(d)] == expected_weights
                    checked += 1
        _check_lexicons(searcher)
    finally:
        library.close()
    return checked


def _check_lexicons(searcher) -> None:
    """Each field's lexicon of the whole index finds every term's postings in every segment."""
    leaves = [leaf for leaf, _ in searcher.reader().leaf_readers()]
    for fieldname in POSTING_FIELDS:
        lexicon = Lexicon.open(leaves[0].storage(), [leaf.segment() for leaf in leaves], fieldname)
        assert lexicon is not None, fieldname
        stores = [SegmentPostings.open(leaf.storage(), leaf.segment(), fieldname) for leaf in leaves]
        every = sorted({bytes(t) for store in stores for t in store.terms})
        assert [bytes(t) for t in lexicon.terms] == every
        for btext in every:
            for store, (begin, end) in zip(stores, lexicon.spans_of(btext)):
                docs, weights = store.get(btext)
                assert store.docs[begin:end].tolist() == docs.tolist()
                assert store.weights[begin:end].tolist() == weights.tolist()
        assert lexicon.spans_of("不在词表里的词".encode()) is None


def test_a_lexicon_written_for_other_segments_is_not_used(tmp_path, corpus_dir):
    files = sorted(corpus_dir.iterdir())
    build_index(files[:2], tmp_path, procs=1, reuse=False)
    build_index(files[2:4], tmp_path, procs=1, reuse=False)
    library = Library(tmp_path)
    try:
        leaves = [leaf for leaf, _ in library.searcher().reader().leaf_readers()]
        assert len(leaves) == 2
        storage, segments = leaves[0].storage(), [leaf.segment() for leaf in leaves]
        assert Lexicon.open(storage, segments, "text") is not None
        assert Lexicon.open(storage, segments[:1], "text") is None
        assert Lexicon.open(storage, segments[::-1], "text") is None
    finally:
        library.close()


def test_every_segment_has_every_terms_postings(index_dir):
    assert _check_every_term(index_dir) > 1000


def test_posting_files_stay_right_after_updates_merge_and_delete(tmp_path, corpus_dir):
    files = sorted(corpus_dir.iterdir())
    for start in range(0, len(files), 2):
        build_index(files[start:start + 2], tmp_path, procs=1, reuse=False)
    library = Library(tmp_path)
    doc_id = library.search(SearchRequest(q="法治")).hits[0].doc_id
    library.close()
    delete_reports(tmp_path, [doc_id])
    assert _check_every_term(tmp_path) > 1000
    _answers_as_a_scan(tmp_path)


def test_without_posting_files_the_evaluator_reads_whoosh(tmp_path, corpus_dir):
    build_index([corpus_dir], tmp_path, rebuild=True, procs=1, reuse=False)
    with_files = _answers_as_a_scan(tmp_path)
    removed = list(resolve_index_dir(tmp_path).glob("*.post.*.npy"))
    assert removed
    for path in removed:
        path.unlink()
    assert _answers_as_a_scan(tmp_path) == with_files


def _answers_as_a_scan(index) -> dict:
    """Each query's answer (total, facets, ranked pids and scores), its total checked against a scan of
    the paragraphs (tests/scan.py)."""
    library = Library(index)
    try:
        everything = scan.paragraphs(library)
        answers = {}
        for q in QUERIES:
            got = library.search(SearchRequest(q=q))
            assert got.total == len(scan.matching(q, everything)) > 0, q
            answers[q] = (got.total, got.facets, [(h.pid, h.score) for h in got.hits])
        return answers
    finally:
        library.close()


class _Segment:
    def __init__(self, name: str):
        self.name = name

    def segment_id(self) -> str:
        return self.name


def _written(tmp_path, items, doc_count=10, fields=("f",)):
    capture = PostingCapture(fields)
    passed = list(capture.through(iter(items)))
    assert passed == items  # the writer downstream sees every posting unchanged
    capture.write(tmp_path, _Segment("seg"), doc_count)
    return {f: SegmentPostings(posting_files(tmp_path, _Segment("seg"), f))
            if posting_files(tmp_path, _Segment("seg"), f)["terms"].exists() else None for f in fields}


def test_capture_keeps_terms_documents_and_weights(tmp_path):
    items = [("f", b"a", 0, 1.0, b""), ("f", b"a", 7, 3.0, b""), ("f", "法".encode(), 2, 2.0, b""),
             ("g", b"a", 1, 1.0, b""), ("f2", b"zz", 4, 1.0, b"")]
    stores = _written(tmp_path, items, fields=("f", "f2"))
    docs, weights = stores["f"].get(b"a")
    assert docs.tolist() == [0, 7] and weights.tolist() == [1, 3]
    assert stores["f"].get("法".encode())[0].tolist() == [2]
    assert stores["f2"].get(b"zz")[0].tolist() == [4]
    assert len(stores["f"].get(b"b")[0]) == 0 and len(stores["f"].get(b"zz")[0]) == 0
    assert stores["f"].docs.dtype == np.uint16 and stores["f"].weights.dtype == np.uint8


def test_large_segments_and_frequencies_get_wider_types(tmp_path):
    stores = _written(tmp_path, [("f", b"a", 70_000, 300.0, b"")], doc_count=70_001)
    docs, weights = stores["f"].get(b"a")
    assert docs.tolist() == [70_000] and weights.tolist() == [300]


def test_boosted_weights_are_kept_exactly(tmp_path):
    stores = _written(tmp_path, [("f", b"a", 0, 1.5, b""), ("f", b"a", 1, 4.5, b""), ("f", b"b", 2, 2.0, b"")])
    assert stores["f"].get(b"a")[1].tolist() == [1.5, 4.5]
    assert stores["f"].get(b"b")[1].tolist() == [2.0]


def test_weights_without_an_exact_small_type_are_left_to_whoosh(tmp_path):
    stores = _written(tmp_path, [("f", b"a", 0, 0.1, b"")])  # 0.1 is not a float32
    assert stores["f"] is None


def test_a_field_with_a_term_ending_in_nul_is_left_to_whoosh(tmp_path):
    # NumPy's byte strings drop trailing NULs: b"a\x00" would be read back as b"a".
    stores = _written(tmp_path, [("f", b"a", 0, 1.0, b""), ("f", b"a\x00", 1, 1.0, b"")])
    assert stores["f"] is None


def test_postings_out_of_term_order_are_refused(tmp_path):
    capture = PostingCapture(("f",))
    list(capture.through(iter([("f", b"b", 0, 1.0, b""), ("f", b"a", 1, 1.0, b"")])))
    with pytest.raises(ValueError):
        capture.write(tmp_path, _Segment("seg"), 10)


def test_postings_packed_in_many_chunks_read_back_whole(tmp_path, monkeypatch):
    from searchlib.index import postingstore
    monkeypatch.setattr(postingstore, "PACK_POSTINGS", 3)  # pack at (almost) every term
    items = [("f", f"t{t:02d}".encode(), d, float(t % 4) + (0.5 if t == 7 else 0.0), b"")
             for t in range(12) for d in range(t, t + 5)]
    stores = _written(tmp_path, items, doc_count=100)
    for t in range(12):
        docs, weights = stores["f"].get(f"t{t:02d}".encode())
        assert docs.tolist() == list(range(t, t + 5))
        assert weights.tolist() == [float(t % 4) + (0.5 if t == 7 else 0.0)] * 5
    assert stores["f"].weights.dtype == np.float32  # one chunk needed it, so every chunk gets it


def test_an_inexact_weight_in_a_late_chunk_leaves_the_field_to_whoosh(tmp_path, monkeypatch):
    from searchlib.index import postingstore
    monkeypatch.setattr(postingstore, "PACK_POSTINGS", 2)
    items = [("f", b"a", 0, 1.0, b""), ("f", b"a", 1, 1.0, b""), ("f", b"b", 0, 1.0, b""),
             ("f", b"c", 3, 0.1, b""), ("g", b"a", 0, 1.0, b"")]
    stores = _written(tmp_path, items, fields=("f", "g"))
    assert stores["f"] is None and stores["g"].get(b"a")[0].tolist() == [0]
