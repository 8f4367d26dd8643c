"""Distribution: how often a query matches, by year or by place, against coverage.

Raw hit counts mislead when the corpus holds 40 reports for one year and 3 for another, so every cell carries its
coverage (the reports and characters of text the corpus holds there, under the same filters) and the counts normalized
by it. A cell the corpus holds no report for is a gap (``None``), not a zero: "nobody wrote about it" and "we have
nothing from there" are different facts.

Definitions, per cell and per query:

- ``paragraphs``      matching paragraphs
- ``reports``         reports with at least one matching paragraph
- ``per_100_reports`` reports / coverage reports * 100
- ``per_10k_chars``   matching paragraphs / coverage characters * 10,000

Coverage (``corpus_reports``, ``corpus_chars``) counts the paragraphs that pass the request's filters (year, place,
level, section, ...) with no words. Filters count wherever they were written: given as parameters (``year=2021``) or
typed in the query (``年份:2021 法律顾问``), one reading (:func:`shared_filters`) narrows both the matches and the
coverage they are divided by. Queries compared in one table must therefore share their filters; a filter inside OR, NOT
or 同句 narrows some matches but no population, so it is refused too.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from html import escape

import numpy as np

from searchlib.analysis import normalize
from searchlib.fields import label, value_labels
from searchlib.export import csv_text
from searchlib.research.kwic import pad_right
from searchlib.research.population import ALL_GENRES, DEFAULT_GENRE   # a distribution counts reports
from searchlib.ingest.places import MUNICIPALITIES, gazetteer
from searchlib.query.parse import And, Filter, Not, QueryError, filters_in, years_of
from searchlib.query.search import COLUMN_FILTERS, column_filtered

BY = ("year", "province", "city", "county")
MAX_QUERIES = 4
METRICS = ("per_100_reports", "per_10k_chars", "reports", "paragraphs")
_COLUMN = {"year": "report_year", "province": "province", "city": "city", "county": "county"}
UNKNOWN_LABEL = "不详"
LABEL_COLUMNS = 20   # terminal columns for a cell label: 阿坝藏族羌族自治州 takes 18


@dataclass
class Count:
    """One query in one cell. All None in a gap cell."""
    paragraphs: int | None
    reports: int | None
    per_100_reports: float | None
    per_10k_chars: float | None


@dataclass
class Cell:
    key: int | str | None          # the year or place name; None = the report does not say
    label: str
    corpus_reports: int | None     # None: the corpus holds no report here (a gap)
    corpus_chars: int | None
    counts: list[Count] = field(default_factory=list)   # one per query, in order

    @property
    def gap(self) -> bool:
        return self.corpus_reports is None


@dataclass
class Distribution:
    queries: list[str]
    by: str
    filters: dict[str, str]
    cells: list[Cell]
    totals: Cell

    def to_dict(self) -> dict:
        return asdict(self) | {"metrics": list(METRICS)}


# --- per-paragraph columns, read once per index version --------------------------

def paragraph_columns(library, searcher) -> dict[str, list]:
    """doc_id, year, province, city, county and character count of every document number, built once per index
    generation: the places and years from the facet columns, the lengths from the text files. (Reading every stored
    paragraph instead took 2.3 s at 20k paragraphs, on the first /stats after every swap.)"""
    return library.per_generation(searcher, "paragraph_columns", lambda: _paragraph_columns(library, searcher))


def _paragraph_columns(library, searcher) -> dict[str, list]:
    facets = library.columns(searcher)
    names = ("doc_id", "report_year", "province", "city", "county")
    chars = library.texts(searcher).char_counts()
    columns = {n: [facets[n].values[code] for code in facets[n].codes.tolist()] for n in names}
    columns["chars"] = chars.tolist()
    return columns


# --- which cells exist ---------------------------------------------------------

def _division(name: str, level: int):
    norm = normalize(name)
    found = [d for d in gazetteer().by_code.values() if d.level == level and normalize(d.name).startswith(norm)]
    return found[0] if len(found) == 1 else None


def _children(parent) -> list[str]:
    kids = [d for d in gazetteer().by_code.values() if d.parent_code == parent.code]
    return [d.name for d in sorted(kids, key=lambda d: d.code) if "辖" not in d.name]


def expected_keys(by: str, filters: dict[str, str]) -> list:
    """Cells to show even when the corpus has nothing there, so gaps are visible.

    Provinces: the 31 of the mainland (these reports are a mainland duty). Cities and counties: the divisions under the
    province or city filtered on, when that filter names exactly one. Years: the filtered range.
    """
    if by == "year":
        value = filters.get("year")
        return years_of(value) if value else []
    if by == "province":
        return [d.name for d in sorted(gazetteer().by_code.values(), key=lambda d: d.code)
                if d.level == 1 and "特别行政区" not in d.name]
    if by == "city" and filters.get("province"):
        province = _division(filters["province"], 1)
        if province is not None and province.name not in MUNICIPALITIES:
            return _children(province)
    if by == "county":
        if filters.get("city") and (city := _division(filters["city"], 2)) is not None:
            return _children(city)
        if filters.get("province") and (province := _division(filters["province"], 1)) is not None \
                and province.name in MUNICIPALITIES:
            return _children(province)
    return []


# --- the table -----------------------------------------------------------------

class FilterMismatch(QueryError):
    """Queries whose filters differ (or sit where no coverage can follow them): no rate can be honest."""


def shared_filters(library, queries: list[str], filters: dict[str, str]) -> tuple[list, list[Filter]]:
    """Each query's matches, and the filters they all share: those given as parameters and those typed. The one
    place a distribution reads filters, so matches and coverage cannot disagree."""
    from searchlib.query.search import SearchRequest

    found = [library.matching(SearchRequest(q=q, **filters)) for q in queries]
    readings = []
    for q, matching in zip(queries, found):
        if _buried_filter(matching.tree):
            raise FilterMismatch(f"a filter inside OR, NOT or /s in {q!r} narrows the matches but not the "
                                 "coverage they are counted against; write it as a filter of the whole query "
                                 "(year:2021 …) or as a parameter (--year 2021)")
        readings.append(frozenset((f.field, f.value) for f in filters_in(matching.tree)))
    if len(set(readings)) > 1:
        raise FilterMismatch("the queries compared in one table must share their filters (year:, province:, "
                             "level: …), or their rates would have different denominators; give the filters "
                             "once, as parameters (--year 2021), or use --by to compare years or places")
    return found, filters_in(found[0].tree)


def _buried_filter(node) -> bool:
    """Whether a filter sits anywhere but at the top level of the query (under OR, NOT, /s)."""
    top = {id(f) for f in filters_in(node)}
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Filter) and id(n) not in top:
            return True
        stack.extend(getattr(n, "children", ()))
        if isinstance(n, Not):
            stack.append(n.child)
    return False


def distribution(library, queries: list[str], by: str = "year", filters: dict[str, str] | None = None
                 ) -> Distribution:
    """Hits of up to four queries per year or place, with coverage and rates.

    ``filters`` are search filters (``year``, ``province``, ``city``, ``county``, ``level``, ``body``, ``section``,
    ``genre``, ``township``); filters typed inside the queries count the same, for the matches and the coverage alike
    (see :func:`shared_filters`). Without a ``genre`` only reports count (:data:`DEFAULT_GENRE`); ``genre="all"`` counts
    every file.
    """
    if by not in BY:
        raise QueryError(f"cannot count by {by!r}; use one of {', '.join(BY)}")
    queries = [q for q in queries if q is not None]
    if not 1 <= len(queries) <= MAX_QUERIES:
        raise QueryError(f"compare 1 to {MAX_QUERIES} queries")
    filters = {k: v for k, v in (filters or {}).items() if v}
    filters["genre"] = filters.get("genre") or DEFAULT_GENRE
    if filters["genre"] == ALL_GENRES:
        del filters["genre"]
    with library.pinned():  # the population and every query counted in one generation of the index
        return _distribution(library, queries, by, filters)


def _distribution(library, queries: list[str], by: str, filters: dict[str, str]) -> Distribution:
    found, shared = shared_filters(library, queries, filters)
    searcher = found[0].searcher
    tree = And(tuple(shared)) if len(shared) > 1 else (shared[0] if shared else None)
    population = library.matcher(searcher).docarray(tree).tolist()
    # Filters on report fields outside the query language (publisher, publication year) narrow it too.
    by_column = {k: v for k, v in filters.items() if k in COLUMN_FILTERS}
    if by_column:
        population = column_filtered(library.columns(searcher), np.asarray(population, dtype=np.int64),
                                     by_column).tolist()
    canonical = {f.field: f.value for f in shared} | by_column
    columns = paragraph_columns(library, searcher)
    cell_of = columns[_COLUMN[by]]
    corpus_chars, corpus_reports = _tally(population, cell_of, columns["doc_id"], columns["chars"])
    per_query = [_tally(matching.docnums, cell_of, columns["doc_id"]) for matching in found]
    keys = _ordered_keys(by, canonical, corpus_reports, per_query)
    cells = [_cell(key, corpus_reports.get(key), corpus_chars.get(key), per_query) for key in keys]
    totals = _cell("all", {doc for s in corpus_reports.values() for doc in s},
                   sum(corpus_chars.values()),
                   [({"all": sum(p.values())}, {"all": {doc for s in d.values() for doc in s}})
                    for p, d in per_query])
    return Distribution(queries=list(queries), by=by, filters=canonical, cells=cells, totals=totals)


def _tally(docnums, cell_of: list, report_of: list, weight: list | None = None) -> tuple[dict, dict]:
    """Per cell: the paragraphs among ``docnums`` (or the sum of their ``weight``), and the set of their reports."""
    sums: dict = {}
    reports: dict = {}
    for d in docnums:
        key = cell_of[d]
        sums[key] = sums.get(key, 0) + (1 if weight is None else weight[d])
        reports.setdefault(key, set()).add(report_of[d])
    return sums, reports


def _ordered_keys(by: str, filters: dict[str, str], corpus_reports: dict, per_query) -> list:
    present = set(corpus_reports) | {k for p, _ in per_query for k in p}
    known = sorted(k for k in present if k is not None)
    expected = expected_keys(by, filters)
    if by == "year":
        if not expected and known:
            # Every year from the first to the last, so a missing year shows as a gap.
            expected = list(range(min(known), max(known) + 1))
        keys = sorted(set(expected) | set(known))
    else:
        keys = expected + [k for k in known if k not in expected]
    return keys + ([None] if None in present else [])


def _rate(part: int, whole: int, scale: int) -> float:
    return round(part / whole * scale, 4) if whole else 0.0


def _cell(key, reports: set | None, chars: int | None, per_query) -> Cell:
    label = UNKNOWN_LABEL if key is None else ("全部" if key == "all" else str(key))
    if not reports:
        gap = Count(None, None, None, None)
        return Cell(key, label, None, None, [gap for _ in per_query])
    counts = []
    for paras, docs in per_query:
        n_paras = paras.get(key, 0)
        n_docs = len(docs.get(key, ()))
        counts.append(Count(n_paras, n_docs, _rate(n_docs, len(reports), 100), _rate(n_paras, chars or 0, 10_000)))
    return Cell(key, label, len(reports), chars, counts)


# --- export ---------------------------------------------------------------------

CSV_COLUMNS = ("query", "by", "cell", "corpus_reports", "corpus_chars", "paragraphs", "reports",
               "per_100_reports", "per_10k_chars", "filters")


def rows(table: Distribution, include_totals: bool = True) -> list[dict]:
    """One flat record per (query, cell): the shape of the CSV and of a spreadsheet."""
    out = []
    cells = table.cells + ([table.totals] if include_totals else [])
    # What was counted travels with the numbers: a table read later must not pass for all files (genre:report).
    counted = " ".join(f"{name}:{value}" for name, value in table.filters.items())
    for i, q in enumerate(table.queries):
        for cell in cells:
            out.append({"query": q, "by": table.by, "cell": cell.label, "corpus_reports": cell.corpus_reports,
                        "corpus_chars": cell.corpus_chars, **vars(cell.counts[i]), "filters": counted})
    return out


def to_csv(table: Distribution) -> str:
    """Long-format CSV (see :mod:`searchlib.export`); a gap is an empty field, never 0."""
    return csv_text(CSV_COLUMNS, rows(table))


def to_json(table: Distribution) -> str:
    return json.dumps(table.to_dict(), ensure_ascii=False, indent=2)


def format_table(table: Distribution, metric: str = "per_100_reports") -> list[str]:
    """Plain-text table for the terminal: one row per cell, one column group per query."""
    head = f"{pad_right(table.by, LABEL_COLUMNS)}{'reports':>8}{'chars':>10}"
    for i, q in enumerate(table.queries, 1):
        head += f" | Q{i} paras  docs  {metric}"
    lines = [head]
    for cell in table.cells + [table.totals]:
        line = pad_right(cell.label, LABEL_COLUMNS)
        if cell.gap:
            lines.append(line + f"{'—':>8}{'—':>10}" + " | (no reports)" * len(table.queries))
            continue
        line += f"{cell.corpus_reports:>8}{cell.corpus_chars:>10}"
        for c in cell.counts:
            line += f" | {c.paragraphs:>8}{c.reports:>6}  {getattr(c, metric):>{len(metric)}}"
        lines.append(line)
    lines += [f"Q{i}: {q}" for i, q in enumerate(table.queries, 1)]
    return lines


# --- chart --------------------------------------------------------------------

# Okabe-Ito colours (readable with colour blindness) and dash patterns, so the
# lines stay apart in a black-and-white printout too.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
METRIC_LABELS = {"per_100_reports": "每百份报告中提及的报告数", "per_10k_chars": "每万字匹配段落数",
                 "reports": "匹配报告数", "paragraphs": "匹配段落数"}
FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, SimHei, sans-serif"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    while step * 10 < value:
        step *= 10
    for mult in (1, 2, 2.5, 5, 10):
        if step * mult >= value:
            return step * mult
    return step * 10


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}".rstrip("0")


def to_svg(table: Distribution, metric: str = "per_100_reports", title: str | None = None) -> str:
    """A standalone SVG chart: lines over the years, or bars per place. Gaps are drawn as gaps."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    cells = [c for c in table.cells if c.key is not None]
    if table.by == "year":
        return _line_chart(table, cells, metric, title)
    return _bar_chart(table, cells, metric, title)


def _values(cells: list[Cell], i: int, metric: str) -> list[float | None]:
    return [getattr(c.counts[i], metric) for c in cells]


def _svg_open(width: int, height: int, title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12">',
            f'<title>{escape(title)}</title>', f'<rect width="{width}" height="{height}" fill="#fff"/>',
            f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>']


def _legend(table: Distribution, x: float, y: float) -> list[str]:
    out = []
    for i, q in enumerate(table.queries):
        yy = y + i * 16
        dash = f' stroke-dasharray="{DASHES[i]}"' if DASHES[i] else ""
        out.append(f'<line x1="{x}" y1="{yy}" x2="{x + 24}" y2="{yy}" stroke="{COLOURS[i]}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{x + 30}" y="{yy + 4}">{escape(q)}</text>')
    return out


def _default_title(table: Distribution, metric: str) -> str:
    """The chart's title in the page's language: 每百份报告中提及的报告数（文种：法治政府建设报告）."""
    where = "，".join(f"{label(k)}：{'、'.join(value_labels(k).get(v, v) for v in str(value).split('|'))}"
                     for k, value in table.filters.items())
    return METRIC_LABELS[metric] + (f"（{where}）" if where else "")


def _line_chart(table: Distribution, cells: list[Cell], metric: str, title: str | None) -> str:
    width, height = 720, 400
    left, right, top, bottom = 70, 20, 40, 60 + 16 * len(table.queries)
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([v for i in range(len(table.queries)) for v in _values(cells, i, metric) if v is not None] or [0])
    ymax = _nice_max(peak)
    n = max(1, len(cells))
    step = plot_w / n
    x_of = lambda j: left + step * (j + 0.5)  # noqa: E731 - a local coordinate map
    y_of = lambda v: top + plot_h - v / ymax * plot_h  # noqa: E731
    out = _svg_open(width, height, title or _default_title(table, metric))
    for j, cell in enumerate(cells):
        if cell.gap:
            out.append(f'<rect x="{left + step * j:.1f}" y="{top}" width="{step:.1f}" height="{plot_h}" '
                       f'fill="#eee"><title>{escape(cell.label)}：语料中无报告</title></rect>')
            out.append(f'<text x="{x_of(j):.1f}" y="{top + 14}" text-anchor="middle" fill="#999">无报告</text>')
    for k in range(5):
        v = ymax * k / 4
        y = y_of(v)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#000"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#000"/>')
    for j, cell in enumerate(cells):
        out.append(f'<text x="{x_of(j):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{escape(cell.label)}</text>')
    out.append(f'<text x="16" y="{top + plot_h / 2}" transform="rotate(-90 16 {top + plot_h / 2})" '
               f'text-anchor="middle">{escape(METRIC_LABELS[metric])}</text>')
    for i in range(len(table.queries)):
        values = _values(cells, i, metric)
        dash = f' stroke-dasharray="{DASHES[i]}"' if DASHES[i] else ""
        run: list[str] = []
        for j, v in enumerate(values + [None]):
            if v is None:
                # A gap ends the line: it is never drawn through years without reports.
                if len(run) > 1:
                    out.append(f'<polyline fill="none" stroke="{COLOURS[i]}" stroke-width="2"{dash} '
                               f'points="{" ".join(run)}"/>')
                run = []
                continue
            run.append(f"{x_of(j):.1f},{y_of(v):.1f}")
            out.append(f'<circle cx="{x_of(j):.1f}" cy="{y_of(v):.1f}" r="3" fill="{COLOURS[i]}">'
                       f'<title>{escape(table.queries[i])} {escape(cells[j].label)}: {_fmt(v)}</title></circle>')
    out += _legend(table, left, top + plot_h + 36)
    out.append("</svg>")
    return "\n".join(out)


def _bar_chart(table: Distribution, cells: list[Cell], metric: str, title: str | None) -> str:
    nq = len(table.queries)
    bar_h, gap = 10, 6
    row_h = nq * bar_h + gap
    left, right, top = 140, 60, 40
    bottom = 30 + 16 * nq
    width = 720
    height = top + row_h * max(1, len(cells)) + bottom
    plot_w = width - left - right
    peak = max([v for i in range(nq) for v in _values(cells, i, metric) if v is not None] or [0])
    xmax = _nice_max(peak)
    out = _svg_open(width, height, title or _default_title(table, metric))
    for k in range(5):
        x = left + plot_w * k / 4
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="middle">{_fmt(xmax * k / 4)}</text>')
    for j, cell in enumerate(cells):
        y0 = top + row_h * j
        out.append(f'<text x="{left - 6}" y="{y0 + row_h / 2 + 2:.1f}" text-anchor="end">{escape(cell.label)}</text>')
        if cell.gap:
            out.append(f'<text x="{left + 4}" y="{y0 + row_h / 2 + 2:.1f}" fill="#999">无报告</text>')
            continue
        for i in range(nq):
            v = getattr(cell.counts[i], metric) or 0
            w = v / xmax * plot_w
            out.append(f'<rect x="{left}" y="{y0 + i * bar_h:.1f}" width="{w:.1f}" height="{bar_h - 1}" '
                       f'fill="{COLOURS[i]}"><title>{escape(table.queries[i])} {escape(cell.label)}: '
                       f'{_fmt(v)}</title></rect>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#000"/>')
    out += _legend(table, left, height - bottom + 32)
    out.append("</svg>")
    return "\n".join(out)
