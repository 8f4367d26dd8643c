"""Query -> results: ranked hits with snippets, exact facet counts, pagination.

This is the layer the CLI, the JSON API and the web UI all call. A
:class:`Library` holds one open index and notices when it has changed.

Ranking
    ``relevance`` is BM25F over the paragraph text, lifted by query words in
    the report title and section heading; ``newest``/``oldest`` order by
    report year, then relevance. Equal keys are broken by the paragraph id,
    which depends only on the text, so the order is the same on every rebuild.

Facets
    Counts are exact over the whole result set, never the current page. The
    ``city`` facet is given once a province is chosen and ``county`` once a
    city is chosen (a list of every county in China helps nobody).
    Facets are *disjunctive*: for a field the researcher filtered on
    (``province:四川`` or ``--province 四川``), the counts are those of the
    query without that one filter, so the other values show how many hits
    choosing them instead would give (as Datasette and shops do). The chosen
    value's count is then exactly ``total``. Fields not filtered on are
    counted over the result set itself.

Boilerplate
    ``boilerplate="hide"`` leaves out paragraphs whose text (or a text at
    least 80% like it, see :mod:`searchlib.reuse`) appears in
    ``BOILERPLATE_MIN_OTHER_REPORTS`` or more *other* reports: the template
    passages (学习贯彻习近平法治思想…) that every report copies.
    ``boilerplate="only"`` keeps just those. The same set of paragraphs is
    taken out of (or kept in) the matches, the facet counts and the ranking,
    so totals, facets and hits agree. The filter needs the reuse pass of the
    live index (``searchlib reuse --build``); without it the request fails
    with a QueryError that says so. The ``boilerplate`` facet counts the
    matches without this filter: ``only`` (template paragraphs) and ``hide``
    (the rest), and is present only when the reuse pass is.

Grouping
    With ``group=True`` the results are reports: each with its best paragraph
    and the number of its paragraphs that match; ``offset``/``limit`` page
    through reports, ``hits`` holds the best paragraphs of the page in order.
"""
from __future__ import annotations

import functools
import os
import threading
import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from whoosh import sorting
from whoosh import query as wq

from searchlib import reuse
from searchlib.analysis import normalize, word_ends
from searchlib.engine import FILTER_TO_FIELD, Column, Compiler, Matcher, has_sentence_clause, query_words
from searchlib.facetstore import load_facets, storage_folder
from searchlib.fieldstore import SegmentFields
from searchlib.textstore import Texts
from searchlib.highlight import match_spans, render, snippet
from searchlib.indexing import CURRENT, open_index, resolve_index_dir
from searchlib.postings import FastPath, Unsupported
from searchlib.query import (MAX_QUERY_CHARS, And, Exact, Filter, Node, Not, Or, ParsedQuery, QueryError,
                             SameSentence, Words, canonical_filter_value, filters_in, parse,
                             positive_terms)

FACETS = ("report_year", "province", "city", "county", "level", "body", "section_kind", "genre")
# A facet shown only once its parent is chosen: field -> the filter that must be present.
NESTED_FACETS = {"city": "province", "county": "city"}
SORTS = ("relevance", "newest", "oldest")
# The parts of a search timed in Results.stages_ms, in order (grouped results: "hits" is in "rank").
STAGES = ("match", "facets", "rank", "hits")
MAX_LIMIT = 1000
MAX_OFFSET = 10_000
PARAM_FILTERS = ("year", "province", "city", "county", "township", "level", "body", "section", "genre")
# Scores equal to this many decimals are ties (then the paragraph id decides).
SCORE_DECIMALS = 6
# Stored-field dicts kept per searcher (a paragraph's text and its metadata, ~2 KB each).
CACHE_STORED_DOCUMENTS = 4096
# A paragraph is boilerplate when at least this many *other* reports hold its text
# (so five reports in all): a phrase two neighbouring districts share is not a template.
BOILERPLATE_MIN_OTHER_REPORTS = 4
BOILERPLATE_MODES = ("hide", "only")


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
    group: bool = False  # one entry per report (see ReportGroup)
    boilerplate: str | None = None  # "hide" | "only" template paragraphs (see the module docstring)

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
    genre: str | None = None         # "report", or "other" (a plan, a notice, a news article)
    source_url: str | None = None    # where the report was fetched from, when known
    fetched_at: str | None = None


@dataclass
class ReportGroup:
    """A report in grouped results: its best paragraph and how many of its paragraphs match."""

    doc_id: str
    title: str | None
    report_year: int | None
    province: str | None
    city: str | None
    county: str | None
    township: str | None
    level: str | None
    body: str | None
    matches: int
    best: Hit


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
    total_reports: int = 0             # distinct reports among the matching paragraphs
    groups: list[ReportGroup] | None = None  # set when the request asked for group=True
    boilerplate: str | None = None     # the boilerplate filter applied ("hide" | "only"), if any
    # Where took_ms went: "match" (parse and find the paragraphs), "facets" (their counts),
    # "rank" (the page's best, or its report groups) and "hits" (records and snippets).
    stages_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["facets"] = {k: {str(v): n for v, n in pairs} for k, pairs in self.facets.items()}
        return data

    def to_json(self, reuse_store: "reuse.ReuseStore | None" = None, reuse_limit: int = 5) -> dict:
        """The public JSON shape, shared by ``searchlib search --json`` and ``/api/search``.

        With the index's reuse store, each hit says which other reports hold
        its paragraph (the first ``reuse_limit`` of them, earliest first).
        """
        data = self.to_dict()
        shaped = {key: data[key] for key in ("query", "understood", "total", "took_ms", "offset", "limit", "sort",
                                             "filters", "boilerplate", "problems", "total_reports")}
        shaped["hits"] = [{k: h[k] for k in HIT_JSON_KEYS} for h in data["hits"]]
        shaped["facets"] = data["facets"]
        if data["groups"] is not None:
            shaped["groups"] = [{**{k: v for k, v in g.items() if k != "best"},
                                 "best": {k: g["best"][k] for k in HIT_JSON_KEYS}} for g in data["groups"]]
        shaped["reuse_available"] = reuse_store is not None
        if reuse_store is not None:
            for hit in shaped["hits"]:
                hit["reuse"] = reuse.paragraph_summary(reuse_store, hit["pid"], reuse_limit)
        return shaped


@dataclass
class Matching:
    """The paragraphs a request matches, and what is needed to read them."""
    searcher: object
    tree: Node | None
    docnums: list[int]


HIT_JSON_KEYS = ("pid", "doc_id", "title", "province", "city", "county", "township", "level", "body",
                 "report_year", "publish_date", "section_kind", "section_heading", "text", "snippet", "url", "score",
                 "genre", "source_url", "fetched_at")


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
    if isinstance(node, Or):
        return " OR ".join(_grouped(c) for c in node.children)
    if isinstance(node, Not):
        return "NOT " + _grouped(node.child)
    if isinstance(node, SameSentence):
        return " /s ".join(_grouped(c) for c in node.children)
    raise TypeError(f"unknown query node {node!r}")


def _grouped(node: Node) -> str:
    text = understood(node)
    return f"({text})" if isinstance(node, (And, Or, SameSentence)) else text


def without_filters_on(node: Node | None, fieldname: str) -> Node | None:
    """The tree with its top-level filters on ``fieldname`` taken out."""
    if isinstance(node, Filter) and node.field == fieldname:
        return None
    if isinstance(node, And):
        kept = tuple(c for c in node.children if not (isinstance(c, Filter) and c.field == fieldname))
        return None if not kept else kept[0] if len(kept) == 1 else And(kept)
    return node


class Library:
    """An open index: search it, fetch paragraphs and reports from it."""

    def __init__(self, index_dir: Path | str, fast: bool = True):
        self.index_dir = Path(index_dir)
        # fast=False answers every query through Whoosh's own matchers (the reference the fast path is tested against).
        self.fast = fast
        self._lock = threading.Lock()
        self._live: Path | None = None
        self._index = None
        self._searcher = None
        self._columns: tuple[object, dict[str, Column]] | None = None
        self._fastpath: tuple[object, FastPath] | None = None
        self._texts: tuple[object, Texts] | None = None
        self._stored: StoredFields | None = None
        # (searcher, reuse store or None, template document numbers or None), renewed with the searcher.
        self._reuse: tuple[object, reuse.ReuseStore | None, frozenset[int] | None] | None = None
        self._reuse_lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        # A str, not a Path: read on every query, and joining a Path costs more than the readlink.
        self._link_path = os.path.join(self.index_dir, CURRENT)
        self._link = _current_link(self._link_path)
        self._live = resolve_index_dir(self.index_dir)
        self._index = open_index(self.index_dir)
        self._searcher = self._index.searcher()
        self._columns = None
        self._fastpath = None
        self._texts = None

    def searcher(self):
        """The current searcher, reopened if the index changed on disk."""
        with self._lock:
            # Every index job writes a new generation and swaps the link to it (see
            # searchlib.indexing), so an unchanged link is an unchanged index: one readlink, where
            # resolving the path took ~0.1 ms and Whoosh's up_to_date() lists the folder (0.24 ms
            # at 1M). A plain Whoosh folder (no link) is asked the slow way.
            link = _current_link(self._link_path)
            if link is not None and link == self._link:
                return self._searcher
            live = resolve_index_dir(self.index_dir)
            # Reopen rather than Searcher.refresh(): Whoosh 3.54's refresh keeps old
            # deletions and can bring back segments that a merge removed.
            if live != self._live or (link is None and not self._searcher.up_to_date()):
                old, old_texts = self._searcher, self._texts
                self._open()
                old.close()
                if old_texts is not None:
                    old_texts[1].close()
            return self._searcher

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        if self._texts is not None:
            self._texts[1].close()
            self._texts = None
        if self._stored is not None:
            self._stored.close()
            self._stored = None

    # --- text reuse ---------------------------------------------------------

    def reuse_store(self) -> reuse.ReuseStore | None:
        """The text reuse store of the live index; None when the reuse pass has not run on it (or is stale)."""
        return self._reuse_for(self.searcher())[1]

    def boilerplate_docnums(self, searcher) -> frozenset[int] | None:
        """Document numbers of template paragraphs (see BOILERPLATE_MIN_OTHER_REPORTS); None without reuse data."""
        return self._reuse_for(searcher)[2]

    def _reuse_for(self, searcher) -> tuple[object, reuse.ReuseStore | None, frozenset[int] | None]:
        with self._reuse_lock:
            cached = self._reuse
            if cached is None or cached[0] is not searcher:
                # The old store is not closed here: another thread may still be reading it.
                store = reuse.open_store(self.index_dir)
                template = None if store is None else frozenset(
                    reuse.boilerplate_docnums(store, searcher, BOILERPLATE_MIN_OTHER_REPORTS))
                cached = self._reuse = (searcher, store, template)
            return cached

    def _template_docnums(self, searcher, mode: str | None) -> frozenset[int] | None:
        """The template set a boilerplate filter needs; QueryError when it cannot be had."""
        if mode in (None, ""):
            return None
        if mode not in BOILERPLATE_MODES:
            raise QueryError(f"unknown boilerplate filter {mode!r}; use one of {', '.join(BOILERPLATE_MODES)}")
        template = self.boilerplate_docnums(searcher)
        if template is None:
            raise QueryError("the boilerplate filter needs the text reuse pass, which has not been run on this "
                             "index (run `searchlib reuse --build`)")
        return template

    # --- facets -------------------------------------------------------------

    def columns(self, searcher) -> dict[str, Column]:
        """Per document number, the value of each facet field and of doc_id (built once per index version)."""
        with self._lock:
            cached = self._columns
            if cached is not None and cached[0] is searcher:
                return cached[1]
        # The indexer's per-segment code arrays (searchlib.facetstore): no posting list is walked in Python.
        stored = load_facets(searcher, FACETS + ("doc_id",))
        columns = {name: Column(stored.values[name], stored.codes[name]) for name in stored.codes}
        with self._lock:
            self._columns = (searcher, columns)
        return columns

    def fast_path(self, searcher) -> FastPath | None:
        """The NumPy query evaluator of this searcher (its posting cache lives as long as the searcher)."""
        if not self.fast:
            return None
        with self._lock:
            cached = self._fastpath
            if cached is not None and cached[0] is searcher:
                return cached[1]
        years = self.columns(searcher)["report_year"]
        year_values = np.array([np.nan if v is None else float(v) for v in years.values])
        fast = FastPath(searcher, year_values[years.codes], self.texts(searcher))
        with self._lock:
            self._fastpath = (searcher, fast)
        return fast

    def facet_counts(self, searcher, matcher: Matcher, tree: Node | None, docnums: np.ndarray,
                     boilerplate: str | None = None,
                     template: frozenset[int] | None = None) -> dict[str, list[tuple[str, int]]]:
        columns = self.columns(searcher)
        filtered = {FILTER_TO_FIELD[f.field] for f in filters_in(tree)}
        facets: dict[str, list[tuple[str, int]]] = {}
        for name in FACETS:
            parent = NESTED_FACETS.get(name)
            if parent is not None and parent not in filtered:
                facets[name] = []
                continue
            counted = docnums
            if name in filtered:
                field_name = next(k for k, v in FILTER_TO_FIELD.items() if v == name)
                counted = _restricted_array(matcher.docarray(without_filters_on(tree, field_name)),
                                            boilerplate, template)
            facets[name] = _ordered_facet(name, columns[name].counts(counted))
        return facets

    # --- search -------------------------------------------------------------

    def search(self, request: SearchRequest) -> Results:
        started = time.perf_counter()
        limit, offset = _checked_page(request)
        parsed, tree = self._read_request(request)
        searcher = self.searcher()
        compiler = Compiler(searcher)
        matcher = self._matcher(searcher, compiler)
        template = self._template_docnums(searcher, request.boilerplate)
        unfiltered = matcher.docarray(tree)
        docnums = _restricted_array(unfiltered, request.boilerplate, template)
        clock = [started, time.perf_counter()]
        columns = self.columns(searcher)
        facets = self.facet_counts(searcher, matcher, tree, docnums, request.boilerplate, template)
        facets.update(self._boilerplate_facet(searcher, unfiltered))
        total_reports = columns["doc_id"].distinct(docnums)
        clock.append(time.perf_counter())

        ranking_query = compiler.compile(tree)
        # Whoosh's own query matches more than the tree when a 同句 clause is in it,
        # and knows nothing of boilerplate.
        allowed = docnums if has_sentence_clause(tree) or request.boilerplate else None
        terms = positive_terms(tree)
        groups = None
        if request.group:
            groups = self._groups(searcher, ranking_query, request.sort, allowed, columns, docnums,
                                  offset, limit, terms)
            hits = [g.best for g in groups]
            clock.append(time.perf_counter())
        else:
            # An empty set given to Whoosh as a filter means "no filter": nothing matches, so rank nothing.
            ranked = self._rank(searcher, ranking_query, request.sort, allowed, offset + limit, matcher) \
                if limit and len(docnums) else []
            clock.append(time.perf_counter())
            hits = [self._hit(searcher, docnum, score, terms) for docnum, score in ranked[offset:offset + limit]]
        clock.append(time.perf_counter())
        took = (clock[-1] - started) * 1000
        stages = {name: round((b - a) * 1000, 3) for name, a, b in zip(STAGES, clock, clock[1:])}
        return Results(query=request.q or "", understood=understood(tree), total=len(docnums),
                       took_ms=round(took, 2), hits=hits, facets=facets, offset=offset, limit=limit,
                       sort=request.sort, filters=request.filters(), problems=parsed.problems,
                       total_reports=total_reports, groups=groups, boilerplate=request.boilerplate or None,
                       stages_ms=stages)

    def matching(self, request: SearchRequest) -> "Matching":
        """Every paragraph the request matches, unranked: the same reading as :meth:`search`.

        For tools that look at all matches rather than the best ten
        (concordance, distribution): no scoring, no snippets, no paging.
        """
        _, tree = self._read_request(request)
        searcher = self.searcher()
        template = self._template_docnums(searcher, request.boilerplate)
        found = self._matcher(searcher, Compiler(searcher)).docarray(tree)
        return Matching(searcher, tree, _restricted_array(found, request.boilerplate, template).tolist())

    def _boilerplate_facet(self, searcher, unfiltered: np.ndarray) -> dict[str, list[tuple[str, int]]]:
        """How many matches (without the boilerplate filter) are template paragraphs; {} without reuse data."""
        template = self.boilerplate_docnums(searcher)
        if template is None:
            return {}
        shared = int(np.count_nonzero(_in_template(unfiltered, template)))
        return {"boilerplate": [("only", shared), ("hide", len(unfiltered) - shared)]}

    def _read_request(self, request: SearchRequest) -> tuple[ParsedQuery, Node | None]:
        parsed = parse(request.q or "")
        if parsed.fatal:
            raise QueryError(parsed.fatal)
        return parsed, self._with_param_filters(parsed, request)

    def texts(self, searcher) -> Texts:
        """Paragraph texts by document number, from the indexer's flat text files (one per version)."""
        with self._lock:
            cached = self._texts
            if cached is not None and cached[0] is searcher:
                return cached[1]
            texts = Texts(searcher)
            self._texts = (searcher, texts)
            return texts

    def _matcher(self, searcher, compiler: Compiler) -> Matcher:
        return Matcher(searcher, compiler, self.texts(searcher), fast=self.fast_path(searcher))

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

    def _rank(self, searcher, query: wq.Query, sort: str, allowed: np.ndarray | None,
              needed: int, matcher: Matcher | None = None) -> list[tuple[int, float]]:
        """The first ``needed`` (docnum, score) pairs in result order; ties broken by pid."""
        if sort == "relevance" and matcher is not None and matcher.fast is not None:
            try:
                scored = matcher.fast.evaluate(query, matcher.memo)
            except Unsupported:
                pass
            else:
                return _top_by_score(self.stored_fields(searcher).pid, scored.docs,
                                     scored.scores, allowed, needed)
        allowed = None if allowed is None else set(allowed.tolist())
        if sort != "relevance":
            facet = sorting.MultiFacet([sorting.FieldFacet("report_year", reverse=(sort == "newest")),
                                        sorting.ScoreFacet(), sorting.FieldFacet("pid")])
            results = searcher.search(query, limit=needed, sortedby=facet, filter=allowed)
            return [(hit.docnum, _relevance_in(hit.score)) for hit in results]
        # Whoosh breaks ties by document number, which depends on build order.
        # Fetch until the last tie at the cut is complete, then order ties by pid.
        fetch = needed + 10
        while True:
            results = searcher.search(query, limit=fetch, filter=allowed)
            scored = [(hit.docnum, round(hit.score or 0.0, SCORE_DECIMALS)) for hit in results]
            complete = len(scored) < fetch or scored[-1][1] < scored[needed - 1][1]
            if complete:
                break
            fetch *= 2
        scored.sort(key=lambda pair: (-pair[1], searcher.stored_fields(pair[0])["pid"]))
        return scored[:needed]

    def _groups(self, searcher, query: wq.Query, sort: str, allowed: np.ndarray | None,
                columns: dict[str, Column], docnums: np.ndarray, offset: int, limit: int,
                terms) -> list[ReportGroup]:
        """Reports in the order of their best paragraph, ties by doc_id.

        Within a report, equal scores go to the earlier paragraph (Whoosh
        numbers a report's paragraphs in reading order).
        """
        if not len(docnums) or not limit:
            return []
        doc_ids, years = columns["doc_id"], columns["report_year"]
        ranked = self._rank_all(searcher, query, sort, allowed)
        best: dict[int, tuple[int, float]] = {}
        for docnum, score in ranked:
            best.setdefault(int(doc_ids.codes[docnum]), (docnum, score))

        def group_order(item):
            code, (docnum, score) = item
            year = years.values[years.codes[docnum]]
            return _order_key(sort, year, score), str(doc_ids.values[code])

        order = sorted(best.items(), key=group_order)
        matches = np.bincount(doc_ids.codes[docnums], minlength=len(doc_ids.values))
        groups = []
        for code, (docnum, score) in order[offset:offset + limit]:
            hit = self._hit(searcher, docnum, score, terms)
            groups.append(ReportGroup(doc_id=hit.doc_id, title=hit.title, report_year=hit.report_year,
                                      province=hit.province, city=hit.city, county=hit.county,
                                      township=hit.township, level=hit.level, body=hit.body,
                                      matches=int(matches[code]), best=hit))
        return groups

    def _rank_all(self, searcher, query: wq.Query, sort: str,
                  allowed: np.ndarray | None) -> list[tuple[int, float]]:
        allowed = None if allowed is None else set(allowed.tolist())
        if sort == "relevance":
            results = searcher.search(query, limit=None, filter=allowed)
        else:
            facet = sorting.MultiFacet([sorting.FieldFacet("report_year", reverse=(sort == "newest")),
                                        sorting.ScoreFacet()])
            results = searcher.search(query, limit=None, sortedby=facet, filter=allowed)
        return [(hit.docnum, round(_relevance_in(hit.score), SCORE_DECIMALS)) for hit in results]

    def stored_fields(self, searcher) -> StoredFields:
        """The searcher's stored fields (see :class:`StoredFields`)."""
        store = self._stored
        if store is None or store.searcher is not searcher:
            texts = self.texts(searcher)
            with self._lock:
                store = self._stored
                if store is None or store.searcher is not searcher:
                    store = self._stored = StoredFields(searcher, texts)
        return store

    def _hit(self, searcher, docnum: int, score: float, terms: list[Words | Exact]) -> Hit:
        store = self.stored_fields(searcher)
        stored = store[docnum]
        text = stored.get("text", "")
        # Normalized once for both, and not at all when the text came normalized from the text file.
        norm = text if store.normalized(docnum) else normalize(text)
        packed = store.packed_word_ends(docnum)
        ends = word_ends(norm, packed) if packed is not None else None
        spans = match_spans(text, terms, norm, ends) if terms else []
        return Hit(
            pid=stored["pid"], doc_id=stored["doc_id"], title=stored.get("title"),
            province=stored.get("province"), city=stored.get("city"), county=stored.get("county"),
            township=stored.get("township"), level=stored.get("level"), body=stored.get("body"),
            report_year=stored.get("report_year"), publish_date=stored.get("publish_date"),
            section_kind=stored.get("section_kind"), section_heading=stored.get("heading"),
            position=stored.get("position", 0), text=text, snippet=snippet(text, spans, norm),
            url=f"/p/{stored['pid']}", score=round(float(score), 4),
            genre=stored.get("genre"), source_url=stored.get("url"), fetched_at=stored.get("fetched_at"),
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
        doc_ids = self.columns(searcher)["doc_id"]
        live = _as_array(searcher.docs_for_query(wq.Every()))
        reports = doc_ids.distinct(live)
        return {"paragraphs": searcher.doc_count(), "reports": reports}


class StoredFields:
    """A searcher's stored fields by document number, kept for its last few thousand documents.

    Read from each segment's field files (:mod:`searchlib.fieldstore`, ~3 µs a document), or
    straight from Whoosh's store in a segment without them: Whoosh's own path also finds the
    segment, then copies every field through a schema check (~22 µs in all, at 100k paragraphs).
    Kept because the hits shown are often the ones whose pids broke a tie a moment before.
    """

    def __init__(self, searcher, texts: Texts) -> None:
        self.searcher = searcher
        self._texts = texts
        leaves = searcher.reader().leaf_readers()
        self._starts = [start for _, start in leaves]
        self._fields = [SegmentFields.open(storage_folder(reader.storage()), reader.segment())
                        for reader, _ in leaves]
        self._stores = [getattr(reader, "_perdoc", None) for reader, _ in leaves]
        self._kept: dict[int, tuple[dict, bool, bytes | None]] = {}

    def __getitem__(self, docnum: int) -> dict:
        fields, normalized, _ = self._get(docnum)
        # The text is read only for the documents shown, not for every pid a tie-break reads.
        return {**fields, "text": self._texts.get(docnum)} if normalized else fields

    def pid(self, docnum: int) -> str:
        return self._get(docnum)[0]["pid"]

    def normalized(self, docnum: int) -> bool:
        """Whether the document's text is already in normalized form (normalizing it changes nothing)."""
        return self._get(docnum)[1]

    def packed_word_ends(self, docnum: int) -> bytes | None:
        """The segmenter's word ends in the normalized text, as the indexer packed them
        (:func:`searchlib.analysis.packed_word_ends`); None when the index has none."""
        return self._get(docnum)[2]

    def _get(self, docnum: int) -> tuple[dict, bool, bytes | None]:
        found = self._kept.get(docnum)
        if found is None:
            if len(self._kept) >= CACHE_STORED_DOCUMENTS:
                self._kept.clear()
            found = self._kept[docnum] = self._read(docnum)
        return found

    def _read(self, docnum: int) -> tuple[dict, bool, bytes | None]:
        segment = bisect_right(self._starts, docnum) - 1
        if segment < 0:
            return self.searcher.stored_fields(docnum), False, None
        local = docnum - self._starts[segment]
        fields = self._fields[segment]
        if fields is not None:
            return fields.get(local)
        store = self._stores[segment]
        if store is None:
            return self.searcher.stored_fields(docnum), False, None
        return store.stored_fields(local) or {}, False, None

    def close(self) -> None:
        for fields in self._fields:
            if fields is not None:
                fields.close()


def _checked_page(request: SearchRequest) -> tuple[int, int]:
    try:
        limit, offset = int(request.limit), int(request.offset)
    except (TypeError, ValueError):
        raise QueryError("limit and offset must be whole numbers") from None
    if offset < 0 or limit < 0:
        raise QueryError("limit and offset must not be negative")
    if offset > MAX_OFFSET:
        raise QueryError(f"offset {offset} is too deep (the limit is {MAX_OFFSET}); narrow the query instead")
    if request.sort not in SORTS:
        raise QueryError(f"unknown sort {request.sort!r}; use one of {', '.join(SORTS)}")
    return min(limit, MAX_LIMIT), offset


def _restricted_array(docnums: np.ndarray, mode: str | None, template: frozenset[int] | None) -> np.ndarray:
    """The matches with template paragraphs left out ("hide") or alone ("only")."""
    if not mode:
        return docnums
    shared = _in_template(docnums, template)
    return docnums[~shared] if mode == "hide" else docnums[shared]


def _in_template(docnums: np.ndarray, template: frozenset[int]) -> np.ndarray:
    """Which of ``docnums`` are template paragraphs."""
    mask = _template_mask(template)
    inside = docnums < len(mask)
    inside[inside] = mask[docnums[inside]]
    return inside


@functools.lru_cache(maxsize=2)
def _template_mask(template: frozenset[int]) -> np.ndarray:
    """The template set as a boolean array by document number, built once per index version:
    ``np.isin`` against the set sorted it again on every query (~3 ms at 100k paragraphs)."""
    mask = np.zeros(max(template, default=-1) + 1, dtype=bool)
    mask[np.fromiter(template, dtype=np.int64, count=len(template))] = True
    mask.flags.writeable = False
    return mask


def _current_link(link_path: str) -> str | None:
    """Where the index's ``current`` link (at ``link_path``) points; None without one."""
    try:
        return os.readlink(link_path)
    except OSError:
        return None


def _top_by_score(pid_of: Callable[[int], str], docs: np.ndarray, scores: np.ndarray,
                  allowed: np.ndarray | None, needed: int) -> list[tuple[int, float]]:
    """The ``needed`` best (docnum, score) pairs, scores rounded to SCORE_DECIMALS, ties by pid.

    Only the documents that can be in the first ``needed`` once rounded are
    looked at in Python (and only their pids read).
    """
    if allowed is not None:
        keep = np.isin(docs, allowed, assume_unique=True)
        docs, scores = docs[keep], scores[keep]
    if not len(docs) or needed <= 0:
        return []
    if len(docs) > needed:
        kth = np.partition(scores, len(scores) - needed)[len(scores) - needed]
        # Anything within a rounding step of the cut may round to a tie with it.
        close = scores >= kth - 2 * 10.0 ** -SCORE_DECIMALS
        docs, scores = docs[close], scores[close]
    rounded = [(int(d), round(float(s), SCORE_DECIMALS)) for d, s in zip(docs, scores)]
    rounded.sort(key=lambda pair: -pair[1])
    cut = rounded[min(needed, len(rounded)) - 1][1]
    contenders = [pair for pair in rounded if pair[1] >= cut]
    # Only tied scores need their pids (a stored-fields read each, ~40 µs).
    seen: set[float] = set()
    tied = {score for _, score in contenders if score in seen or seen.add(score)}
    pids = {docnum: pid_of(docnum) for docnum, score in contenders if score in tied}
    contenders.sort(key=lambda pair: (-pair[1], pids.get(pair[0], "")))
    return contenders[:needed]


def _as_array(docnums) -> np.ndarray:
    return np.fromiter(sorted(docnums), dtype=np.int64)


def _relevance_in(key) -> float:
    """The relevance score of a hit; a sorted search reports its sort key (year, -score, ...) instead."""
    if isinstance(key, tuple):
        return -float(key[1])
    return float(key or 0.0)


def _order_key(sort: str, year: int | None, score: float) -> tuple:
    """The result order of a paragraph as a sortable key (a missing year comes last)."""
    if sort == "relevance":
        return (-score,)
    if year is None:
        return (1, 0, -score)
    return (0, -year if sort == "newest" else year, -score)


def _ordered_facet(name: str, counts: list[tuple[object, int]]) -> list[tuple[str, int]]:
    if name == "report_year":
        ordered = sorted(counts, key=lambda kv: (kv[0] is None, -(kv[0] or 0)))
    else:
        ordered = sorted(counts, key=lambda kv: (kv[0] is None, -kv[1], str(kv[0])))
    return [("unknown" if v is None else v, n) for v, n in ordered]


def search(index_dir: Path | str, q: str, **params) -> Results:
    """One-off search (opens the index, searches, closes)."""
    library = Library(index_dir)
    try:
        return library.search(SearchRequest(q=q, **params))
    finally:
        library.close()


__all__ = ["Library", "SearchRequest", "Results", "Hit", "ReportGroup", "QueryError", "search", "MAX_QUERY_CHARS"]
