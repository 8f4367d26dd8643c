"""The researcher's web UI: a Flask application factory over searchlib's query layer.

Every page keeps its whole state in the URL and has a JSON twin under /api/.
The app only ever reads the index (see :mod:`webui.store`).
"""
from __future__ import annotations

from flask import Flask

from searchlib.config import default_index_dir
from webui.public import checked_base_url, default_base_url


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        INDEX_DIR=str(default_index_dir()),
        PAGE_SIZE=20,          # hits per HTML page (paragraph view)
        REPORT_PAGE_SIZE=10,   # reports per page (the default view), each with its best paragraphs
        MAX_PAGE=100,          # deeper than this, narrow the query or export instead
        EXPORT_LIMIT=5000,     # rows in one CSV/JSON export (search results, concordance lines)
        # A concordance marks every matching paragraph (texts and word ends from the index's files,
        # ~0.09 ms each at 20k paragraphs, against ~0.14 ms when it re-segmented Whoosh's stored
        # text): past this many it asks for a narrower query instead of making the page slow.
        KWIC_MAX_PARAGRAPHS=4000,
        KWIC_MAX_ROWS=1000,    # concordance lines on one page (and in /api/kwic); more go to /kwic.csv
        # "Also in N other reports": a template can be in thousands. A result lists the earliest
        # few and links to its paragraph page, which lists up to REUSE_LIST_LIMIT.
        REUSE_HIT_LIMIT=5,
        REUSE_LIST_LIMIT=500,
        # Open the index and read its facet columns when the app is created, so the first
        # researcher does not wait for it; a missing index is logged, and pages answer 503.
        OPEN_INDEX_EAGERLY=True,
        # The site's public address, for permalinks, citations and exports (see webui.public).
        BASE_URL=default_base_url(),
        TOOL_MAX_ROWS=1000,    # rows on one page of a research tool (indicators, compliance …); CSV/JSON give all
    )
    if config:
        app.config.update(config)
    app.config["BASE_URL"] = checked_base_url(app.config["BASE_URL"])
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from webui import errors, security, store
    from webui.views import exports, meta, reading, research, search, tools

    store.init_app(app)
    security.init_app(app)
    app.register_blueprint(search.bp)
    app.register_blueprint(reading.bp)
    app.register_blueprint(meta.bp)
    app.register_blueprint(research.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(tools.bp)
    errors.init_app(app)

    from webui import present
    app.jinja_env.filters.update(present.FILTERS)
    app.jinja_env.globals.update(present.GLOBALS)
    return app
