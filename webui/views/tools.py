"""Research tools over the same query and filters (issue 22): indicators, publication compliance,
term diffusion, collocates / frequency / keyness, similar passages.

Each view is thin: one data function in searchlib does the work; the view reads the URL
(webui.params), and the page, its JSON twin and its CSV twin are three renderings of one result.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from searchlib import compliance, indicators
from searchlib.query import QueryError

from webui import present
from webui.errors import error_response
from webui.params import ParamError, ToolState, read_choice, read_tool_state
from webui.store import library
from webui.views.research import _attachment
from webui.views.search import check_boilerplate

bp = Blueprint("tools", __name__)


@bp.app_errorhandler(indicators.IndicatorsMissing)
def indicators_missing(exc):
    return error_response(503, "当前索引没有指标表（索引建于指标功能之前，或指标清单已更改）。"
                               "请运行 `searchlib indicators --build`。")


def _csv(name: str, columns, records) -> Response:
    return Response(present.csv_bytes(columns, records), content_type="text/csv; charset=utf-8",
                    headers=_attachment(name, "csv"))


def _links(endpoint_html: str, endpoint_api: str, endpoint_csv: str | None, state: ToolState) -> dict:
    links = {"html": url_for(endpoint_html, **state.args()), "json": url_for(endpoint_api, **state.args())}
    if endpoint_csv:
        links["csv"] = url_for(endpoint_csv, **state.args())
    return links


# --- indicators ------------------------------------------------------------------------------

INDICATOR_VIEWS = ("rows", "table")


def indicator_state() -> ToolState:
    keys = ("",) + tuple(indicators.by_key())
    indicator = read_choice(request.args, "indicator", keys, "", "指标")
    view = read_choice(request.args, "view", INDICATOR_VIEWS, "rows", "显示方式")
    return read_tool_state(request.args, {"indicator": indicator, "view": view}, {"view": "rows"})


def indicator_rows(state: ToolState) -> list[indicators.Row]:
    check_boilerplate(state)
    return indicators.facts(library(), state.search_request(), state.options["indicator"] or None)


@bp.get("/indicators")
def indicators_page():
    state = indicator_state()
    rows = indicator_rows(state)
    table = None
    if state.options["view"] == "table" and state.options["indicator"]:
        table = indicators.pivot(rows, state.options["indicator"])
    cap = current_app.config["TOOL_MAX_ROWS"]
    return render_template("indicators.html", state=state, rows=rows[:cap], total=len(rows), cap=cap,
                           table=table, definitions=indicators.definitions(), q=state.q)


@bp.get("/api/indicators")
def api_indicators():
    state = indicator_state()
    rows = indicator_rows(state)
    body = {"query": state.q, "filters": state.filters, "boilerplate": state.boilerplate or None,
            "indicator": state.options["indicator"] or None, "total": len(rows),
            "rows": [r.to_dict() for r in rows],
            "indicators": [{k: v for k, v in i.to_dict().items()} for i in indicators.definitions()],
            "links": _links("tools.indicators_page", "tools.api_indicators", "tools.indicators_csv", state)}
    if state.options["indicator"]:
        body["table"] = indicators.pivot(rows, state.options["indicator"]).to_dict()
    return jsonify(body)


@bp.get("/indicators.csv")
def indicators_csv():
    state = indicator_state()
    rows = indicator_rows(state)
    root = request.host_url.rstrip("/")
    if state.options["view"] == "table" and state.options["indicator"]:
        table = indicators.pivot(rows, state.options["indicator"])
        columns = ["place"] + [str(y) if y is not None else "不详" for y in table.years]
        records = [{"place": p, **{str(y) if y is not None else "不详": "、".join(map(str, table.cells[(p, y)]))
                                   for y in table.years if (p, y) in table.cells}} for p in table.places]
        return _csv("indicators-table", columns, records)
    return _csv("indicators", indicators.CSV_COLUMNS, [{**r.to_dict(), "url": root + r.url} for r in rows])


# --- publication compliance ---------------------------------------------------------------------

def compliance_state() -> ToolState:
    deadline = (request.args.get("deadline", "") or compliance.DEFAULT_DEADLINE).strip()[:10]
    return read_tool_state(request.args, {"deadline": deadline}, {"deadline": compliance.DEFAULT_DEADLINE})


def compliance_result(state: ToolState) -> compliance.Compliance:
    check_boilerplate(state)
    try:
        return compliance.compliance(library(), state.search_request(), deadline=state.options["deadline"])
    except QueryError as exc:
        if "deadline" in str(exc):
            raise ParamError(f"截止日期 deadline 须为次年的“月-日”，如 04-01（收到 {state.options['deadline']!r}）。") \
                from None
        raise


@bp.get("/compliance")
def compliance_page():
    state = compliance_state()
    result = compliance_result(state)
    return render_template("compliance.html", state=state, result=result, q=state.q,
                           cap=current_app.config["TOOL_MAX_ROWS"])


@bp.get("/api/compliance")
def api_compliance():
    state = compliance_state()
    body = compliance_result(state).to_dict()
    body = {"query": state.q, "filters": state.filters, **body,
            "links": _links("tools.compliance_page", "tools.api_compliance", "tools.compliance_csv", state)}
    return jsonify(body)


@bp.get("/compliance.csv")
def compliance_csv():
    state = compliance_state()
    name = read_choice(request.args, "part", compliance.PARTS, "reports", "导出部分")
    columns, records = compliance.part(compliance_result(state), name)
    root = request.host_url.rstrip("/")
    for r in records:
        if "url" in r:
            r["url"] = root + r["url"]
    return _csv(f"compliance-{name}", columns, records)
