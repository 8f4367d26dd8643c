"""Report-level exports: one row per report of a result set (beside /export.csv's one row per paragraph).

A researcher counting reports, not paragraphs (which reports mention 法律顾问, how often, where
to read the best passage) wants a report a row: its title, body, place, year and link, how many
of its paragraphs match, and its best paragraph's permalink. Grouping is the library's
(Results.groups); rows are searchlib.export's, so `searchlib search --group --csv` writes the same.
"""
from __future__ import annotations

import dataclasses

from flask import Blueprint, Response, current_app, jsonify, request

from searchlib.export import REPORT_COLUMNS, csv_bytes, report_row
from searchlib.query.search import MAX_LIMIT

from webui.params import SearchState
from webui.store import library
from webui.views.search import _export_headers, _export_state

bp = Blueprint("exports", __name__)


def report_rows(state: SearchState) -> tuple[list[dict], object]:
    """Every report of the query in result order (in tiers, or strict: by its best paragraph), up to
    EXPORT_LIMIT rows."""
    cap = current_app.config["EXPORT_LIMIT"]
    lib = library()
    grouped = dataclasses.replace(state, group="report")
    rows: list[dict] = []
    first = None
    while len(rows) < cap:
        chunk = min(MAX_LIMIT, cap - len(rows))
        results = lib.search(grouped.search_request(limit=chunk, offset=len(rows)))
        first = first or results
        rows.extend(report_row(group, lib.paragraph(group.best.pid) or {}, current_app.config["BASE_URL"])
                    for group in results.groups)
        if len(results.groups) < chunk:
            break
    return rows, first


def _headers(first, rows: list[dict], suffix: str) -> dict[str, str]:
    headers = _export_headers(first, suffix)
    headers["X-Exported-Rows"] = str(len(rows))
    headers["Content-Disposition"] = headers["Content-Disposition"].replace("searchlib-", "searchlib-reports-")
    headers["X-Total-Reports"] = str(first.total_groups)
    return headers


@bp.get("/export-reports.csv")
def export_reports_csv():
    rows, first = report_rows(_export_state())
    return Response(csv_bytes(REPORT_COLUMNS, rows), headers=_headers(first, rows, "csv"),
                    content_type="text/csv; charset=utf-8")


@bp.get("/export-reports.json")
def export_reports_json():
    rows, first = report_rows(_export_state())
    cap = current_app.config["EXPORT_LIMIT"]
    body = {"query": first.query, "understood": first.understood, "filters": first.filters, "sort": first.sort,
            "total": first.total, "total_reports": first.total_groups, "mode": first.mode, "tiers": first.tiers,
            "exported": len(rows), "export_limit": cap, "truncated": first.total_groups > len(rows),
            "columns": list(REPORT_COLUMNS), "rows": rows}
    response = jsonify(body)
    response.headers.update(_headers(first, rows, "json"))
    return response
