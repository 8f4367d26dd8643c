"""Research views over the same query: concordance (/kwic) and distribution (/stats).

Both are thin: searchlib.research.kwic and searchlib.research.stats do the work; these views read
the URL, apply the page limits, and hand the library's records to a template,
a JSON twin and a CSV (UTF-8 with BOM, like /export.csv).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup

from searchlib.research import kwic, stats
from searchlib.query.search import SearchRequest, understood

from webui.errors import error_response
from webui.params import KwicState, ParamError, StatsState, read_kwic_state, read_stats_state
from webui.public import public_url
from webui.store import library
from webui.views.search import check_boilerplate

bp = Blueprint("research", __name__)


# --- concordance --------------------------------------------------------------------------

@dataclass
class Concordance:
    """What a concordance page shows: rows up to a cap, and what was left out and why."""
    understood: str
    paragraphs: int                  # matching paragraphs
    total: int                       # occurrences among them (0 when refused)
    rows: list[kwic.KwicRow]         # the first ``limit`` in the chosen order
    limit: int
    refused: bool = False            # too many paragraphs to re-segment for one page

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def concordance(state: KwicState, limit: int) -> Concordance:
    """The state's concordance; refused (no rows) when more paragraphs match than KWIC_MAX_PARAGRAPHS.

    Every matching paragraph is re-segmented to find its spans, so the work
    grows with the paragraphs, not with the rows shown: the cap is on them.
    """
    check_boilerplate(state)
    found = library().matching(state.search_request())
    reading = understood(found.tree)
    if len(found.docnums) > current_app.config["KWIC_MAX_PARAGRAPHS"]:
        return Concordance(reading, len(found.docnums), 0, [], limit, refused=True)
    rows = kwic.concordance_of(found, width=state.width, sort=state.sort)
    return Concordance(reading, len(found.docnums), len(rows), rows[:limit], limit)


def narrowing_years(state: KwicState) -> list[tuple[int, int]]:
    """(year, matching paragraphs) for a refused concordance: ways to narrow it to a page's worth."""
    if "year" in state.filters:
        return []
    facets = library().search(SearchRequest(q=state.q, limit=0, boilerplate=state.boilerplate or None,
                                            **state.filters)).facets
    return [(year, n) for year, n in facets.get("report_year", []) if isinstance(year, int)]


@bp.get("/kwic")
def kwic_page():
    state = read_kwic_state(request.args)
    if not state.q.strip():
        return render_template("kwic.html", state=state, table=None, years=[], limits=_kwic_limits())
    table = concordance(state, current_app.config["KWIC_MAX_ROWS"])
    return render_template("kwic.html", state=state, table=table, limits=_kwic_limits(),
                           years=narrowing_years(state) if table.refused else [])


@bp.get("/api/kwic")
def api_kwic():
    state = read_kwic_state(request.args)
    table = concordance(state, current_app.config["KWIC_MAX_ROWS"])
    return jsonify({
        "query": state.q, "understood": table.understood, "filters": state.filters,
        "boilerplate": state.boilerplate or None, "sort": state.sort, "width": state.width,
        "paragraphs": table.paragraphs, "total": table.total, "shown": len(table.rows), "limit": table.limit,
        "truncated": table.truncated, "refused": _refusal(table) if table.refused else None,
        "rows": [r.to_dict() for r in table.rows],
        "links": {"html": url_for("research.kwic_page", **state.args()),
                  "csv": url_for("research.kwic_csv", **state.args())},
    })


@bp.get("/kwic.csv")
def kwic_csv():
    state = read_kwic_state(request.args)
    table = concordance(state, current_app.config["EXPORT_LIMIT"])
    if table.refused:
        return error_response(400, _refusal(table))
    # Public URLs from the configured base URL, never from the request's Host header.
    body = kwic.to_csv(table.rows, base_url=current_app.config["BASE_URL"]).encode("utf-8")
    return Response(body, content_type="text/csv; charset=utf-8",
                    headers={**_attachment("kwic", "csv"), "X-Total-Rows": str(table.total),
                             "X-Exported-Rows": str(len(table.rows)),
                             "X-Export-Limit": str(current_app.config["EXPORT_LIMIT"])})


def _refusal(table: Concordance) -> str:
    cap = current_app.config["KWIC_MAX_PARAGRAPHS"]
    return (f"该检索匹配 {table.paragraphs} 段，超过索引行一次可处理的 {cap} 段。"
            "请加年份、地区等筛选条件，或换用更具体的检索词。")


def _kwic_limits() -> dict[str, int]:
    return {"paragraphs": current_app.config["KWIC_MAX_PARAGRAPHS"], "rows": current_app.config["KWIC_MAX_ROWS"],
            "export": current_app.config["EXPORT_LIMIT"]}


def _attachment(name: str, suffix: str) -> dict[str, str]:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return {"Content-Disposition": f'attachment; filename="searchlib-{name}-{stamp}.{suffix}"'}


# --- distribution -------------------------------------------------------------------------

def distribution(state: StatsState) -> stats.Distribution:
    return stats.distribution(library(), list(state.queries), by=state.by, filters=state.filters)


@bp.get("/stats")
def stats_page():
    state = read_stats_state(request.args)
    if not state.queries:
        return render_template("stats.html", state=state, table=None, chart=None)
    table = distribution(state)
    # stats.to_svg escapes every label and query; the chart is markup, not a script (the CSP allows it).
    chart = Markup(stats.to_svg(table, metric=state.metric))
    return render_template("stats.html", state=state, table=table, chart=chart)


@bp.get("/stats.svg")
def stats_svg():
    state = read_stats_state(request.args)
    _require_queries(state)
    svg = stats.to_svg(distribution(state), metric=state.metric)
    return Response(svg, content_type="image/svg+xml; charset=utf-8", headers=_inline("stats", "svg"))


@bp.get("/stats.csv")
def stats_csv():
    state = read_stats_state(request.args)
    _require_queries(state)
    return Response(stats.to_csv(distribution(state)).encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers=_attachment("stats", "csv"))


@bp.get("/api/stats")
def api_stats():
    state = read_stats_state(request.args)
    _require_queries(state)
    data = distribution(state).to_dict()
    data["links"] = {"html": url_for("research.stats_page", **state.args()),
                     "csv": url_for("research.stats_csv", **state.args()),
                     "svg": url_for("research.stats_svg", **state.args())}
    return jsonify(data)


def _require_queries(state: StatsState) -> None:
    if not state.queries:
        raise ParamError("请至少给出一个检索式：/stats?q=行政复议，比较多个用 q=…&q=…（至多 4 个）。")


def _inline(name: str, suffix: str) -> dict[str, str]:
    return {"Content-Disposition": f'inline; filename="searchlib-{name}.{suffix}"'}
