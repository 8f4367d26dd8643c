"""The researcher's web UI: a Flask application factory over searchlib's query layer."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from searchlib.config import default_index_dir


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(INDEX_DIR=str(default_index_dir()), JSON_AS_ASCII=False)
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False

    from webui import views

    app.register_blueprint(views.bp)
    views.register_error_handlers(app)
    return app
