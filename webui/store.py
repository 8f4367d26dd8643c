"""The one open index of an app, shared by the server's request threads.

The app only reads: it calls Library.search/paragraph/report/stats and never
anything that writes. The Library itself notices a rebuilt index and reopens.
A request holds one generation of the index from its first use of the library
until its response is sent (a streamed export included): every part of the page
comes from that generation, and an index job's swap does not close it meanwhile.
"""
from __future__ import annotations

import threading

from flask import Flask, current_app, g

from searchlib.index.indexing import IndexError_
from searchlib.ingest.places import gazetteer
from searchlib.query.search import Library

_EXTENSION = "searchlib_library"
_PIN = "searchlib_pinned_generation"
WARM_UP_DELAY_S = 3.0


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = {"library": None, "lock": threading.Lock()}
    app.teardown_appcontext(_let_go)
    if app.config.get("OPEN_INDEX_EAGERLY"):
        warm_up(app)


def warm_up(app: Flask) -> None:
    """Open the index and load what every search needs (stats() reads the facet columns); and, soon
    after, the division table the distribution view needs (1.9 s to load, which the first /stats of
    each server process waited for)."""
    with app.app_context():
        try:
            library().stats()
        except IndexError_ as exc:
            app.logger.warning("index not available yet: %s", exc)
    # A few seconds in: starting the server and its first answers do not wait on it.
    later = threading.Timer(WARM_UP_DELAY_S, gazetteer)
    later.daemon = True
    later.start()


def library() -> Library:
    """The app's Library, opened on first use (a missing index raises IndexError_ each time until it exists)."""
    slot = current_app.extensions[_EXTENSION]
    lib = slot["library"]
    if lib is None:
        with slot["lock"]:
            if slot["library"] is None:
                slot["library"] = Library(current_app.config["INDEX_DIR"])
            lib = slot["library"]
    if _PIN not in g:
        pin = lib.pinned()
        pin.__enter__()
        setattr(g, _PIN, pin)
    return lib


def _let_go(exc: BaseException | None) -> None:
    pin = g.pop(_PIN, None)
    if pin is not None:
        pin.__exit__(None, None, None)
