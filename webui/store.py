"""The one open index of an app, shared by waitress's request threads.

The app only reads: it calls Library.search/paragraph/report/stats and never
anything that writes. The Library itself notices a rebuilt index and reopens.
"""
from __future__ import annotations

import threading

from flask import Flask, current_app

from searchlib.indexing import IndexError_
from searchlib.search import Library

_EXTENSION = "searchlib_library"


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = {"library": None, "lock": threading.Lock()}
    if app.config.get("OPEN_INDEX_EAGERLY"):
        warm_up(app)


def warm_up(app: Flask) -> None:
    """Open the index and load what every search needs (stats() reads the facet columns)."""
    with app.app_context():
        try:
            library().stats()
        except IndexError_ as exc:
            app.logger.warning("index not available yet: %s", exc)


def library() -> Library:
    """The app's Library, opened on first use (a missing index raises IndexError_ each time until it exists)."""
    slot = current_app.extensions[_EXTENSION]
    lib = slot["library"]
    if lib is None:
        with slot["lock"]:
            if slot["library"] is None:
                slot["library"] = Library(current_app.config["INDEX_DIR"])
            lib = slot["library"]
    return lib
