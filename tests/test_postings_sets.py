"""The fast path's set operations give the same documents and scores whichever way they run:
sorting or binary search (small lists) or index-long arrays (lists that are a large share of the index)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from searchlib.query import postings
from searchlib.query.postings import Scored, common_positions, held_in, intersection, union

SIZE = 400
doc_sets = st.sets(st.integers(0, SIZE - 1), max_size=120)


def scored(docs: set[int], seed: int) -> Scored:
    ordered = np.array(sorted(docs), dtype=np.int64)
    return Scored(ordered, np.random.default_rng(seed).random(len(ordered)))


def assert_union_sums_scores(parts: list[Scored]) -> None:
    expected: dict[int, float] = {}
    for part in parts:
        for d, score in zip(part.docs.tolist(), part.scores.tolist()):
            expected[d] = expected.get(d, 0.0) + score
    got = union(parts, SIZE)
    assert got.docs.tolist() == sorted(expected)
    assert got.scores.tolist() == pytest.approx([expected[d] for d in sorted(expected)], rel=1e-12)


# The fixture only sets two module constants, the same for every generated input.
@pytest.fixture(params=["sorting", "dense"])
def way(request, monkeypatch):
    share = 2.0 if request.param == "sorting" else 0.0  # never / always past the share
    monkeypatch.setattr(postings, "DENSE_UNION_SHARE", share)
    monkeypatch.setattr(postings, "DENSE_INTERSECTION_SHARE", share)
    return request.param


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(doc_sets, min_size=2, max_size=4))
def test_union_sums_each_documents_scores(way, sets):
    assert_union_sums_scores([scored(s, i) for i, s in enumerate(sets)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc_sets, doc_sets)
def test_intersection_keeps_common_documents_with_both_scores(way, a, b):
    left, right = scored(a, 1), scored(b, 2)
    got = intersection(left, right, SIZE)
    common = sorted(a & b)
    assert got.docs.tolist() == common
    score_a = dict(zip(left.docs.tolist(), left.scores.tolist()))
    score_b = dict(zip(right.docs.tolist(), right.scores.tolist()))
    assert got.scores.tolist() == pytest.approx([score_a[d] + score_b[d] for d in common], rel=1e-12)
    in_a, in_b = common_positions(left.docs, right.docs, SIZE)
    assert left.docs[in_a].tolist() == right.docs[in_b].tolist() == common


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc_sets, st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=4), st.data())
def test_union_of_parts_inside_the_largest_sums_each_documents_scores(way, base, others, data):
    """A word's OR: the word's postings lie inside its characters' (the folding shortcut), or not."""
    pool = sorted(base) or [0]
    sets = [base]
    for share, outside in others:
        inside = set(data.draw(st.lists(st.sampled_from(pool), max_size=max(1, int(len(pool) * share)))))
        sets.append(inside | ({SIZE - 1} if outside else set()))
    assert_union_sums_scores([scored(s, i) for i, s in enumerate(sets)])


@settings(max_examples=100, deadline=None)
@given(doc_sets, doc_sets)
def test_held_in_marks_the_documents_the_other_list_holds(a, b):
    left, right = (np.array(sorted(docs), dtype=np.int64) for docs in (a, b))
    assert held_in(left, right).tolist() == [d in b for d in sorted(a)]
