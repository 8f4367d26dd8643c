"""Term diffusion: the first report year in which each place mentions a query, and how many places
had mentioned it by each year, beside the corpus's coverage of places in that year.

A place's first year is the year of its earliest report (report year, then publication date) with a paragraph the query
matches; that report and paragraph are linked. Coverage is the number of places the corpus holds any report from (under
the same filters) in each year, and cumulatively up to it: a place whose reports start in 2022 cannot "first mention" a
term in 2019, and a flat curve over years with few reports is a gap in the corpus, not in the term's spread.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from html import escape

import numpy as np

from searchlib.research.population import matched_docnums, report_fields
from searchlib.query.parse import QueryError

BY = ("province", "city", "county")
UNKNOWN_PLACE = "地区不详"


@dataclass
class FirstMention:
    place: str
    year: int
    doc_id: str
    title: str | None
    publish_date: str | None
    pid: str                 # the report's first matching paragraph
    url: str
    reports: int             # reports of this place that mention the query (any year)


@dataclass
class YearPoint:
    year: int
    new: int                 # places whose first mention is this year
    cumulative: int          # places that have mentioned it by this year
    coverage: int            # places the corpus holds a report from in this year
    covered_cumulative: int  # places the corpus holds a report from in this year or before


@dataclass
class Diffusion:
    query: str
    by: str
    filters: dict[str, str]
    places: list[FirstMention]
    years: list[YearPoint]
    unplaced_reports: int = 0        # matching reports whose place (at this level) is not known
    undated_reports: int = 0         # matching reports without a report year
    never: list[str] = field(default_factory=list)   # covered places that never mention it

    def to_dict(self) -> dict:
        return asdict(self)


def diffusion(library, request, by: str = "province") -> Diffusion:
    """First mentions of ``request.q`` per place (at level ``by``), with coverage under its filters."""
    if by not in BY:
        raise QueryError(f"cannot follow diffusion by {by!r}; use one of {', '.join(BY)}")
    if not (request.q or "").strip():
        raise QueryError("diffusion needs a query")
    if by != "province" and not request.province:
        raise QueryError(f"diffusion by {by} needs a province filter (the places under one province)")
    searcher, docnums = matched_docnums(library, request)
    first: dict[str, tuple] = {}
    count: dict[str, int] = {}
    unplaced = undated = 0
    for stored, members in report_fields(library, searcher, docnums):
        place, year = stored.get(by), stored.get("report_year")
        if not place:
            unplaced += 1
            continue
        if year is None:
            undated += 1
            continue
        count[place] = count.get(place, 0) + 1
        key = (year, stored.get("publish_date") or "9999", stored["doc_id"])
        if place not in first or key < first[place][0]:
            first[place] = (key, stored, int(members[0]))
    store = library.stored_fields(searcher)
    places = []
    for place, (key, stored, docnum) in first.items():
        pid = store.pid(docnum)
        places.append(FirstMention(place, key[0], stored["doc_id"], stored.get("title"), stored.get("publish_date"),
                                   pid, f"/p/{pid}", count[place]))
    places.sort(key=lambda m: (m.year, m.publish_date or "9999", m.place))

    covered = _coverage(library, searcher, request, by)
    years_seen = sorted(set(covered) | {m.year for m in places})
    points = []
    if years_seen:
        ever: set[str] = set()
        cumulative = 0
        for year in range(years_seen[0], years_seen[-1] + 1):
            new = sum(1 for m in places if m.year == year)
            cumulative += new
            ever |= covered.get(year, set())
            points.append(YearPoint(year, new, cumulative, len(covered.get(year, ())), len(ever)))
    all_covered = set().union(*covered.values()) if covered else set()
    never = sorted(all_covered - set(first))
    return Diffusion(request.q, by, request.filters(), places, points, unplaced, undated, never)


def _coverage(library, searcher, request, by: str) -> dict[int, set[str]]:
    """Per year, the places (at level ``by``) with any report under the request's filters (no words)."""
    _, population = matched_docnums(library, replace(request, q=""))
    columns = library.columns(searcher)
    place_col, year_col = columns[by], columns["report_year"]
    if not len(population):
        return {}
    pairs = np.unique(np.stack([year_col.codes[population], place_col.codes[population]]), axis=1)
    out: dict[int, set[str]] = {}
    for y, p in pairs.T.tolist():
        year, place = year_col.values[y], place_col.values[p]
        if isinstance(year, int) and place not in (None, "", "unknown"):
            out.setdefault(year, set()).add(place)
    return out


CSV_COLUMNS = ("place", "first_year", "reports", "doc_id", "title", "publish_date", "pid", "url")
YEAR_COLUMNS = tuple(f.name for f in fields(YearPoint))


def place_records(result: Diffusion) -> list[dict]:
    """Rows for a CSV: a first mention's fields under the CSV's names (its year is the ``first_year``)."""
    return [{c: m.year if c == "first_year" else getattr(m, c) for c in CSV_COLUMNS} for m in result.places]


def year_records(result: Diffusion) -> list[dict]:
    return [asdict(p) for p in result.years]


# --- chart: the same server-side SVG as /stats ---------------------------------------------------

def to_svg(result: Diffusion) -> str:
    """Cumulative places mentioning the query (solid) against places covered (dashed), with each
    year's coverage as grey bars: a flat line over thin bars is a gap in the corpus."""
    from searchlib.research.stats import COLOURS, _fmt, _nice_max, _svg_open

    width, height = 720, 380
    left, right, top, bottom = 60, 20, 40, 92
    plot_w, plot_h = width - left - right, height - top - bottom
    points = result.years
    peak = max([p.covered_cumulative for p in points] + [p.cumulative for p in points] + [0])
    ymax = _nice_max(peak)
    ymax = -(-ymax // 4) * 4          # counts of places: whole-number ticks (a quarter of the axis each)
    n = max(1, len(points))
    step = plot_w / n
    x_of = lambda j: left + step * (j + 0.5)  # noqa: E731 - a local coordinate map
    y_of = lambda v: top + plot_h - v / ymax * plot_h  # noqa: E731
    title = f"“{result.query}”：提及的地区数（累计）与语料覆盖"
    out = _svg_open(width, height, title)
    for k in range(5):
        v = ymax * k / 4
        out.append(f'<line x1="{left}" y1="{y_of(v):.1f}" x2="{left + plot_w}" y2="{y_of(v):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y_of(v) + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    for j, p in enumerate(points):
        bar = step * 0.5
        out.append(f'<rect x="{x_of(j) - bar / 2:.1f}" y="{y_of(p.coverage):.1f}" width="{bar:.1f}" '
                   f'height="{top + plot_h - y_of(p.coverage):.1f}" fill="#e3e6ea"><title>{p.year}：语料中有报告的地区 '
                   f'{p.coverage}</title></rect>')
        out.append(f'<text x="{x_of(j):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{p.year}</text>')
        if not p.coverage:
            out.append(f'<text x="{x_of(j):.1f}" y="{top + 14}" text-anchor="middle" fill="#999">无报告</text>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#000"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#000"/>')
    for values, colour, dash, label in (
            ([p.covered_cumulative for p in points], "#777", ' stroke-dasharray="6 3"', "语料覆盖的地区（累计）"),
            ([p.cumulative for p in points], COLOURS[0], "", "已提及的地区（累计）")):
        coords = " ".join(f"{x_of(j):.1f},{y_of(v):.1f}" for j, v in enumerate(values))
        if len(values) > 1:
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{coords}"/>')
        for j, v in enumerate(values):
            out.append(f'<circle cx="{x_of(j):.1f}" cy="{y_of(v):.1f}" r="3" fill="{colour}"><title>'
                       f'{escape(label)} {points[j].year}: {v}</title></circle>')
    legend_y = top + plot_h + 40
    out.append(f'<line x1="{left}" y1="{legend_y}" x2="{left + 24}" y2="{legend_y}" stroke="{COLOURS[0]}" '
               f'stroke-width="2"/><text x="{left + 30}" y="{legend_y + 4}">已提及“{escape(result.query)}”的地区（累计）</text>')
    out.append(f'<line x1="{left}" y1="{legend_y + 16}" x2="{left + 24}" y2="{legend_y + 16}" stroke="#777" '
               f'stroke-width="2" stroke-dasharray="6 3"/><text x="{left + 30}" y="{legend_y + 20}">语料覆盖的地区（累计）</text>')
    out.append(f'<rect x="{left}" y="{legend_y + 27}" width="24" height="10" fill="#e3e6ea"/>'
               f'<text x="{left + 30}" y="{legend_y + 36}">当年语料中有报告的地区</text>')
    out.append("</svg>")
    return "\n".join(out)
