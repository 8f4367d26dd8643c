"""Routes. Every page's state is in its URL; /api/* are the JSON twins."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, render_template, request

from searchlib.indexing import IndexError_
from searchlib.query import QueryError
from searchlib.search import Library, SearchRequest

bp = Blueprint("web", __name__)

_libraries: dict[str, Library] = {}


def library() -> Library:
    """One open index per process, shared by the request threads."""
    index_dir = current_app.config["INDEX_DIR"]
    if index_dir not in _libraries:
        _libraries[index_dir] = Library(index_dir)
    return _libraries[index_dir]


def search_request() -> SearchRequest:
    args = request.args
    try:
        limit = int(args.get("limit", 10))
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        raise QueryError("page and limit must be whole numbers") from None
    return SearchRequest(q=args.get("q", ""), year=args.get("year"), province=args.get("province"),
                         city=args.get("city"), county=args.get("county"), level=args.get("level"),
                         body=args.get("body"), section=args.get("section"), genre=args.get("genre"),
                         sort=args.get("sort", "relevance"), limit=limit, offset=(page - 1) * limit)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok", **library().stats())


@bp.get("/api/search")
def api_search():
    return jsonify(library().search(search_request()).to_dict())


@bp.get("/")
@bp.get("/search")
def search_page():
    req = search_request()
    results = library().search(req) if req.q or req.filters() else None
    return render_template("search.html", req=req, results=results)


def register_error_handlers(app):
    @app.errorhandler(QueryError)
    def bad_query(exc):
        if request.path.startswith("/api/"):
            return jsonify(error=str(exc)), 400
        return render_template("error.html", message=str(exc)), 400

    @app.errorhandler(IndexError_)
    def no_index(exc):
        if request.path.startswith("/api/"):
            return jsonify(error=str(exc)), 503
        return render_template("error.html", message=str(exc)), 503
