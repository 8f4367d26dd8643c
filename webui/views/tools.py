"""Research tools over the same query and filters (issue 22): indicators, publication compliance,
term diffusion, collocates / frequency / keyness, similar passages.

Each view is thin: one data function in searchlib does the work; the view reads the URL
(webui.params), and the page, its JSON twin and its CSV twin are three renderings of one result.
"""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup

from searchlib.research import compliance, diffusion, indicators, similar, wordstats
from searchlib.export import with_absolute_urls
from searchlib.query.parse import QueryError
from searchlib.query.search import MAX_QUERY_CHARS, SearchRequest

from webui import present
from webui.errors import error_response
from webui.params import (FILTER_PARAMS, MAX_PARAM_CHARS, ParamError, ToolState, read_bounded, read_choice,
                          read_tool_state)
from webui.store import library
from webui.views.research import _attachment
from webui.views.search import check_boilerplate

bp = Blueprint("tools", __name__)


@bp.app_errorhandler(indicators.IndicatorsMissing)
def indicators_missing(exc):
    return error_response(503, "当前索引没有指标表（索引建于指标功能之前，或指标清单已更改）。"
                               "请运行 `searchlib indicators --build`。")


def _csv(name: str, columns, records) -> Response:
    """A tool's CSV twin, as `searchlib <tool> --csv --base-url` writes it: its links absolute under the
    configured public address (never the request's Host header, which any client can forge)."""
    records = with_absolute_urls(records, current_app.config["BASE_URL"])
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
    if state.options["view"] == "table" and state.options["indicator"]:
        return _csv("indicators-table", *indicators.pivot_records(indicators.pivot(rows, state.options["indicator"])))
    return _csv("indicators", indicators.CSV_COLUMNS, [r.to_dict() for r in rows])


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
    return _csv(f"compliance-{name}", *compliance.part(compliance_result(state), name))


# --- term diffusion --------------------------------------------------------------------------------

def diffusion_state() -> ToolState:
    by = read_choice(request.args, "by", diffusion.BY, "province", "地区层级")
    return read_tool_state(request.args, {"by": by}, {"by": "province"})


def diffusion_result(state: ToolState) -> diffusion.Diffusion:
    check_boilerplate(state)
    if not state.q.strip():
        raise ParamError("请给出一个检索式：/diffusion?q=枫桥经验")
    if state.options["by"] != "province" and not state.filters.get("province"):
        raise ParamError("按城市或区县查看扩散时，请先选定一个省份（province=…）。")
    return diffusion.diffusion(library(), state.search_request(), by=state.options["by"])


@bp.get("/diffusion")
def diffusion_page():
    state = diffusion_state()
    if not state.q.strip():
        return render_template("diffusion.html", state=state, result=None, chart=None, q="")
    result = diffusion_result(state)
    # diffusion.to_svg escapes the query and every label: markup, not a script (the CSP allows it).
    return render_template("diffusion.html", state=state, result=result, chart=Markup(diffusion.to_svg(result)),
                           q=state.q)


@bp.get("/api/diffusion")
def api_diffusion():
    state = diffusion_state()
    body = diffusion_result(state).to_dict()
    links = _links("tools.diffusion_page", "tools.api_diffusion", "tools.diffusion_csv", state)
    links["svg"] = url_for("tools.diffusion_svg", **state.args())
    return jsonify({**body, "links": links})


@bp.get("/diffusion.csv")
def diffusion_csv():
    state = diffusion_state()
    result = diffusion_result(state)
    if request.args.get("part") == "years":
        return _csv("diffusion-years", diffusion.YEAR_COLUMNS, diffusion.year_records(result))
    return _csv("diffusion", diffusion.CSV_COLUMNS, diffusion.place_records(result))


@bp.get("/diffusion.svg")
def diffusion_svg():
    state = diffusion_state()
    return Response(diffusion.to_svg(diffusion_result(state)), content_type="image/svg+xml; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="searchlib-diffusion.svg"'})


# --- words: frequency, keyness, collocates -----------------------------------------------------------

def _word_options(extra: dict | None = None, defaults: dict | None = None) -> ToolState:
    limit = read_bounded(request.args, "limit", wordstats.DEFAULT_LIMIT, 1, wordstats.MAX_LIMIT, "列出的词数")
    min_chars = read_bounded(request.args, "min_chars", 1, 1, 4, "最短词长")
    return read_tool_state(request.args, {"limit": limit, "min_chars": min_chars, **(extra or {})},
                           {"limit": wordstats.DEFAULT_LIMIT, "min_chars": 1, **(defaults or {})})


@bp.get("/frequency")
def frequency_page():
    state = _word_options()
    result = _frequency(state)
    return render_template("words.html", view="frequency", state=state, result=result, q=state.q)


@bp.get("/api/frequency")
def api_frequency():
    state = _word_options()
    return jsonify({"query": state.q, "filters": state.filters, **_frequency(state).to_dict(),
                    "links": _links("tools.frequency_page", "tools.api_frequency", "tools.frequency_csv", state)})


@bp.get("/frequency.csv")
def frequency_csv():
    state = _word_options()
    return _csv("frequency", wordstats.FREQUENCY_COLUMNS, [asdict(w) for w in _frequency(state).words])


def _frequency(state: ToolState) -> wordstats.Frequency:
    check_boilerplate(state)
    return wordstats.frequency(library(), state.search_request(), limit=state.options["limit"],
                               min_chars=state.options["min_chars"])


REFERENCE_PARAMS = tuple(f"ref_{name}" for name in ("q",) + FILTER_PARAMS)


def keyness_state() -> ToolState:
    reference = {}
    for name in REFERENCE_PARAMS:
        value = request.args.get(name, "").strip()
        if len(value) > (MAX_QUERY_CHARS if name == "ref_q" else MAX_PARAM_CHARS):
            raise ParamError(f"对照语料的条件 {name} 过长。")
        reference[name] = value
    return _word_options(reference, dict.fromkeys(REFERENCE_PARAMS, ""))


def _keyness(state: ToolState) -> wordstats.Keyness:
    check_boilerplate(state)
    given = {k[4:]: v for k, v in state.options.items() if k in REFERENCE_PARAMS and v}
    reference = SearchRequest(**given) if given else None
    if not state.active and reference is None:
        raise ParamError("请指定要比较的部分：例如 /keyness?year=2021&ref_year=2019，"
                         "或 /keyness?section=problems&ref_section=achievements（不给对照则与其余全部语料比较）。")
    return wordstats.keyness(library(), state.search_request(), reference, limit=state.options["limit"],
                             min_chars=state.options["min_chars"])


@bp.get("/keyness")
def keyness_page():
    state = keyness_state()
    result = _keyness(state) if (state.active or any(state.options[k] for k in REFERENCE_PARAMS)) else None
    return render_template("words.html", view="keyness", state=state, result=result, q=state.q)


@bp.get("/api/keyness")
def api_keyness():
    state = keyness_state()
    return jsonify({"query": state.q, "filters": state.filters,
                    "reference": {k[4:]: v for k, v in state.options.items() if k in REFERENCE_PARAMS and v},
                    **_keyness(state).to_dict(),
                    "links": _links("tools.keyness_page", "tools.api_keyness", "tools.keyness_csv", state)})


@bp.get("/keyness.csv")
def keyness_csv():
    state = keyness_state()
    return _csv("keyness", wordstats.KEYNESS_COLUMNS, [asdict(w) for w in _keyness(state).words])


def collocates_state() -> ToolState:
    span = read_bounded(request.args, "span", wordstats.DEFAULT_SPAN, 1, wordstats.MAX_SPAN, "窗口")
    sort = read_choice(request.args, "sort", wordstats.COLLOCATE_SORTS, "ll", "排序方式")
    min_together = read_bounded(request.args, "min", 2, 1, 100, "最少共现次数")
    return _word_options({"span": span, "sort": sort, "min": min_together},
                         {"span": wordstats.DEFAULT_SPAN, "sort": "ll", "min": 2})


def _collocates(state: ToolState) -> wordstats.Collocates:
    check_boilerplate(state)
    if not state.q.strip():
        raise ParamError("请给出一个检索式：/collocates?q=行政复议")
    return wordstats.collocates(library(), state.search_request(), span=state.options["span"],
                                sort=state.options["sort"], limit=state.options["limit"],
                                min_together=state.options["min"])


@bp.get("/collocates")
def collocates_page():
    state = collocates_state()
    result = _collocates(state) if state.q.strip() else None
    return render_template("words.html", view="collocates", state=state, result=result, q=state.q)


@bp.get("/api/collocates")
def api_collocates():
    state = collocates_state()
    return jsonify({"filters": state.filters, **_collocates(state).to_dict(),
                    "links": _links("tools.collocates_page", "tools.api_collocates", "tools.collocates_csv", state)})


@bp.get("/collocates.csv")
def collocates_csv():
    state = collocates_state()
    return _csv("collocates", wordstats.COLLOCATE_COLUMNS, [asdict(c) for c in _collocates(state).collocates])


# --- similar passages ------------------------------------------------------------------------------

def similar_state() -> ToolState:
    text = request.values.get("text", "")
    if len(text) > similar.MAX_TEXT_CHARS:
        raise ParamError(f"粘贴的段落过长：共 {len(text)} 字，上限 {similar.MAX_TEXT_CHARS} 字。")
    pid = request.values.get("pid", "").strip()[:100]
    order = read_choice(request.values, "order", similar.ORDERS, "similarity", "排序方式")
    limit = read_bounded(request.values, "limit", similar.DEFAULT_LIMIT, 1, 200, "条数")
    minimum = request.values.get("min", "") or str(similar.DEFAULT_MIN_SIMILARITY)
    try:
        min_similarity = float(minimum)
    except ValueError:
        raise ParamError(f"最低相似度 min 须为 0 到 1 之间的数（收到 {minimum[:20]!r}）。") from None
    if not 0 <= min_similarity <= 1:
        raise ParamError("最低相似度 min 须在 0 到 1 之间。")
    return read_tool_state(request.values, {"text": text, "pid": pid, "order": order, "limit": limit,
                                            "min": min_similarity},
                           {"order": "similarity", "limit": similar.DEFAULT_LIMIT,
                            "min": similar.DEFAULT_MIN_SIMILARITY})


def _similar(state: ToolState) -> similar.Similar:
    check_boilerplate(state)
    if not (state.options["text"].strip() or state.options["pid"]):
        raise ParamError("请粘贴一段文字（text=…），或给出段落编号（pid=…）。")
    try:
        return similar.similar(library(), state.search_request(), text=state.options["text"],
                               pid=state.options["pid"] or None, limit=state.options["limit"],
                               min_similarity=state.options["min"], order=state.options["order"])
    except QueryError as exc:
        if "no paragraph with pid" in str(exc):
            raise ParamError(f"索引中没有段落 {state.options['pid']}。") from None
        raise


# A passage longer than this goes by POST, and so do its exports: its URL would pass what a server reads of one
# (8 KB; a Chinese character is 9 bytes of URL).
SIMILAR_GET_MAX_CHARS = 600


@bp.route("/similar", methods=["GET", "POST"])
def similar_page():
    state = similar_state()
    active = bool(state.options["text"].strip() or state.options["pid"])
    return render_template("similar.html", state=state, result=_similar(state) if active else None, q="",
                           long_text=SIMILAR_GET_MAX_CHARS)


@bp.route("/api/similar", methods=["GET", "POST"])
def api_similar():
    state = similar_state()
    return jsonify({"filters": state.filters, "order": state.options["order"], **_similar(state).to_dict()})


@bp.route("/similar.csv", methods=["GET", "POST"])
def similar_csv():
    state = similar_state()
    return _csv("similar", similar.CSV_COLUMNS, [p.to_dict() for p in _similar(state).passages])
