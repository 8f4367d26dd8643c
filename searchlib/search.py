"""Query -> results: ranked hits with snippets, exact facet counts, pagination.

This is the layer the CLI, the JSON API and the web UI all call. A
:class:`Library` holds one open index and notices when it has changed.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import sorting
from whoosh import query as wq

from searchlib.analysis import normalize
from searchlib.engine import Compiler, query_words, sentence_clauses, sentence_match
from searchlib.highlight import match_spans, render, snippet
from searchlib.indexing import open_index, resolve_index_dir
from searchlib.query import (MAX_QUERY_CHARS, And, Exact, Filter, Node, ParsedQuery, QueryError, Words,
                             canonical_filter_value, parse, positive_terms)

FACETS = ("report_year", "province", "city", "county", "level", "body", "section_kind", "genre")
SORTS = ("relevance", "newest", "oldest")
MAX_LIMIT = 1000
MAX_OFFSET = 10_000
PARAM_FILTERS = ("year", "province", "city", "county", "township", "level", "body", "section", "genre")


@dataclass
class SearchRequest:
    q: str = ""
    year: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None
    level: str | None = None
    body: str | None = None
    section: str | None = None
    genre: str | None = None
    sort: str = "relevance"
    limit: int = 10
    offset: int = 0

    def filters(self) -> dict[str, str]:
        return {k: v for k in PARAM_FILTERS if (v := getattr(self, k))}


@dataclass
class Hit:
    pid: str
    doc_id: str
    title: str | None
    province: str | None
    city: str | None
    county: str | None
    township: str | None
    level: str | None
    body: str | None
    report_year: int | None
    publish_date: str | None
    section_kind: str | None
    section_heading: str | None
    position: int
    text: str
    snippet: str
    url: str
    score: float = 0.0


@dataclass
class Results:
    query: str
    understood: str
    total: int
    took_ms: float
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    offset: int = 0
    limit: int = 10
    sort: str = "relevance"
    filters: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["facets"] = {k: {str(v): n for v, n in pairs} for k, pairs in self.facets.items()}
        return data


def understood(node: Node | None) -> str:
    """How the query was read: normalized and segmented, operators spelled out."""
    if node is None:
        return ""
    if isinstance(node, Words):
        return " ".join(query_words(node.text)) or normalize(node.text)
    if isinstance(node, Exact):
        return f'"{normalize(node.text)}"'
    if isinstance(node, Filter):
        return f"{node.field}:{node.value}"
    if isinstance(node, And):
        return " AND ".join(_grouped(c) for c in node.children)
    from searchlib.query import Not, Or, SameSentence
    if isinstance(node, Or):
        return " OR ".join(_grouped(c) for c in node.children)
    if isinstance(node, Not):
        return "NOT " + _grouped(node.child)
    if isinstance(node, SameSentence):
        return " /s ".join(_grouped(c) for c in node.children)
    return str(node)


def _grouped(node: Node) -> str:
    text = understood(node)
    return f"({text})" if " " in text and not isinstance(node, (Words, Exact, Filter)) else text


class Library:
    """An open index: search it, fetch paragraphs and reports from it."""

    def __init__(self, index_dir: Path | str):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._live: Path | None = None
        self._index = None
        self._searcher = None
        self._facet_cache: tuple[object, dict[str, list]] | None = None
        self._open()

    def _open(self) -> None:
        self._live = resolve_index_dir(self.index_dir)
        self._index = open_index(self.index_dir)
        self._searcher = self._index.searcher()
        self._facet_cache = None

    def searcher(self):
        """The current searcher, reopened if the index changed on disk."""
        with self._lock:
            live = resolve_index_dir(self.index_dir)
            if live != self._live:
                old = self._searcher
                self._open()
                old.close()
            elif not self._searcher.up_to_date():
                self._searcher = self._searcher.refresh()
                self._facet_cache = None
            return self._searcher

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()

    # --- facets -------------------------------------------------------------

    def _facet_values(self, searcher) -> dict[str, list]:
        """Per document number, the value of each facet field (read once per index version)."""
        cache = self._facet_cache
        if cache is not None and cache[0] is searcher:
            return cache[1]
        reader = searcher.reader()
        size = reader.doc_count_all()
        columns: dict[str, list] = {name: [None] * size for name in FACETS + ("doc_id",)}
        for docnum, stored in reader.iter_docs():
            for name in columns:
                columns[name][docnum] = stored.get(name)
        self._facet_cache = (searcher, columns)
        return columns

    def facet_counts(self, searcher, docnums: list[int]) -> dict[str, list[tuple[str, int]]]:
        columns = self._facet_values(searcher)
        facets: dict[str, list[tuple[str, int]]] = {}
        for name in FACETS:
            column = columns[name]
            counts = Counter(column[d] for d in docnums)
            if name == "report_year":
                ordered = sorted(counts.items(), key=lambda kv: (kv[0] is None, -(kv[0] or 0)))
            else:
                ordered = sorted(counts.items(), key=lambda kv: (kv[0] is None, -kv[1], str(kv[0])))
            facets[name] = [("unknown" if v is None else v, n) for v, n in ordered]
        return facets

    # --- search -------------------------------------------------------------

    def search(self, request: SearchRequest) -> Results:
        started = time.perf_counter()
        limit = max(0, min(int(request.limit), MAX_LIMIT))
        offset = max(0, int(request.offset))
        if offset > MAX_OFFSET:
            raise QueryError(f"offset {offset} is too deep (the limit is {MAX_OFFSET}); narrow the query instead")
        if request.sort not in SORTS:
            raise QueryError(f"unknown sort {request.sort!r}; use one of {', '.join(SORTS)}")
        parsed = parse(request.q or "")
        if parsed.fatal:
            raise QueryError(parsed.fatal)
        tree = self._with_param_filters(parsed, request)
        searcher = self.searcher()
        wq_query = Compiler(searcher).compile(tree)
        checks = sentence_clauses(tree)

        matching = sorted(searcher.docs_for_query(wq_query))
        if checks:
            matching = [d for d in matching
                        if all(sentence_match(c, searcher.stored_fields(d)["text"]) for c in checks)]
        total = len(matching)
        facets = self.facet_counts(searcher, matching)

        ranked = self._rank(searcher, wq_query, request.sort, set(matching) if checks else None, offset + limit)
        terms = positive_terms(tree)
        hits = [self._hit(searcher, docnum, score, terms) for docnum, score in ranked[offset:offset + limit]]
        took = (time.perf_counter() - started) * 1000
        return Results(query=request.q or "", understood=understood(tree), total=total, took_ms=round(took, 2),
                       hits=hits, facets=facets, offset=offset, limit=limit, sort=request.sort,
                       filters=request.filters(), problems=parsed.problems)

    def _with_param_filters(self, parsed: ParsedQuery, request: SearchRequest) -> Node | None:
        extra: list[Node] = []
        for name, raw in request.filters().items():
            value = canonical_filter_value(name, str(raw))
            if value is None:
                raise QueryError(f"cannot read {name}={raw!r} as a filter")
            extra.append(Filter(name, value))
        if not extra:
            return parsed.tree
        parts = ([parsed.tree] if parsed.tree is not None else []) + extra
        flat: list[Node] = []
        for p in parts:
            flat.extend(p.children if isinstance(p, And) else (p,))
        return And(tuple(flat)) if len(flat) > 1 else flat[0]

    def _rank(self, searcher, query: wq.Query, sort: str, allowed: set[int] | None,
              needed: int) -> list[tuple[int, float]]:
        if sort == "relevance":
            sortedby = None
        else:
            sortedby = sorting.MultiFacet([sorting.FieldFacet("report_year", reverse=(sort == "newest")),
                                           sorting.ScoreFacet(), sorting.FieldFacet("pid")])
        limit = None if allowed is not None else max(needed, 1)
        results = searcher.search(query, limit=limit, sortedby=sortedby)
        ranked = []
        for hit in results:
            if allowed is not None and hit.docnum not in allowed:
                continue
            ranked.append((hit.docnum, hit.score or 0.0))
            if len(ranked) >= needed:
                break
        return ranked

    def _hit(self, searcher, docnum: int, score: float, terms: list[Words | Exact]) -> Hit:
        stored = searcher.stored_fields(docnum)
        text = stored.get("text", "")
        spans = match_spans(text, terms) if terms else []
        return Hit(
            pid=stored["pid"], doc_id=stored["doc_id"], title=stored.get("title"),
            province=stored.get("province"), city=stored.get("city"), county=stored.get("county"),
            township=stored.get("township"), level=stored.get("level"), body=stored.get("body"),
            report_year=stored.get("report_year"), publish_date=stored.get("publish_date"),
            section_kind=stored.get("section_kind"), section_heading=stored.get("heading"),
            position=stored.get("position", 0), text=text, snippet=snippet(text, spans),
            url=f"/p/{stored['pid']}", score=round(float(score), 4),
        )

    # --- paragraphs and reports -------------------------------------------

    def paragraph(self, pid: str) -> dict | None:
        searcher = self.searcher()
        docnum = searcher.document_number(pid=pid)
        return None if docnum is None else dict(searcher.stored_fields(docnum))

    def report(self, doc_id: str) -> list[dict]:
        """All paragraphs of a report, in reading order."""
        searcher = self.searcher()
        docs = [dict(searcher.stored_fields(d)) for d in searcher.document_numbers(doc_id=doc_id)]
        return sorted(docs, key=lambda d: d.get("position", 0))

    def highlighted(self, text: str, q: str) -> str:
        """The whole paragraph with the query's matches marked (for permalink pages)."""
        parsed = parse(q or "")
        terms = positive_terms(parsed.tree) if not parsed.fatal else []
        return render(text, match_spans(text, terms) if terms else [])

    def stats(self) -> dict:
        searcher = self.searcher()
        columns = self._facet_values(searcher)
        return {"paragraphs": searcher.doc_count(), "reports": len({d for d in columns["doc_id"] if d})}


def search(index_dir: Path | str, q: str, **params) -> Results:
    """One-off search (opens the index, searches, closes)."""
    library = Library(index_dir)
    try:
        return library.search(SearchRequest(q=q, **params))
    finally:
        library.close()


__all__ = ["Library", "SearchRequest", "Results", "Hit", "QueryError", "search", "MAX_QUERY_CHARS"]
