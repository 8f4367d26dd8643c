"""Compound segment files are read in place from the memory map, with BytesIO's semantics."""
from __future__ import annotations

import io
import tracemalloc

from hypothesis import given, strategies as st

from searchlib.indexing import open_index, resolve_index_dir
from searchlib.storage import MappedFile

_OPS = st.lists(st.one_of(
    st.tuples(st.just("read"), st.integers(-1, 40)),
    st.tuples(st.just("readline"), st.integers(-1, 40)),
    st.tuples(st.just("seek"), st.integers(0, 120), st.sampled_from([io.SEEK_SET, io.SEEK_CUR])),
    st.tuples(st.just("tell")),
), max_size=30)


@given(data=st.binary(max_size=100).map(lambda b: b.replace(b"\x00", b"\n")), ops=_OPS)
def test_a_mapped_file_reads_as_bytesio_does(data, ops):
    mapped, expected = MappedFile(memoryview(data)), io.BytesIO(data)
    for name, *args in ops:
        assert getattr(mapped, name)(*args) == getattr(expected, name)(*args), (name, args)


@given(objects=st.lists(st.one_of(st.integers(), st.text(max_size=3000), st.tuples(st.integers(), st.floats(allow_nan=False))),
                        min_size=1, max_size=5))
def test_a_mapped_file_reads_pickles_one_after_another_and_where_they_end(objects):
    import pickle

    data = b"".join(pickle.dumps(o, protocol=2) for o in objects) + b"tail"
    mapped = MappedFile(memoryview(data))
    for expected in objects:
        assert mapped.read_pickle() == expected
    assert mapped.read(4) == b"tail"


def test_opening_an_index_does_not_copy_its_segments_onto_the_heap(index_dir):
    segment_bytes = sum(p.stat().st_size for p in resolve_index_dir(index_dir).glob("*.seg"))
    tracemalloc.start()
    try:
        index = open_index(index_dir)
        searcher = index.searcher()
        assert searcher.doc_count() > 80
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    searcher.close()
    assert segment_bytes > 1_000_000
    assert peak < segment_bytes / 2  # before: every segment's postings were copied into a BytesIO
