"""Search: the results page, its JSON twin and the CSV/JSON export of a whole result set."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import replace

from flask import Blueprint, Response, current_app, jsonify, render_template, request, stream_with_context, url_for
from werkzeug.exceptions import NotFound

from searchlib.export import csv_head, csv_rows, paragraph_row
from searchlib.query.search import MAX_LIMIT, QueryError, SearchRequest
from searchlib.query.suggest import suggest

from webui import present
from webui.messages import zh
from webui.params import ParamError, SearchState, read_state
from webui.public import public_url
from webui.store import library

bp = Blueprint("search", __name__)


def page_count(results, state: SearchState) -> int:
    """Pages a researcher can reach: all of them (reports, or paragraphs), up to the page-depth limit."""
    total = results.total_groups if results.groups is not None else results.total
    return max(1, min(math.ceil(total / state.limit), current_app.config["MAX_PAGE"]))


def page_window(page: int, pages: int, spread: int = 3) -> list[int | None]:
    """Page numbers to show: first, last, and a few around the current one (None marks a gap)."""
    shown = sorted({1, pages, *range(max(1, page - spread), min(pages, page + spread) + 1)})
    out: list[int | None] = []
    for number in shown:
        if out and number - out[-1] > 1:
            out.append(None)
        out.append(number)
    return out


@bp.get("/")
@bp.get("/search")
def search_page():
    try:
        state = read_state(request.args)
    except ParamError as exc:
        return _search_error(str(exc))
    if not state.active:
        return _home(state)
    try:
        check_boilerplate(state)
        results = library().search(state.search_request())
    except ParamError as exc:
        return _search_error(str(exc), state)
    except QueryError as exc:
        return _search_error(zh(exc), state)   # the notice's heading already says 无法执行该检索
    pages = page_count(results, state)
    return render_template(
        "search.html", state=state, results=results, facets=present.facets(results, state),
        reuse=present.reuse_of(library().reuse_store(), _shown_pids(results), current_app.config["REUSE_HIT_LIMIT"]),
        chips=present.chips(state), groups=results.groups, tier_line=present.tier_line(results),
        concepts=present.concept_notes(results, state), facet_unit=present.facet_unit(results),
        pages=pages, window=page_window(state.page, pages), export_args=_export_args(state),
        suggestions=present.suggestion_items(suggest(library(), state.search_request(), results), state),
        export_limit=current_app.config["EXPORT_LIMIT"], stale_dictionary=library().dictionary_changed())


def _shown_pids(results) -> list[str]:
    """Every paragraph the page shows: the hits, or each report's best paragraphs."""
    if results.groups is None:
        return [h.pid for h in results.hits]
    return [h.pid for g in results.groups for h in g.paragraphs]


NO_REUSE_MESSAGE = ("本索引尚未计算文本复用（管理员可运行 searchlib reuse --build），暂不能按模板段落筛选。"
                    "点击上方“模板段落”标签的 × 去掉这一条件即可检索。")


def check_boilerplate(state: SearchState) -> None:
    """A boilerplate filter needs the reuse pass; without it, say so in the researcher's words."""
    if state.boilerplate and library().reuse_store() is None:
        raise ParamError(NO_REUSE_MESSAGE)


def _home(state: SearchState):
    """No query yet: what the library holds, with the facets as ways in."""
    overview = library().search(SearchRequest(limit=0))
    # Plans, notices and news are in the corpus too: the count of reports does not hold them.
    others = library().search(SearchRequest(genre="other", group=True, mode="strict", limit=0)).total_reports
    return render_template("home.html", state=state, results=overview, facets=present.facets(overview, state),
                           stats=library().stats(), others=others, examples=HOME_EXAMPLES)


def _search_error(message: str, state: SearchState | None = None):
    state = state or SearchState(q=request.args.get("q", ""))
    return render_template("search.html", state=state, results=None, error=message, facets=[], reuse={},
                           chips=present.chips(state), groups=None, pages=1, window=[], suggestions=[],
                           tier_line="", concepts=[],
                           export_args={}, export_limit=current_app.config["EXPORT_LIMIT"]), 400


HOME_EXAMPLES = (
    ("行政复议 纠错", "两个词都出现"),
    ('"出庭应诉率"', "原文精确出现"),
    ("行政复议 /s 纠错", "两个词在同一句中"),
    ("复议 OR 诉讼", "任一个词"),
    ("执法 章节:存在问题", "只看“存在问题”部分"),
    ("年份:2021 层级:县级 法律顾问", "2021 年县级报告"),
)


@bp.get("/api/search")
def api_search():
    if "offset" in request.args:
        # Silently ignored, it served page 1 to a client that asked for another.
        raise ParamError("接口按 page 与 limit 翻页（偏移 = (page−1)×limit），不接受 offset 参数。")
    state = read_state(request.args)   # ParamError -> 400 JSON (webui.errors)
    check_boilerplate(state)
    results = library().search(state.search_request())
    data = present.search_json(results, library().reuse_store(), current_app.config["REUSE_HIT_LIMIT"])
    pages = page_count(results, state)
    data["page"], data["pages"] = state.page, pages
    suggestions = suggest(library(), state.search_request(), results)
    data["suggestions"] = [s.to_json() for s in suggestions]   # the CLI's shape
    data["links"] = {
        "html": url_for("search.search_page", **state.args(page=state.page)),
        "next": url_for("search.api_search", **state.args(page=state.page + 1)) if state.page < pages else None,
        "csv": url_for("search.export_csv", **_export_args(state)),
        "kwic": url_for("research.kwic_page", **state.same_query()),
        "stats": url_for("research.stats_page", **state.same_query()),
        # each suggestion's page, in the order of data["suggestions"] (every filter and choice kept)
        "suggestions": [url_for("search.search_page", **state.args(q=s.q, **s.changes)) for s in suggestions],
    }
    return jsonify(data)


def export_chunks(state: SearchState) -> tuple[object, Iterator[list[dict]]]:
    """The first Results of the query (for totals; a bad query raises here, before any byte is sent),
    and every hit in result order as export rows, up to EXPORT_LIMIT, a chunk of MAX_LIMIT at a time.

    The rows are produced while the response is sent: the first bytes leave after one chunk
    (at 20k paragraphs, 5,000 rows of "法" took 2.3 s to build before the first byte).
    """
    cap = current_app.config["EXPORT_LIMIT"]
    lib = library()
    first = lib.search(replace(state.search_request(limit=min(MAX_LIMIT, cap), offset=0), snippets=False))
    base_url = current_app.config["BASE_URL"]   # public URLs from configuration, never the Host header

    def chunks() -> Iterator[list[dict]]:
        reports: dict[str, dict] = {}   # doc_id -> one stored paragraph, for report-level fields hits lack
        results, done = first, 0
        while True:
            rows = []
            for hit in results.hits:
                if hit.doc_id not in reports:
                    reports[hit.doc_id] = lib.paragraph(hit.pid) or {}
                rows.append(paragraph_row(hit, reports[hit.doc_id], base_url))
            yield rows
            done += len(rows)
            if len(rows) < results.limit or done >= cap:
                return
            results = lib.search(replace(state.search_request(limit=min(MAX_LIMIT, cap - done), offset=done),
                                         snippets=False))

    return first, chunks()


def _export_args(state: SearchState) -> dict[str, str]:
    """An export covers the whole result set: no page, page size or grouping in its URL."""
    return {k: v for k, v in state.args().items() if k not in ("page", "limit", "group")}


def _export_state() -> SearchState:
    state = read_state(request.args)
    check_boilerplate(state)
    # A paragraph export holds every paragraph that matches strictly, whatever view the page showed; a report
    # export (webui.views.exports) the reports in the page's mode.
    return SearchState(q=state.q, filters=state.filters, sort=state.sort, boilerplate=state.boilerplate,
                       group="paragraph", mode=state.mode)


def _exported(first) -> int:
    """How many rows an export of these results holds (sent before the rows are made)."""
    return min(first.total, current_app.config["EXPORT_LIMIT"])


def _export_headers(first, suffix: str) -> dict[str, str]:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return {"Content-Disposition": f'attachment; filename="searchlib-{stamp}.{suffix}"',
            "X-Total-Hits": str(first.total), "X-Exported-Rows": str(_exported(first)),
            "X-Export-Limit": str(current_app.config["EXPORT_LIMIT"])}


@bp.get("/export.csv")
def export_csv():
    first, chunks = export_chunks(_export_state())

    def body() -> Iterator[bytes]:
        yield csv_head(present.EXPORT_COLUMNS)
        for rows in chunks:
            yield csv_rows(present.EXPORT_COLUMNS, rows)

    return Response(stream_with_context(body()), headers=_export_headers(first, "csv"),
                    content_type="text/csv; charset=utf-8")


@bp.get("/cite.<fmt>")
def export_citations(fmt: str):
    """Citations of chosen paragraphs (?pid=…, repeated) or of every hit of a query, in GB/T 7714
    text (.txt), RIS (.ris) or BibTeX (.bib); each cites the page's original URL when it is known."""
    if fmt not in present.CITATION_FORMATS:
        raise NotFound(f"没有 {fmt} 格式的引文导出；可用 txt、ris、bib。")
    content_type, entry = present.CITATION_FORMATS[fmt]
    lib = library()
    pids = request.args.getlist("pid")
    if pids:
        stored = [lib.paragraph(pid) if len(pid) <= 64 else None for pid in pids[:current_app.config["EXPORT_LIMIT"]]]
        missing = [pid for pid, found in zip(pids, stored) if found is None]
        if missing:
            raise NotFound(f"没有编号为 {missing[0]} 的段落。")
        headers = {}
    else:
        first, chunks = export_chunks(_export_state())
        stored = [lib.paragraph(row["pid"]) or {} for rows in chunks for row in rows]
        headers = _export_headers(first, fmt)
    # Public URLs from configuration, never from the request's Host header.
    base_url = current_app.config["BASE_URL"]
    body = "\n".join(entry(present.report_meta(s), s.get("position", 0) + 1, f"{base_url}p/{s['pid']}")
                     for s in stored if s)
    headers.setdefault("Content-Disposition", f'attachment; filename="searchlib-citations.{fmt}"')
    return Response(body.encode("utf-8"), headers=headers, content_type=content_type)


@bp.get("/export.json")
def export_json():
    first, chunks = export_chunks(_export_state())
    cap = current_app.config["EXPORT_LIMIT"]
    head = {"query": first.query, "understood": first.understood, "filters": first.filters, "sort": first.sort,
            "total": first.total, "exported": _exported(first), "export_limit": cap,
            "truncated": first.total > _exported(first), "columns": list(present.EXPORT_COLUMNS)}
    dumps = current_app.json.dumps

    def body() -> Iterator[bytes]:
        # One JSON object, written as it is made: the head, then the rows.
        yield (dumps(head)[:-1] + ', "rows": [').encode("utf-8")
        separator = ""
        for rows in chunks:
            for row in rows:
                yield (separator + dumps(row)).encode("utf-8")
                separator = ", "
        yield b"]}"

    return Response(stream_with_context(body()), headers=_export_headers(first, "json"),
                    content_type="application/json")
