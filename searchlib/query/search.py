"""Query -> results: ranked hits with snippets, exact facet counts, pagination.

The layer the CLI, the JSON API and the web UI all call. A :class:`Library` holds one open index and notices
when it has changed.

Ranking
    ``relevance`` is BM25F over the paragraph text, lifted by query words in the report title and section
    heading; ``newest``/``oldest`` order by report year and ``published`` by publication date (latest first), a
    report without one last, then by relevance. A paragraph has one score for a query whatever the sort or
    grouping (:meth:`searchlib.query.engine.Matcher.scores_for`), compared at six decimals
    (:func:`searchlib.query.postings.rounded`). Equal keys are broken by the paragraph id, which depends only on
    the text, so the order is the same on every rebuild.

Facets
    Counts are exact over the whole result set, never the current page. The ``city`` facet is given once a
    province is chosen and ``county`` once a city is chosen (a list of every county in China helps nobody).
    Facets are *disjunctive*: for a field the researcher filtered on (``province:四川`` or ``--province 四川``),
    the counts are those of the query without that one filter, so the other values show how many hits choosing
    them instead would give (as Datasette and shops do); the chosen value's count is then exactly ``total``.
    Fields not filtered on are counted over the result set itself.

Boilerplate
    ``boilerplate="hide"`` leaves out paragraphs whose text (or a text at least 80% like it, see
    :mod:`searchlib.research.reuse`) appears in ``BOILERPLATE_MIN_OTHER_REPORTS`` or more *other* reports: the
    template passages (学习贯彻习近平法治思想…) that every report copies. ``boilerplate="only"`` keeps just those.
    The same set is taken out of (or kept in) the matches, the facet counts and the ranking, so totals, facets
    and hits agree. The filter needs the reuse pass of the live index (``searchlib reuse --build``); without it
    the request fails with a QueryError that says so. The ``boilerplate`` facet counts the matches without this
    filter: ``only`` (template paragraphs) and ``hide`` (the rest), and is present only when the reuse pass is.

Grouping
    With ``group=True`` the results are reports: each with its best paragraph and the number of its paragraphs
    that match; ``offset``/``limit`` page through reports, ``hits`` holds the best paragraphs of the page in
    order. In the default ``mode="fuzzy"`` the reports come in tiers (see :mod:`searchlib.query.tiers`): those
    with a paragraph holding every concept, then those holding every concept somewhere (or through its parts or
    a thesaurus entry), then those holding some; each with its best paragraphs. ``mode="strict"`` gives the
    first tier alone, ordered by best paragraph. Paragraph results, facets and totals are always strict.
"""
from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from searchlib.research import reuse
from searchlib.analysis import dictionary_digest, normalize, word_ends
from searchlib.query.engine import Column, Compiler, Matcher
from searchlib.index.facetstore import load_facets, storage_folder
from searchlib.fields import COLUMN_FILTERS, FACETS, FILTER_TO_FIELD, NESTED_FACETS, PLACE_FIELDS, QUERY_FILTERS
from searchlib.index.storage import index_dictionary, segment_leaves
from searchlib.index.fieldstore import SegmentFields
from searchlib.index.textstore import Texts
from searchlib.query.concepts import Plan, as_chinese, plan, unknown_english
from searchlib.query.tiers import TierRanker, expansion_terms
from searchlib.query.highlight import match_spans, render, snippet
from searchlib.index.indexing import CURRENT, open_index, resolve_index_dir
from searchlib.query.postings import SCORE_DECIMALS, Evaluator, rounded
from searchlib.query.parse import (MAX_QUERY_CHARS, And, Exact, Filter, Node, Not, Or, ParsedQuery, QueryError, SameReport,
                             SameSentence, Words, canonical_filter_value, filters_in, joined, parse,
                             positive_terms)
from searchlib.query.rules import Near, plan_run

SORTS = ("relevance", "newest", "oldest", "published")   # published: latest publication date first
# "fuzzy": reports in tiers (the default for people); "strict": every concept in one paragraph, as typed.
MODES = ("fuzzy", "strict")
# Paragraphs shown under each report of grouped results: two keep a page of 20 reports at ~40 snippets
# (three made the default page 2-3x the cost of a paragraph page under 8 clients, bench/load.py).
BEST_PARAGRAPHS_PER_REPORT = 2
# The parts of a search timed in Results.stages_ms, in order (grouped results: "hits" is in "rank").
STAGES = ("match", "facets", "rank", "hits")
MAX_LIMIT = 1000
MAX_OFFSET = 10_000
# Stored-field dicts kept per searcher (a paragraph's text and its metadata, ~2 KB each).
CACHE_STORED_DOCUMENTS = 4096
# A paragraph is boilerplate when at least this many *other* reports hold its text
# (so five reports in all): a phrase two neighbouring districts share is not a template.
BOILERPLATE_MIN_OTHER_REPORTS = 4
BOILERPLATE_MODES = ("hide", "only")


NOTHING_TO_SEARCH = "the query holds nothing to search for (only operators, brackets or empty quotes)"


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
    publisher: str | None = None    # the publishing body as the report names it (traditional or simplified alike)
    published: str | None = None    # publication year, or a range: 2021, 2020-2022
    sort: str = "relevance"
    limit: int = 10
    offset: int = 0
    group: bool = False  # one entry per report (see ReportGroup)
    mode: str = "fuzzy"  # with group: "fuzzy" reports in tiers, "strict" the first tier (see MODES)
    boilerplate: str | None = None  # "hide" | "only" template paragraphs (see the module docstring)
    # False: hits without highlighted snippets (an export has no use for them: half its time at 20k).
    snippets: bool = True

    def filters(self) -> dict[str, str]:
        return {k: v for k in QUERY_FILTERS + tuple(COLUMN_FILTERS) if (v := getattr(self, k))}

    def column_filters(self) -> dict[str, str]:
        return {k: v for k in COLUMN_FILTERS if (v := getattr(self, k))}


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
    matches: int                 # its paragraphs that match strictly (every concept, as typed)
    best: Hit
    tier: int = 1                # 1 同段含全部, 2 同篇含全部, 3 部分匹配, 4 仅含常见词 (see searchlib.query.tiers)
    concepts: int = 0            # how many of the query's concepts it holds (fuzzy mode)
    paragraphs: list[Hit] = field(default_factory=list)   # its best paragraphs, best first

    @staticmethod
    def of(best: Hit, matches: int, **ranking) -> "ReportGroup":
        """The group of ``best``'s report: the fields it shares with a hit are the report's, so the hit's."""
        hit_fields = {f.name for f in fields(Hit)}
        report = {f.name: getattr(best, f.name) for f in fields(ReportGroup) if f.name in hit_fields}
        return ReportGroup(**report, matches=matches, best=best, **ranking)


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
    mode: str = "strict"
    tiers: dict[int, int] | None = None      # grouped fuzzy results: reports per tier
    concepts: list[dict] = field(default_factory=list)   # how each concept was looked for (fuzzy)

    @property
    def total_groups(self) -> int:
        """Reports a grouped result pages through."""
        return sum(self.tiers.values()) if self.tiers is not None else self.total_reports

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
                                             "filters", "boilerplate", "problems", "total_reports", "mode",
                                             "tiers", "concepts")}
        shaped["hits"] = [_public_hit(h) for h in data["hits"]]
        shaped["facets"] = data["facets"]
        if data["groups"] is not None:
            shaped["groups"] = [{**{k: v for k, v in g.items() if k not in ("best", "paragraphs")},
                                 "best": _public_hit(g["best"]), "paragraphs": [_public_hit(h) for h in g["paragraphs"]]}
                                for g in data["groups"]]
        shaped["reuse_available"] = reuse_store is not None
        if reuse_store is not None:
            shown = shaped["hits"] + [h for g in shaped.get("groups", []) for h in g["paragraphs"]]
            for hit in shown:
                hit["reuse"] = reuse.paragraph_summary(reuse_store, hit["pid"], reuse_limit)
        return shaped


@dataclass
class Matching:
    """The paragraphs a request matches, and what is needed to read them."""
    searcher: object
    tree: Node | None
    docnums: list[int]
    stored: "StoredFields"   # the generation's stored fields and texts (see Library.stored_fields)


# A hit in the public JSON: every field but its position in the report.
HIT_JSON_KEYS = tuple(f.name for f in fields(Hit) if f.name != "position")


def _public_hit(hit: dict) -> dict:
    return {k: hit[k] for k in HIT_JSON_KEYS}


def understood(node: Node | None) -> str:
    """How the query was read: normalized and segmented, operators spelled out."""
    if node is None:
        return ""
    if isinstance(node, Words):
        run = plan_run(node)
        return ("+" if node.required else "") + (" ".join(run.word_texts) or run.normalized)
    if isinstance(node, Exact):
        return f'"{plan_run(node).normalized}"'
    if isinstance(node, Filter):
        return f"{node.field}:{node.value}"
    if isinstance(node, Not):
        return "NOT " + _grouped(node.child)
    if type(node) in _JOINED_BY:
        return _JOINED_BY[type(node)].join(_grouped(c) for c in node.children)
    raise TypeError(f"unknown query node {node!r}")


_JOINED_BY = {And: " AND ", Or: " OR ", SameSentence: " /s ", SameReport: " /d "}


def understood_plan(the_plan: Plan) -> str:
    """How a query was read as concepts (the tiered answer): each concept as :func:`understood` spells its words,
    AND between them, then the filters and NOT clauses. An English phrase is one concept and its function words
    are none (online law courses AND officials for "online law courses for officials"). Empty for a 同篇 clause,
    which the tree spells better."""
    if the_plan.same_report:
        return ""
    spelled = []
    for concept in the_plan.concepts:
        if isinstance(concept.node, (Words, Exact)):
            spelled.append(understood(concept.node))
        else:
            spelled.append(concept.typed if isinstance(concept.node, And) else _grouped(concept.node))
    return " AND ".join([*spelled, *(_grouped(r) for r in the_plan.restrictions)])


def _grouped(node: Node) -> str:
    text = understood(node)
    return f"({text})" if type(node) in _JOINED_BY else text


def without_filters_on(node: Node | None, fieldname: str) -> Node | None:
    """The tree with its top-level filters on ``fieldname`` taken out."""
    if isinstance(node, Filter) and node.field == fieldname:
        return None
    if isinstance(node, And):
        return joined(And, [c for c in node.children if not (isinstance(c, Filter) and c.field == fieldname)])
    return node


class _Generation:
    """One opened index generation, and how many requests hold it.

    A swap retires the generation it replaces; a retired generation is closed when the last request holding it
    lets go (at once when none does), so a request never finds its reader closed under it.
    """

    def __init__(self, index, link: str | None, live: Path):
        self.index = index
        self.searcher = index.searcher()
        self.link = link
        self.live = live
        built_with = index_dictionary(live)
        # Cut with another vocabulary than the queries are: new words are found only as characters.
        self.dictionary_changed = built_with is not None and built_with != dictionary_digest()
        self.holders = 0
        self.retired = False
        self.closed = False
        self.kept: dict[str, object] = {}  # what the library built on this searcher (facet columns, texts …)
        self._resources: list = []  # what of it has files open: closed with the searcher
        # The segments' own files are opened now, with the searcher: the next index job deletes this
        # generation's folder, and a request holding it across that swap keeps only what is open.
        try:
            self.adopt(texts := Texts(self.searcher))
            self.adopt(stored := StoredFields(self.searcher, texts))
            self.adopt(shared := _open_reuse(live, self.searcher))
            self.kept.update(texts=texts, stored_fields=stored, columns=_facet_columns(self.searcher), reuse=shared)
        except BaseException:  # (IndexDamaged: a segment lacks its files)
            self.close()
            raise

    def adopt(self, resource) -> None:
        self._resources.append(resource)

    def close(self) -> None:
        self.closed = True
        self.searcher.close()
        for resource in self._resources:
            resource.close()
        self._resources.clear()
        self.kept.clear()


def _open_reuse(live: Path, searcher) -> "_Reuse":
    store = reuse.open_store(live)
    if store is None:
        return _Reuse(None, None)
    template = reuse.boilerplate_docnums(store, searcher, BOILERPLATE_MIN_OTHER_REPORTS)
    mask = np.zeros(searcher.doc_count_all(), dtype=bool)
    mask[np.fromiter(template, dtype=np.int64, count=len(template))] = True
    mask.flags.writeable = False
    return _Reuse(store, mask)


def _in_one_generation(method):
    """The Library method, reading one generation of the index from start to end (see Library.pinned)."""
    @functools.wraps(method)
    def in_one_generation(self, *args, **kwargs):
        with self.pinned():
            return method(self, *args, **kwargs)
    return in_one_generation


@dataclass(frozen=True)
class _Reuse:
    """A generation's text reuse store (None before the pass) and its template paragraphs, as a boolean mask by
    document number (``np.isin`` against the set sorted it again on every query: ~3 ms at 100k paragraphs)."""
    store: "reuse.ReuseStore | None"
    template: np.ndarray | None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


class Library:
    """An open index: search it, fetch paragraphs and reports from it.

    Safe to share between threads. Each public call reads one generation of the index from start to end;
    :meth:`pinned` holds one generation across several calls (the web app holds one per HTTP request), and an
    index job's swap closes the old generation only once nothing holds it.
    """

    def __init__(self, index_dir: Path | str):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._generation: _Generation | None = None
        self._generations: list[_Generation] = []  # the current one and retired ones still held
        self._pins = threading.local()
        # One thread at a time opens the reuse store of a searcher no open generation holds (see _reuse_for).
        self._reuse_lock = threading.Lock()
        # A str, not a Path: read on every query, and joining a Path costs more than the readlink.
        self._link_path = os.path.join(self.index_dir, CURRENT)
        self._open()

    def _open(self) -> None:
        link = _current_link(self._link_path)
        live = resolve_index_dir(self.index_dir)
        self._generation = _Generation(open_index(live), link, live)
        self._generations.append(self._generation)

    def dictionary_changed(self) -> bool:
        """Whether the segmenter's vocabulary changed since the live index was built (see
        searchlib.index.storage.DICTIONARY_CHANGED): the index should be rebuilt."""
        pinned = getattr(self._pins, "generation", None)
        return (pinned or self._latest(hold=False)).dictionary_changed

    def searcher(self):
        """The searcher of the generation this thread has pinned, else of the live index (reopened if
        an index job swapped in a new generation). Unpinned, it may be closed by a later swap: hold it
        only within :meth:`pinned` when other threads use the library."""
        pinned = getattr(self._pins, "generation", None)
        if pinned is not None:
            return pinned.searcher
        return self._latest(hold=False).searcher

    @contextlib.contextmanager
    def pinned(self):
        """Hold one generation of the index for this thread until the block ends (nested blocks share it):
        every call inside reads that generation, and no swap closes it meanwhile."""
        pins = self._pins
        if getattr(pins, "generation", None) is not None:
            yield pins.generation.searcher
            return
        generation = self._latest(hold=True)
        pins.generation = generation
        try:
            yield generation.searcher
        finally:
            pins.generation = None
            self._let_go(generation)

    def _latest(self, hold: bool) -> _Generation:
        retired = None
        with self._lock:
            # Every index job writes a new generation and swaps the link to it (see searchlib.index.indexing), so an
            # unchanged link is an unchanged index: one readlink, where resolving the path took ~0.1 ms and Whoosh's
            # up_to_date() lists the folder (0.24 ms at 1M). A plain Whoosh folder (no link) is asked the slow way.
            current = self._generation
            link = _current_link(self._link_path)
            if link is None or link != current.link:
                live = resolve_index_dir(self.index_dir)
                # Reopen, not Searcher.refresh(): in Whoosh 3.54 it keeps old deletions (see searchlib.index.indexing).
                if live != current.live or (link is None and not current.searcher.up_to_date()):
                    self._open()
                    current.retired = True
                    retired = self._closable(current)
                else:
                    current.link = link  # swapped while it was being opened: it is the same generation
            generation = self._generation
            if hold:
                generation.holders += 1
        if retired is not None:
            retired.close()
        return generation

    def _let_go(self, generation: _Generation) -> None:
        with self._lock:
            generation.holders -= 1
            closable = self._closable(generation)
        if closable is not None:
            closable.close()

    def _closable(self, generation: _Generation) -> _Generation | None:
        """The generation, taken off the open list, when it is retired and nothing holds it (lock held)."""
        if not generation.retired or generation.holders or generation.closed:
            return None
        generation.closed = True
        self._generations.remove(generation)
        return generation

    def per_generation(self, searcher, name: str, make: Callable[[], object]):
        """What ``make`` builds for ``searcher``, built once per generation and closed with it (for the
        layers above, e.g. the distribution's columns)."""
        generation = self._generation
        if generation.searcher is not searcher:
            with self._lock:
                generation = next((g for g in self._generations if g.searcher is searcher), None)
            if generation is None:  # not a searcher of this library's open generations
                return make()
        found = generation.kept.get(name)
        if found is not None:
            return found
        made = make()  # outside the lock: reading the facet columns takes a while
        with self._lock:
            found = generation.kept.setdefault(name, made)
            if found is made and hasattr(made, "close"):
                generation.adopt(made)
        if found is not made and hasattr(made, "close"):
            made.close()  # another thread built it first
        return found

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            generations, self._generations = self._generations, []
        for generation in generations:
            if not generation.closed:
                generation.close()

    # --- text reuse ---------------------------------------------------------

    @_in_one_generation
    def reuse_store(self) -> reuse.ReuseStore | None:
        """The text reuse store of the live index; None when the reuse pass has not run on it (or is stale)."""
        return self._reuse_for(self.searcher()).store

    def boilerplate_docnums(self, searcher) -> np.ndarray | None:
        """Template paragraphs (BOILERPLATE_MIN_OTHER_REPORTS) as a mask by document number; None without reuse data."""
        return self._reuse_for(searcher).template

    def _reuse_for(self, searcher) -> "_Reuse":
        # A generation opens its own (see _Generation); another searcher's is built here, by one thread at a
        # time (the others wait for it rather than build it too).
        with self._reuse_lock:
            return self.per_generation(searcher, "reuse", lambda: _open_reuse(self.index_dir, searcher))

    def _template_docnums(self, searcher, mode: str | None) -> np.ndarray | None:
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
        return self.per_generation(searcher, "columns", lambda: _facet_columns(searcher))

    def evaluator(self, searcher) -> Evaluator:
        """The query evaluator of this searcher (its posting cache lives as long as the searcher)."""
        return self.per_generation(searcher, "evaluator", lambda: Evaluator(
            searcher, self._sort_values(searcher, "newest"), self.texts(searcher)))  # (the report years)

    def facet_counts(self, searcher, matcher: Matcher, tree: Node | None, docnums: np.ndarray,
                     request: SearchRequest) -> dict[str, list[tuple[str, int]]]:
        columns = self.columns(searcher)
        filtered = {FILTER_TO_FIELD[f.field] for f in filters_in(tree)}
        column_filters = request.column_filters()
        by_column = {COLUMN_FILTERS[name]: name for name in column_filters}
        facets: dict[str, list[tuple[str, int]]] = {}
        for name in FACETS:
            parent = NESTED_FACETS.get(name)
            if parent is not None and parent not in filtered:
                facets[name] = []
                continue
            counted = docnums
            if name in filtered:
                field_name = next(k for k, v in FILTER_TO_FIELD.items() if v == name)
                counted = self._matches(searcher, matcher, without_filters_on(tree, field_name), request)
            elif name in by_column:   # disjunctive, as above: the other values show what choosing them gives
                others = {k: v for k, v in column_filters.items() if k != by_column[name]}
                counted = self._matches(searcher, matcher, tree, request, others)
            facets[name] = _ordered_facet(name, columns[name].counts(counted))
        return facets

    # --- search -------------------------------------------------------------

    @_in_one_generation
    def search(self, request: SearchRequest) -> Results:
        started = time.perf_counter()
        limit, offset = _checked_page(request)
        parsed, typed = self._read_request(request)
        tree = as_chinese(typed)
        searcher = self.searcher()
        matcher = self.matcher(searcher)
        template = self._template_docnums(searcher, request.boilerplate)
        columns = self.columns(searcher)
        unfiltered = column_filtered(columns, matcher.docarray(tree), request.column_filters())
        docnums = _restricted_array(unfiltered, request.boilerplate, template)
        clock = [started, time.perf_counter()]
        facets = self.facet_counts(searcher, matcher, tree, docnums, request)
        facets.update(self._boilerplate_facet(searcher, unfiltered))
        total_reports = columns["doc_id"].distinct(docnums)
        clock.append(time.perf_counter())

        terms = positive_terms(tree) if request.snippets else []
        groups, tiers, concepts, ranked = None, None, [], []
        reading = understood(tree)
        if request.group and request.mode == "fuzzy":
            groups, tiers, concepts, the_plan = self._tiered_groups(searcher, matcher, typed, tree, docnums, request,
                                                                    offset, limit, terms)
            reading = understood_plan(the_plan) or reading
        elif request.group:
            groups = self._groups(searcher, matcher.scores_for(tree, docnums), request.sort, columns, docnums,
                                  offset, limit, terms)
        elif limit and len(docnums):
            ranked = self._rank(searcher, docnums, matcher.scores_for(tree, docnums), request.sort, offset + limit)
        clock.append(time.perf_counter())
        # (grouped results made their hits while ranking)
        hits = [g.best for g in groups] if groups is not None else \
            [self._hit(searcher, docnum, score, terms) for docnum, score in ranked[offset:offset + limit]]
        clock.append(time.perf_counter())
        took = (clock[-1] - started) * 1000
        stages = {name: round((b - a) * 1000, 3) for name, a, b in zip(STAGES, clock, clock[1:])}
        return Results(query=request.q or "", understood=reading, total=len(docnums),
                       took_ms=round(took, 2), hits=hits, facets=facets, offset=offset, limit=limit,
                       sort=request.sort, filters=request.filters(),
                       problems=parsed.problems + _unknown_places(matcher.compiler, tree)
                       + _unknown_english(typed, parsed.problems),
                       total_reports=total_reports, groups=groups, boilerplate=request.boilerplate or None,
                       stages_ms=stages, mode=request.mode, tiers=tiers, concepts=concepts)

    @_in_one_generation
    def matching(self, request: SearchRequest) -> "Matching":
        """Every paragraph the request matches, unranked, read as :meth:`search` reads it: for tools that look
        at all matches rather than the best ten (concordance, distribution)."""
        _, typed = self._read_request(request)
        tree = as_chinese(typed)
        searcher = self.searcher()
        found = self._matches(searcher, self.matcher(searcher), tree, request)
        return Matching(searcher, tree, found.tolist(), self.stored_fields(searcher))

    def _matches(self, searcher, matcher: Matcher, node: Node | None, request: SearchRequest,
                 column_filters: dict[str, str] | None = None) -> np.ndarray:
        """The documents ``node`` matches that pass the column filters (by default the request's) and the
        request's boilerplate filter."""
        template = self._template_docnums(searcher, request.boilerplate)
        found = column_filtered(self.columns(searcher), matcher.docarray(node),
                                request.column_filters() if column_filters is None else column_filters)
        return _restricted_array(found, request.boilerplate, template)

    def _boilerplate_facet(self, searcher, unfiltered: np.ndarray) -> dict[str, list[tuple[str, int]]]:
        """How many matches (without the boilerplate filter) are template paragraphs; {} without reuse data."""
        template = self.boilerplate_docnums(searcher)
        if template is None:
            return {}
        shared = int(np.count_nonzero(template[unfiltered]))
        return {"boilerplate": [("only", shared), ("hide", len(unfiltered) - shared)]}

    def _read_request(self, request: SearchRequest) -> tuple[ParsedQuery, Node | None]:
        parsed = parse(request.q or "")
        if parsed.fatal:
            raise QueryError(parsed.fatal)
        if parsed.tree is None and (request.q or "").strip():
            # ")" or '""' alone: read as no query, it listed every paragraph as matching "all the words".
            raise QueryError(NOTHING_TO_SEARCH)
        return parsed, self._with_param_filters(parsed, request)

    def texts(self, searcher) -> Texts:
        """Paragraph texts by document number, from the indexer's flat text files (one per version)."""
        return self.per_generation(searcher, "texts", lambda: Texts(searcher))

    def matcher(self, searcher) -> Matcher:
        """A matcher for one request over this searcher's generation (its memo lives as long as it does)."""
        return Matcher(Compiler(searcher), self.texts(searcher), self.evaluator(searcher),
                       report_of=self.columns(searcher)["doc_id"].codes)

    def _with_param_filters(self, parsed: ParsedQuery, request: SearchRequest) -> Node | None:
        extra: list[Node] = []
        for name, raw in request.filters().items():
            if name in COLUMN_FILTERS:
                continue   # applied to the matches by column (see column_filtered)
            value = canonical_filter_value(name, str(raw))
            if value is None:
                raise QueryError(f"cannot read {name}={raw!r} as a filter")
            extra.append(Filter(name, value))
        return joined(And, [parsed.tree, *extra])

    def _rank(self, searcher, docs: np.ndarray, scores: np.ndarray, sort: str,
              needed: int) -> list[tuple[int, float]]:
        """The first ``needed`` (docnum, score) pairs of the matches in result order; ties broken by pid."""
        if not len(docs) or needed <= 0:
            return []
        ranks, codes = self._report_ranks(searcher), self.columns(searcher)["doc_id"].codes
        if sort == "relevance":
            docs, scores = _contenders(docs, scores, needed, lambda docnums: ranks[codes[docnums]])
        keys = _sort_keys(docs, scores, self._sort_values(searcher, sort), sort)
        return _first_in_order(self.stored_fields(searcher).pid, docs, keys, ranks[codes[docs]], needed)

    def _tiered_groups(self, searcher, matcher: Matcher, typed: Node | None, tree: Node | None, docnums: np.ndarray,
                       request: SearchRequest, offset: int, limit: int,
                       terms: list[Words | Exact | Near]) -> tuple[list[ReportGroup], dict[int, int], list[dict], Plan]:
        """Reports in tiers (see searchlib.query.tiers), the page's with their best paragraphs; the plan they
        were found by. ``typed``: the query as typed (its concepts); ``tree``: as matched (see as_chinese)."""
        columns = self.columns(searcher)
        doc_ids = columns["doc_id"]
        ranker = TierRanker(matcher, doc_ids, self.report_total(searcher), self._sort_values(searcher, request.sort))
        tiered = ranker.rank(typed, docnums, self._concept_scope(searcher, matcher, tree, request),
                             request.sort, report_rank=self._report_ranks(searcher))
        page = [int(c) for c in tiered.order[offset:offset + limit]]
        best = ranker.best_paragraphs(tiered, page, docnums, BEST_PARAGRAPHS_PER_REPORT, tree)
        strict_count = np.bincount(doc_ids.codes[docnums], minlength=len(doc_ids.values))
        marked = list(dict.fromkeys([*terms, *tiered.terms()]))
        marked_common = list(dict.fromkeys([*marked, *tiered.common_terms()]))
        groups = []
        for code in page:
            marks = marked_common if tiered.tier[code] == 4 else marked
            shown = [self._hit(searcher, d, s, marks) for d, s in best.get(code, [])]
            if not shown:
                continue
            groups.append(ReportGroup.of(shown[0], int(strict_count[code]), tier=int(tiered.tier[code]),
                                         concepts=int(tiered.concepts_in[code]), paragraphs=shown))
        return groups, tiered.counts(), tiered.used(), tiered.plan

    def _concept_scope(self, searcher, matcher: Matcher, tree: Node | None,
                       request: SearchRequest) -> np.ndarray | None:
        """Where a concept may be found: the paragraphs every filter, NOT and the boilerplate choice allow,
        as a mask by document number (None: everywhere)."""
        restrictions = [c for c in (tree.children if isinstance(tree, And) else (tree,))
                        if isinstance(c, (Filter, Not))] if tree is not None else []
        if not restrictions and not request.boilerplate and not request.column_filters():
            return None
        mask = np.zeros(searcher.doc_count_all(), dtype=bool)
        mask[self._matches(searcher, matcher, joined(And, restrictions), request)] = True
        return mask

    def _sort_values(self, searcher, sort: str) -> np.ndarray | None:
        """Per document number, what a sort other than relevance orders by (see _sort_value; NaN: not known);
        None for relevance."""
        if sort == "relevance":
            return None
        name = "publish_date" if sort == "published" else "report_year"

        def build() -> np.ndarray:
            column = self.columns(searcher)[name]
            values = np.array([np.nan if v is None else float(_sort_value(v)) for v in column.values])
            return values[column.codes]
        return self.per_generation(searcher, f"sort_values_{name}", build)

    def report_total(self, searcher) -> int:
        """How many reports the index holds (live ones)."""
        return self.per_generation(searcher, "report_total", lambda: self.columns(searcher)["doc_id"].distinct(
            self.evaluator(searcher).live_docs()))

    def _groups(self, searcher, scores: np.ndarray, sort: str, columns: dict[str, Column], docnums: np.ndarray,
                offset: int, limit: int, terms) -> list[ReportGroup]:
        """Reports in the order of their best paragraph, ties by doc_id; within a report, equal scores go to the
        earlier paragraph (the indexer numbers a report's paragraphs in reading order)."""
        if not len(docnums) or not limit:
            return []
        doc_ids = columns["doc_id"]
        values = self._sort_values(searcher, sort)
        # Each report's first paragraph in result order (ties: reading order) is its best ...
        ranked = np.lexsort([docnums] + _sort_keys(docnums, scores, values, sort))
        codes, first = np.unique(doc_ids.codes[docnums[ranked]], return_index=True)
        best_docs, best_scores = docnums[ranked[first]], scores[ranked[first]]
        # ... and the reports go in the order of their best paragraphs, ties by doc_id.
        order = np.lexsort([self._report_ranks(searcher)[codes]] + _sort_keys(best_docs, best_scores, values, sort))
        matches = np.bincount(doc_ids.codes[docnums], minlength=len(doc_ids.values))
        groups = []
        for at in order[offset:offset + limit].tolist():
            code, docnum, score = int(codes[at]), int(best_docs[at]), float(rounded(best_scores[at]))
            groups.append(ReportGroup.of(self._hit(searcher, docnum, score, terms), int(matches[code])))
        return groups

    def _report_ranks(self, searcher) -> np.ndarray:
        """Per doc_id code, its place in doc_id order (a pid's order, but for the paragraph digest)."""
        return self.per_generation(searcher, "report_ranks", lambda: _value_ranks(self.columns(searcher)["doc_id"]))

    def stored_fields(self, searcher) -> StoredFields:
        return self.per_generation(searcher, "stored_fields",
                                    lambda: StoredFields(searcher, self.texts(searcher)))

    def _hit(self, searcher, docnum: int, score: float, terms: list[Words | Exact | Near]) -> Hit:
        stored, spans, norm = self.stored_fields(searcher).marked(docnum, terms)
        text = stored.get("text", "")
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

    @_in_one_generation
    def paragraph(self, pid: str) -> dict | None:
        searcher = self.searcher()
        docnum = searcher.document_number(pid=pid)
        return None if docnum is None else dict(searcher.stored_fields(docnum))

    @_in_one_generation
    def report(self, doc_id: str) -> list[dict]:
        """All paragraphs of a report, in reading order."""
        searcher = self.searcher()
        docs = [dict(searcher.stored_fields(d)) for d in searcher.document_numbers(doc_id=doc_id)]
        return sorted(docs, key=lambda d: d.get("position", 0))

    def highlighted(self, text: str, q: str, expanded: bool = False) -> str:
        """The whole paragraph with the query's matches marked (for permalink pages); ``expanded``: each concept's
        parts and thesaurus members too, as the tiered results mark them (for a report reached from them)."""
        terms = _marks(q or "", expanded)
        return render(text, match_spans(text, list(terms)) if terms else [])

    @_in_one_generation
    def strict_pids(self, q: str, doc_id: str) -> set[str]:
        """The paragraphs of one report that match ``q`` strictly (every concept in one paragraph, as typed)."""
        searcher = self.searcher()
        mine = np.asarray(sorted(searcher.document_numbers(doc_id=doc_id)), dtype=np.int64)
        if not len(mine) or not (q or "").strip():
            return set()
        _, typed = self._read_request(SearchRequest(q=q))
        found = self._matches(searcher, self.matcher(searcher), as_chinese(typed), SearchRequest(q=q))
        stored = self.stored_fields(searcher)
        return {stored.pid(int(d)) for d in mine[np.isin(mine, found)]}

    @_in_one_generation
    def stats(self) -> dict:
        searcher = self.searcher()
        return {"paragraphs": searcher.doc_count(), "reports": self.report_total(searcher)}


class StoredFields:
    """A searcher's stored fields by document number, kept for its last few thousand documents.

    Read from each segment's field files (:mod:`searchlib.index.fieldstore`, ~3 µs a document; Whoosh's own path
    finds the segment, then copies every field through a schema check: ~22 µs in all, at 100k paragraphs). Kept
    because the hits shown are often the ones whose pids broke a tie a moment before.
    """

    def __init__(self, searcher, texts: Texts) -> None:
        self.searcher = searcher
        self._texts = texts
        leaves = segment_leaves(searcher)
        self._starts = [start for _, start in leaves]
        self._fields = [SegmentFields.open(storage_folder(reader.storage()), reader.segment())
                        for reader, _ in leaves]
        self._kept: dict[int, tuple[dict, bool, bytes]] = {}

    def __getitem__(self, docnum: int) -> dict:
        fields, normalized, _ = self._get(docnum)
        # The text is read only for the documents shown, not for every pid a tie-break reads.
        return {**fields, "text": self._texts.get(docnum)} if normalized else fields

    def pid(self, docnum: int) -> str:
        return self._get(docnum)[0]["pid"]

    def normalized(self, docnum: int) -> bool:
        """Whether the document's text is already in normalized form (normalizing it changes nothing)."""
        return self._get(docnum)[1]

    def packed_word_ends(self, docnum: int) -> bytes:
        """The segmenter's word ends in the normalized text, as the indexer packed them
        (:func:`searchlib.analysis.packed_word_ends`)."""
        return self._get(docnum)[2]

    def marked(self, docnum: int, terms: list[Words | Exact | Near]) -> tuple[dict, list[tuple[int, int]], str]:
        """The document's fields, the spans of its text that ``terms`` match, and its normalized text:
        normalized once, and not at all when the text came normalized from the text file; the words
        as the indexer segmented them (their packed ends)."""
        stored = self[docnum]
        text = stored.get("text", "")
        norm = text if self.normalized(docnum) else normalize(text)
        if not terms:
            return stored, [], norm
        return stored, match_spans(text, terms, norm, word_ends(norm, self.packed_word_ends(docnum))), norm

    def _get(self, docnum: int) -> tuple[dict, bool, bytes]:
        found = self._kept.get(docnum)
        if found is None:
            if len(self._kept) >= CACHE_STORED_DOCUMENTS:
                self._kept.clear()
            found = self._kept[docnum] = self._read(docnum)
        return found

    def _read(self, docnum: int) -> tuple[dict, bool, bytes]:
        segment = bisect_right(self._starts, docnum) - 1
        return self._fields[segment].get(docnum - self._starts[segment])

    def close(self) -> None:
        for fields in self._fields:
            fields.close()


def _unknown_places(compiler: Compiler, tree: Node | None) -> list[str]:
    """A note for each place a filter names that no report is from (火星, 省:川): a 0 that says why."""
    notes = []
    for node in filters_in(tree):
        if node.field in PLACE_FIELDS:
            for value in node.value.split("|"):
                if not compiler.place_values(node.field, value):
                    notes.append(f"no report in the index is from {node.field} {value!r}")
    return notes


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
    if request.mode not in MODES:
        raise QueryError(f"unknown mode {request.mode!r}; use one of {', '.join(MODES)}")
    return min(limit, MAX_LIMIT), offset


def _restricted_array(docnums: np.ndarray, mode: str | None, template: np.ndarray | None) -> np.ndarray:
    """The matches with template paragraphs left out ("hide") or alone ("only")."""
    if not mode:
        return docnums
    shared = template[docnums]
    return docnums[~shared] if mode == "hide" else docnums[shared]


def _facet_columns(searcher) -> dict[str, Column]:
    # The indexer's per-segment code arrays (searchlib.index.facetstore): no posting list is walked in Python.
    stored = load_facets(searcher, FACETS + ("doc_id", "publish_date"))
    return {name: Column(stored.values[name], stored.codes[name]) for name in stored.codes}


def _current_link(link_path: str) -> str | None:
    """Where the index's ``current`` link (at ``link_path``) points; None without one."""
    try:
        return os.readlink(link_path)
    except OSError:
        return None


def _contenders(docs: np.ndarray, scores: np.ndarray, needed: int,
                report_of: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The matches that can be among the ``needed`` best by relevance once scores are rounded (see
    postings.rounded) and ties go by pid: found in linear time, so that only they are sorted."""
    if len(docs) > 2 * needed and scores.min() == scores.max():
        # All tied (a one-character exact string scores 1 everywhere): a pid starts with its report's doc_id, so
        # the first reports in doc_id order hold the first pids (all 19,837 pids read took 0.3 s at 20k).
        reports = report_of(docs)
        keep = reports <= np.partition(reports, needed - 1)[needed - 1]
    elif len(docs) > needed:
        kth = np.partition(scores, len(scores) - needed)[len(scores) - needed]
        # Anything within a rounding step of the cut may round to a tie with it.
        keep = scores >= kth - 2 * 10.0 ** -SCORE_DECIMALS
    else:
        return docs, scores
    return docs[keep], scores[keep]


def _sort_keys(docs: np.ndarray, scores: np.ndarray, values: np.ndarray | None, sort: str) -> list[np.ndarray]:
    """The keys of the result order for np.lexsort (last key first): the sort's value (``values``, per
    document number: the year or publication date, NaN where the report has none, which goes last;
    None for relevance), newest or oldest first, then the rounded score, highest first."""
    keys = [-rounded(scores)]
    if values is not None:
        mine = values[docs]
        unknown = np.isnan(mine)
        keys += [np.where(unknown, 0.0, mine if sort == "oldest" else -mine), unknown]
    return keys


def _first_in_order(pid_of: Callable[[int], str], docs: np.ndarray, keys: list[np.ndarray], report_rank: np.ndarray,
                    needed: int) -> list[tuple[int, float]]:
    """The ``needed`` first (docnum, rounded score) pairs in the order of ``keys`` (see _sort_keys), then pid.

    NumPy orders them by the keys and report (a pid starts with its report's fixed-length doc_id), and pids are
    read only for the first ``needed`` and the tie at the cut.
    """
    order = np.lexsort([report_rank] + keys)
    cut = min(needed, len(order)) - 1
    at_cut = order[cut]
    # Everything up to the cut, and past it whatever ties with it before the pid decides.
    same = np.ones(len(order), dtype=bool)
    for key in [report_rank] + keys:
        same &= key[order] == key[at_cut]
    end = max(cut, int(np.flatnonzero(same)[-1])) + 1
    picked = order[:end]
    candidates = sorted(((tuple(float(k[i]) for k in reversed(keys)), pid_of(int(docs[i])), int(docs[i]),
                          -float(keys[0][i])) for i in picked.tolist()))
    return [(docnum, score) for _, _, docnum, score in candidates[:needed]]


def _value_ranks(column: Column) -> np.ndarray:
    """Each code's place in the order of its values (as strings), once per column."""
    ranks = np.empty(len(column.values), dtype=np.int64)
    ranks[sorted(range(len(column.values)), key=lambda code: str(column.values[code]))] = \
        np.arange(len(column.values))
    return ranks


def _sort_value(value) -> int | None:
    """A report year, or a publication date as a number (2022-02-15 -> 20220215), to order by."""
    if isinstance(value, str):
        digits = value.replace("-", "")
        return int(digits) if digits.isdigit() else None
    return value


def column_filtered(columns: dict[str, Column], docnums: np.ndarray, filters: dict[str, str]) -> np.ndarray:
    """``docnums`` whose report passes the column filters (see COLUMN_FILTERS): the publisher by name (folded),
    the publication year or a range of years. QueryError for a year that is not one."""
    for name, raw in filters.items():
        column = columns[COLUMN_FILTERS[name]]
        if name == "published":
            lo, _, hi = str(raw).partition("-")
            if not (lo.strip().isdigit() and (not hi or hi.strip().isdigit())):
                raise QueryError(f"cannot read published={raw!r} as a year or a range of years (2020-2022)")
            lo_year, hi_year = sorted((int(lo), int(hi or lo)))
            wanted = [code for code, v in enumerate(column.values) if v is not None and lo_year <= v <= hi_year]
        else:
            # As every text is searched: traditional and full-width forms are the same name (小龍門鄉 = 小龙门乡).
            folded = _folded_name(raw)
            wanted = [code for code, v in enumerate(column.values) if v is not None and _folded_name(v) == folded]
        docnums = docnums[np.isin(column.codes[docnums], wanted)]
    return docnums


@functools.lru_cache(maxsize=256)
def _marks(q: str, expanded: bool) -> tuple:
    """What a query marks in a paragraph (see Library.highlighted): read once per query, not once per paragraph of a
    report page."""
    parsed = parse(q)
    terms = positive_terms(as_chinese(parsed.tree)) if not parsed.fatal else []
    if expanded and terms:
        terms += expansion_terms(plan(parsed.tree))
    return tuple(terms)


def _unknown_english(typed: Node | None, said: list[str]) -> list[str]:
    """A note for each English word no glossary phrase holds, unless a note on it was given already (层级:abc)."""
    return [f"'{word}' is not in the English glossary (data/glossary_en.txt): searched as written; the reports are "
            f"in Chinese, so a Chinese term finds more" for word in unknown_english(typed)
            if not any(f"'{word}'" in problem for problem in said)]


def _folded_name(name: object) -> str:
    return "".join(normalize(str(name)).split())


def _ordered_facet(name: str, counts: list[tuple[object, int]]) -> list[tuple[str, int]]:
    if name in ("report_year", "publish_year"):
        ordered = sorted(counts, key=lambda kv: (kv[0] is None, -(kv[0] or 0)))
    else:
        ordered = sorted(counts, key=lambda kv: (kv[0] is None, -kv[1], str(kv[0])))
    return [("unknown" if v is None else v, n) for v, n in ordered]


__all__ = ["Library", "SearchRequest", "Results", "Hit", "ReportGroup", "QueryError", "MAX_QUERY_CHARS"]
