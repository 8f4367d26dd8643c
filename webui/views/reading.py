"""Reading: a paragraph's permalink page and a whole report, each with its JSON twin."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import NotFound

from searchlib.research.reuse import paragraph_summary
from searchlib.query.search import MAX_QUERY_CHARS, QueryError

from webui import present
from webui.params import ParamError, read_state
from webui.public import public_url
from webui.store import library

bp = Blueprint("reading", __name__)

MAX_ID_CHARS = 64   # ids are short hashes; anything longer cannot exist


def _query() -> str:
    """The query a reader came from (?q=), used only to highlight; an unusable one is ignored."""
    q = request.args.get("q", "")
    return q if len(q) <= MAX_QUERY_CHARS else ""


def _marked(text: str, q: str) -> Markup:
    # Library.highlighted escapes the text and adds only <mark>; the concepts' parts and thesaurus members are
    # marked as on the results page the reader came from.
    return Markup(library().highlighted(text, q, expanded=True)) if q.strip() else escape(text)


def paragraph_context(pid: str) -> dict:
    """A paragraph with its neighbours and its report; NotFound for an unknown pid."""
    stored = library().paragraph(pid) if len(pid) <= MAX_ID_CHARS else None
    if stored is None:
        doc_id = pid.rsplit("-", 1)[0] if "-" in pid else ""
        if doc_id and library().report(doc_id):
            missing = NotFound(f"报告 {doc_id} 中没有编号为 {pid} 的段落：这一段可能已在新版报告中修改。报告本身仍在，"
                               f"可在报告中找到它的新版本。")
            missing.link = (url_for("reading.report_page", doc_id=doc_id), "打开该报告")
            raise missing
        raise NotFound(f"没有编号为 {pid} 的段落。它可能来自已被替换的旧版报告，试试检索其中的文字。")
    paragraphs = library().report(stored["doc_id"])
    index = next(i for i, p in enumerate(paragraphs) if p["pid"] == pid)
    meta = present.report_meta(stored)
    record = present.paragraph_record(stored)
    permalink = public_url(f"/p/{pid}")
    return {
        "paragraph": record, "report": meta, "paragraph_total": len(paragraphs),
        "previous": present.paragraph_record(paragraphs[index - 1]) if index > 0 else None,
        "next": present.paragraph_record(paragraphs[index + 1]) if index + 1 < len(paragraphs) else None,
        "citation": present.citation(meta, record["paragraph_number"], permalink),
        "permalink": permalink,
        # "Also in N other reports"; {"available": false} when the reuse pass has not run on this index.
        "reuse": paragraph_summary(library().reuse_store(), pid, limit=current_app.config["REUSE_LIST_LIMIT"]),
    }


@bp.get("/p/<pid>")
def paragraph_page(pid: str):
    context = paragraph_context(pid)
    q = _query()
    return render_template("paragraph.html", q=q, marked=_marked(context["paragraph"]["text"], q), back=_back(q),
                           **context)


def _back(q: str) -> dict[str, str]:
    """The search a researcher came from (its filters, sort, view and page ride along on the link), for the way back;
    arguments that do not make a search are dropped rather than refused: the paragraph page is what was asked for."""
    try:
        state = read_state(request.args)
    except ParamError:
        return {"q": q} if q else {}
    return state.args(page=state.page)


@bp.get("/api/p/<pid>")
def api_paragraph(pid: str):
    context = paragraph_context(pid)
    q = _query()
    if q.strip():
        context["paragraph"]["highlighted"] = str(_marked(context["paragraph"]["text"], q))
    context["links"] = {
        "html": url_for("reading.paragraph_page", pid=pid, q=q or None),
        "report": url_for("reading.report_page", doc_id=context["report"]["doc_id"], q=q or None, _anchor=pid),
    }
    return jsonify(context)


def report_context(doc_id: str) -> dict:
    paragraphs = library().report(doc_id) if len(doc_id) <= MAX_ID_CHARS else []
    if not paragraphs:
        raise NotFound(f"没有编号为 {doc_id} 的报告。")
    meta = present.report_meta(paragraphs[0])
    return {"report": meta, "paragraph_total": len(paragraphs), "sections": present.outline(paragraphs),
            "citation": present.citation(meta, None, public_url(f"/d/{doc_id}")),
            "reuse": report_reuse(doc_id)}


def report_reuse(doc_id: str) -> dict:
    """The report's paragraphs that appear in other reports, by pid; {"available": false} without the pass.

    Each says how many other reports and the earliest; the list itself is on the
    paragraph's page (a template can be in a thousand reports).
    """
    store = library().reuse_store()
    if store is None:
        return {"available": False, "paragraphs": {}}
    return {"available": True,
            "paragraphs": {r.pid: {"shared_count": r.shared_count, "earliest": r.earliest.to_dict(),
                                   "url": f"/api/p/{r.pid}"}
                           for r in store.report_reuse(doc_id)}}


@bp.get("/d/<doc_id>")
def report_page(doc_id: str):
    context = report_context(doc_id)
    q = _query()
    marked = {p["pid"]: _marked(p.get("text", ""), q) for s in context["sections"] for p in s.paragraphs}
    matches = sum(1 for html in marked.values() if "<mark>" in html)
    return render_template("report.html", q=q, marked=marked, matches=matches, strict=_strict_count(q, doc_id),
                           back=_back(q), **context)


def _strict_count(q: str, doc_id: str) -> int:
    """How many of the report's paragraphs hold every concept as typed (0 for a query that cannot run)."""
    if not q.strip():
        return 0
    try:
        return len(library().strict_pids(q, doc_id))
    except QueryError:
        return 0


@bp.get("/api/d/<doc_id>")
def api_report(doc_id: str):
    context = report_context(doc_id)
    context["sections"] = [{"anchor": s.anchor, "heading": s.heading, "section_kind": s.kind,
                            "paragraphs": [present.paragraph_record(p) for p in s.paragraphs]}
                           for s in context["sections"]]
    context["links"] = {"html": url_for("reading.report_page", doc_id=doc_id)}
    return jsonify(context)
