"""Every failure ends in a page a researcher can act on (or JSON for /api), never a traceback."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from searchlib.index.indexing import IndexError_
from searchlib.index.storage import REBUILD_COMMAND, IndexDamaged, IndexOutdated, cut_short
from searchlib.query.parse import QueryError

from webui.messages import zh
from webui.params import ParamError

TITLES = {400: "无法执行该请求", 404: "找不到该页面", 405: "不支持该请求方式", 500: "服务器内部错误",
          503: "索引暂不可用"}


def wants_json() -> bool:
    path = request.path
    return path.startswith("/api/") or path in ("/healthz", "/export.json", "/export-reports.json")


def error_response(status: int, message: str, detail: str | None = None, link: tuple[str, str] | None = None):
    """The page (or JSON) of a failure; ``detail`` is the library's own English words, for the JSON; ``link``
    (URL, label) the way on, where there is one."""
    if wants_json():
        body = {"error": message, "status": status}
        if detail:
            body["detail"] = detail
        if link:
            body["link"] = link[0]
        if request.path == "/healthz":
            body["status"] = "error"
        return jsonify(body), status
    return render_template("error.html", status=status, title=TITLES.get(status, "出错了"), message=message,
                           link=link, q=request.args.get("q", "")), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ParamError)
    def bad_param(exc):
        return error_response(400, str(exc))

    @app.errorhandler(QueryError)
    def bad_query(exc):
        return error_response(400, f"无法执行该检索：{zh(exc)}", detail=str(exc))

    @app.errorhandler(IndexError_)
    def no_index(exc):
        app.logger.error("index unavailable: %s", exc)
        if isinstance(exc, (IndexOutdated, IndexDamaged)):  # waiting will not help: it must be rebuilt
            return error_response(503, f"索引需要重建后才能使用，请管理员运行 `{REBUILD_COMMAND}`。（{exc}）")
        return error_response(503, f"索引暂不可用，请稍后再试或联系管理员。（{exc}）")

    @app.errorhandler(InternalServerError)
    def internal(exc):
        # Flask has already logged the original exception with its traceback; the page shows none of it.
        if cut_short(getattr(exc, "original_exception", None) or exc):
            return error_response(503, f"索引已损坏（有文件不完整），需要重建：请管理员运行 `{REBUILD_COMMAND}`。")
        return error_response(500, "服务器处理该请求时出错，已记录在日志中。请稍后重试，或换一种检索方式。")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        messages = {404: exc.description if exc.description and not exc.description.startswith("The requested URL")
                    else "这个地址没有对应的页面。", 405: "该地址不支持这种请求方式。"}
        return error_response(exc.code or 500, messages.get(exc.code, exc.description or "请求出错。"),
                              link=getattr(exc, "link", None))
