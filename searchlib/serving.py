"""Serving the app: gunicorn's worker processes on Linux, waitress's threads elsewhere.

The index is read through memory-mapped files and ``pread``, so worker processes share its pages through the page cache;
each keeps its own heap (query caches, facet columns). Python runs one thread at a time per process, so on several cores
processes answer more than threads: gunicorn starts one worker per core by default, each with a few threads for the
requests that wait on the disk. waitress (one process, pure Python, runs anywhere) stays for platforms without ``fork``
and for ``--server waitress``.
"""
from __future__ import annotations

import os
import signal
import socket

SERVERS = ("gunicorn", "waitress")
THREADS_PER_WORKER = 4
# A worker whose heartbeat stops this long is stuck (a thread holding the interpreter): gunicorn replaces it.
# (With threaded workers it is not a limit on one request; the requests themselves are bounded.)
WORKER_TIMEOUT_S = 30


def default_server() -> str:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return "waitress"
    return "gunicorn" if hasattr(os, "fork") else "waitress"


def default_workers() -> int:
    return os.cpu_count() or 1


def check_can_listen(host: str, port: int) -> None:
    """OSError (EADDRINUSE, EADDRNOTAVAIL …) when nothing could listen on host:port now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        probe.bind((host, port))


def run_gunicorn(app_config: dict, host: str, port: int, workers: int, threads: int) -> None:
    """Serve with gunicorn: ``workers`` processes of ``threads`` threads, each building its own app."""
    from gunicorn.app.base import BaseApplication

    class Searchlib(BaseApplication):
        def load_config(self) -> None:
            shown = f"[{host}]" if ":" in host else host
            for key, value in {"bind": f"{shown}:{port}", "workers": workers, "threads": threads,
                               "worker_class": "gthread", "timeout": WORKER_TIMEOUT_S, "graceful_timeout": 10,
                               "proc_name": "searchlib", "accesslog": None, "errorlog": "-",
                               # A query of MAX_QUERY_CHARS Chinese characters is ~4,500 bytes of URL: past
                               # gunicorn's default 4,094 it was refused in English (414) before the app saw it.
                               "limit_request_line": 8190,
                               "loglevel": "warning"}.items():
                self.cfg.set(key, value)

        def load(self):
            # In each worker, after the fork: no reader, thread or SQLite connection crosses it.
            from webui import create_app

            return create_app(app_config)

    Searchlib().run()


def run_waitress(app_config: dict, host: str, port: int, threads: int) -> None:
    import waitress

    from webui import create_app

    # Stop cleanly on SIGTERM (a service manager's stop), as gunicorn does, instead of dying by the signal.
    signal.signal(signal.SIGTERM, _stop)
    waitress.serve(create_app(app_config), host=host, port=port, threads=threads, ident="searchlib")


def _stop(signum, frame) -> None:
    raise SystemExit(0)
