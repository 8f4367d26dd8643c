"""Other queries to try when a search finds nothing or little (issue 19, point 8).

A variant is the researcher's own query tree changed in one way, written back as a query
(:func:`searchlib.query.parse.query_text`), and run under the very same request: every filter (typed or a URL
parameter), the boilerplate choice, the view (reports in tiers, strict reports, paragraphs) and the sort. The kinds:

``words``
    every quoted concept unquoted (``"复议的纠错"`` -> ``复议的纠错``): the words may stand apart, and in the tiered
    view their parts and thesaurus entries count;
``same_paragraph``
    every 同句 clause loosened to one paragraph (``a /s b`` -> ``a b``); in the tiered view, where that finds more
    only as reports holding the words in different paragraphs, it is offered as ``same_report``, which it then is;
``same_report``
    ``a b`` -> ``a /d b``: every concept in one report, not one paragraph (strict and paragraph views only: the tiered
    view already lists those reports in its second tier, so the variant would find the same reports);
``exact``
    a lone word quoted, matched as a string whatever the segmenter did;
``drop``
    the query without one concept, keeping every other concept, operator, quote, ``NOT`` and filter.

When a request finds nothing at all, two more kinds say what lies just outside it:

``fuzzy``
    the strict view's request in the default view (reports in tiers), counting its partial matches too;
``no_filter``
    the request without one of its filters (typed in the query, or a URL parameter / CLI option), the rest kept.

A variant is offered only if it finds more than the current query, counted the way the view counts (:func:`found`): a
variant that finds nothing, or no more than what is already on the page (exactly the same, or a part of it), is a dead
end. At most ``MAX_VARIANT_SEARCHES`` variants are counted, each a search with ``limit=0``.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass, field, replace

from searchlib.query.parse import And, Exact, Filter, Node, Not, SameReport, SameSentence, Words, parse, query_text
from searchlib.query.search import Library, QueryError, Results, SearchRequest

# The tiered view "finds little" below this many reports holding every concept (tiers 1 and 2): its third
# tier lists partial matches, which do not answer the question asked, so a page of them is still "few".
# The strict and paragraph views are asked for on purpose, for a precise count; there only an empty
# result gets suggestions (one or two exact hits are an answer, not a dead end).
FEW_REPORTS = 3
# At most this many variant searches per request (each with limit=0): bounded cost on a big index.
MAX_VARIANT_SEARCHES = 6
# An empty result also tries leaving out each filter, at most this many of them.
MAX_FILTER_VARIANTS = 4
# Characters that make a query need quoting on a shell command line.
SHELL_SPECIAL = re.compile(r"""[\s"'()|&;<>$`\\*?!#~\[\]{}]""")


@dataclass(frozen=True)
class Variant:
    kind: str            # one of KIND_ORDER
    q: str               # the query to run instead (the request's other parameters unchanged)
    dropped: str = ""    # for "drop": the concept left out, as it is written in a query


@dataclass(frozen=True)
class Suggestion:
    """A variant worth trying, with what it finds under the request it was counted in."""

    kind: str            # as Variant
    q: str
    dropped: str
    view: str            # "tiers" | "reports" | "paragraphs": the view it was counted in (see view_of)
    reports: int         # reports: holding every concept (tiers 1 and 2) in the tiered view, else matching
    paragraphs: int      # paragraphs matching strictly (every concept in one paragraph, as typed)
    same_paragraph: int = 0   # of ``reports``, those with such a paragraph (the tiered view's first tier)
    # Request parameters it changes besides the query (None: left out): {"year": None}, {"mode": "fuzzy"}.
    changes: dict = field(default_factory=dict)
    partial: int = 0          # "fuzzy": the reports it lists as partial matches (tier 3), besides ``reports``

    @property
    def found(self) -> int:
        """The count its view goes by (see :func:`found`)."""
        return self.paragraphs if self.view == "paragraphs" else self.reports

    def to_json(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        """One line for the command line: the query to run (same options), why, and what it finds."""
        why = {"drop": f"without {self.dropped}", "same_report": "all in one report, not one paragraph",
               "same_paragraph": "in one paragraph, not one sentence",
               "words": "as words, not an exact string", "exact": "as an exact string",
               "no_filter": f"without the filter {self.dropped}",
               "fuzzy": "without --strict: reports in tiers, partial matches too"}[self.kind]
        reports, paragraphs = _counted(self.reports, "report"), _counted(self.paragraphs, "paragraph")
        if self.view == "tiers":
            count = (f"{reports} with {'every other word' if self.kind == 'drop' else 'every word'} "
                     f"({self.same_paragraph} in one paragraph), {paragraphs}")
            if self.partial:
                count += f"; {self.partial} partial match{'' if self.partial == 1 else 'es'}"
        elif self.view == "reports":
            count = f"{reports}, {paragraphs}"
        else:
            count = f"{paragraphs} in {reports}"
        # Quoted for the shell only when it needs it (shlex quotes every Chinese character).
        shown = shlex.quote(self.q) if SHELL_SPECIAL.search(self.q) else self.q
        return f"try {shown} ({why}): {count}"


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def view_of(results: Results) -> str:
    """The tiered view (reports in tiers), the strict report view, or the paragraph view."""
    return "tiers" if results.tiers is not None else "reports" if results.groups is not None else "paragraphs"


def found(results: Results) -> int:
    """What a view finds, as the researcher counts it: reports holding every concept (tiered view),
    reports with a matching paragraph (strict report view), or matching paragraphs (paragraph view)."""
    view = view_of(results)
    if view == "tiers":
        return results.tiers.get(1, 0) + results.tiers.get(2, 0)
    return results.total_reports if view == "reports" else results.total


def finds_little(results: Results) -> bool:
    """Whether the page is worth offering variants for (see FEW_REPORTS)."""
    return found(results) < (FEW_REPORTS if view_of(results) == "tiers" else 1)


def suggest(library: Library, request: SearchRequest, results: Results | None = None) -> list[Suggestion]:
    """The variants of ``request`` worth trying, each counted under the same request, most useful first;
    [] when the request finds enough (see :func:`finds_little`)."""
    if results is None:
        results = library.search(replace(request, limit=0, offset=0, snippets=False))
    if not finds_little(results):
        return []
    current, view = found(results), view_of(results)
    out = []
    for variant in variants(request.q or "", same_report=view != "tiers")[:MAX_VARIANT_SEARCHES]:
        try:
            counted = library.search(replace(request, q=variant.q, limit=0, offset=0, snippets=False))
        except QueryError:
            continue
        finds, kind = found(counted), variant.kind
        if view == "tiers" and kind == "same_paragraph" and counted.tiers.get(1, 0) <= current:
            # Loosened to one paragraph, it finds more only as reports that hold the words in different paragraphs
            # (its second tier): that is what it offers, and it is said so.
            kind = "same_report"
        # An empty page unquoted: its partial matches are a way on too (the words of 行政复议纠错率 apart).
        partial = counted.tiers.get(3, 0) if view == "tiers" and kind == "words" and current == 0 else 0
        if finds > current or partial:
            reports = finds if view == "tiers" else counted.total_reports
            out.append(Suggestion(kind, variant.q, variant.dropped, view, reports, counted.total,
                                  counted.total_reports, partial=partial))
    if current == 0:
        out += _outside(library, request, view)
    return ordered(out)


def _outside(library: Library, request: SearchRequest, view: str) -> list[Suggestion]:
    """For a request that finds nothing: the default view of a strict one, and the request without each of its
    filters, those that find something (see the module's docstring)."""
    out = []
    if view == "reports" and request.mode == "strict":
        counted = library.search(replace(request, mode="fuzzy", limit=0, offset=0, snippets=False))
        tiers = counted.tiers or {}
        if sum(tiers.get(t, 0) for t in (1, 2, 3)):
            out.append(Suggestion("fuzzy", request.q or "", "", "tiers", tiers.get(1, 0) + tiers.get(2, 0),
                                  counted.total, tiers.get(1, 0), {"mode": "fuzzy"}, tiers.get(3, 0)))
    for written, q, changes in _without_each_filter(request)[:MAX_FILTER_VARIANTS]:
        try:
            counted = library.search(replace(request, q=q, limit=0, offset=0, snippets=False, **changes))
        except QueryError:
            continue
        if found(counted):
            reports = found(counted) if view == "tiers" else counted.total_reports
            out.append(Suggestion("no_filter", q, written, view, reports, counted.total, counted.total_reports,
                                  dict(changes)))
    return out


def _without_each_filter(request: SearchRequest) -> list[tuple[str, str, dict]]:
    """(the filter as written, the query, the request's changed parameters) for each filter left out in turn:
    a filter typed in the query, then each URL parameter / CLI option."""
    out: list[tuple[str, str, dict]] = []
    parsed = parse(request.q or "")
    if not parsed.fatal and parsed.tree is not None:
        top = list(parsed.tree.children) if isinstance(parsed.tree, And) else [parsed.tree]
        for i, node in enumerate(top):
            if isinstance(node, Filter):
                rest = [n for j, n in enumerate(top) if j != i]
                q = query_text(rest[0] if len(rest) == 1 else And(tuple(rest))) if rest else ""
                out.append((query_text(node) or "", q or "", {}))
    for name, value in request.filters().items():
        out.append((f"{name}:{value}", request.q or "", {name: None}))
    return out


# Variants that keep every concept come first: they keep the whole question and lift only a condition
# (exactness, one sentence, one paragraph) the researcher may not have meant. Dropping a concept changes
# the question, so those follow, the fewest results first: a variant that drops a common word keeps the
# rare, telling ones and finds a few reports close to what was asked, while dropping the rare word leaves
# the common ones, which find many reports about something broader. More results is not better here.
KIND_ORDER = ("words", "same_paragraph", "same_report", "exact", "fuzzy", "no_filter", "drop")


def ordered(suggestions: list[Suggestion]) -> list[Suggestion]:
    return sorted(suggestions, key=lambda s: (KIND_ORDER.index(s.kind), s.found if s.kind == "drop" else 0))


def variants(q: str, same_report: bool = True) -> list[Variant]:
    """The candidate variants of a query, in the order they are worth a search (the budget cuts the tail):
    the kinds that keep every concept, then each concept dropped, the last typed first (a researcher types
    the topic first and narrows after it, so a later word is likelier the one that finds nothing)."""
    parsed = parse(q)
    if parsed.fatal or parsed.tree is None:
        return []
    top = list(parsed.tree.children) if isinstance(parsed.tree, And) else [parsed.tree]
    restrictions = [c for c in top if isinstance(c, (Filter, Not))]
    units = _units(top)
    out: list[Variant] = []

    def add(kind: str, tree: Node | None, dropped: str = "") -> None:
        text = query_text(tree)
        if text is not None and text != q and all(v.q != text for v in out):
            out.append(Variant(kind, text, dropped))

    unquoted = {i: w for i, u in enumerate(units) if (w := _unquoted(u)) is not None}
    if unquoted:
        add("words", _rebuilt(top, unquoted))
    loosened = {i: And(u.children) for i, u in enumerate(units) if isinstance(u, SameSentence)}
    if loosened:
        add("same_paragraph", _rebuilt(top, loosened))
    positive = [n for n in top if not isinstance(n, (Filter, Not))]
    if same_report and len(units) > 1 and not (len(positive) == 1 and isinstance(positive[0], SameReport)):
        add("same_report", _joined([SameReport(tuple(units)), *restrictions]))
    if len(units) == 1 and isinstance(units[0], Words) and not units[0].required:
        add("exact", _rebuilt(top, {0: Exact(units[0].text)}))
    if len(units) > 1:
        for i in reversed(range(len(units))):
            add("drop", _rebuilt(top, {i: None}), dropped=query_text(units[i]) or "")
    return out


def _units(top: list[Node]) -> list[Node]:
    """The concepts of a query's top level, in order: each positive clause, each member of a 同篇 clause."""
    units: list[Node] = []
    for node in top:
        if isinstance(node, SameReport):
            units.extend(node.children)
        elif not isinstance(node, (Filter, Not)):
            units.append(node)
    return units


def _rebuilt(top: list[Node], changes: dict[int, Node | None]) -> Node | None:
    """The query's top level with concept ``i`` (numbered as :func:`_units` lists them) replaced by ``changes[i]``, or
    left out where that is None; filters and NOTs stay, and a 同篇 clause keeps the members still there."""
    parts: list[Node] = []
    i = 0
    for node in top:
        if isinstance(node, (Filter, Not)):
            parts.append(node)
            continue
        members = []
        for member in node.children if isinstance(node, SameReport) else (node,):
            kept = changes.get(i, member)
            i += 1
            if kept is not None:
                members.append(kept)
        if isinstance(node, SameReport) and len(members) > 1:
            parts.append(SameReport(tuple(members)))
        else:
            parts.extend(members)
    return _joined(parts)


def _joined(parts: list[Node]) -> Node | None:
    flat: list[Node] = []
    for p in parts:
        flat.extend(p.children if isinstance(p, And) else (p,))
    if not flat or not any(not isinstance(p, (Filter, Not)) for p in flat):
        return None   # filters and NOTs alone are not a variant of a question
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def _unquoted(node: Node) -> Node | None:
    """A quoted concept as words (spaces inside it separate words), or None for anything else."""
    if not isinstance(node, Exact):
        return None
    tree = parse(node.text).tree
    words = tree.children if isinstance(tree, And) else (tree,)
    if tree is None or not all(isinstance(w, Words) and not w.required for w in words):
        return None
    return tree
