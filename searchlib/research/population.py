"""The paragraphs and reports a request covers: what the research tools count over.

One reading of a request for every tool (compliance, diffusion, collocates …): the search
layer's own (:meth:`searchlib.query.search.Library.matching`), or every live paragraph when the
request has neither words nor filters.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any, Callable, Generic, TypeVar

import numpy as np


def is_empty(request) -> bool:
    return not ((request.q or "").strip() or request.filters() or request.boilerplate)


# The research tools count reports: a news article or a plan among them would read as a report (one made a
# province "100 per 100 reports"). genre=other counts only those, genre=all everything.
DEFAULT_GENRE = "report"
ALL_GENRES = "all"


def reports_only(request):
    """``request`` with genre=report unless it names a genre (a parameter, or typed in the query); genre=all: none."""
    from searchlib.query.parse import filters_in, parse

    typed = any(f.field == "genre" for f in filters_in(parse(request.q or "").tree))
    if request.genre == ALL_GENRES:
        return replace(request, genre=None)
    return request if request.genre or typed else replace(request, genre=DEFAULT_GENRE)


def matched_docnums(library, request) -> tuple[object, np.ndarray]:
    """(searcher, sorted document numbers) of the paragraphs ``request`` matches."""
    if is_empty(request):
        searcher = library.searcher()
        return searcher, library.evaluator(searcher).live_docs()
    found = library.matching(request)
    return found.searcher, np.asarray(found.docnums, dtype=np.int64)


def report_fields(library, searcher, docnums: np.ndarray) -> list[tuple[dict, np.ndarray]]:
    """One entry per report among ``docnums``: (its first paragraph's stored fields, its docnums).

    Reports are told apart by the facet column of ``doc_id`` (no stored field is read per
    paragraph); one paragraph per report is read for the report's own fields.
    """
    if not len(docnums):
        return []
    codes = library.columns(searcher)["doc_id"].codes[docnums]
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    ends = np.r_[starts[1:], len(order)]
    store = library.stored_fields(searcher)
    out = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        members = np.sort(docnums[order[s:e]])
        out.append((dict(store[int(members[0])]), members))
    return out


T = TypeVar("T")


class PerSearcher(Generic[T]):
    """A value computed from a library's searcher, kept in that index generation (see
    ``Library.per_generation``: dropped with it, never at module level). One computation at a
    time: a second request for the same value waits for the first."""

    def __init__(self, compute: Callable[[Any, Any], T]):
        self._compute = compute
        self._name = f"{compute.__module__}.{compute.__qualname__}"
        self._lock = threading.Lock()

    def __call__(self, library, searcher) -> T:
        with self._lock:
            return library.per_generation(searcher, self._name, lambda: self._compute(library, searcher))
