"""The public address of the site, from configuration: never from the request.

Permalinks, citations and exported rows carry absolute URLs that a researcher
pastes into a paper or a spreadsheet. They are built from ``BASE_URL`` (set by
``searchlib serve --base-url`` or ``$SEARCHLIB_BASE_URL``, else the address the
server listens on), not from the request's Host header, which any client can
forge (``curl -H 'Host: evil.example'`` put http://evil.example/p/… into citations).
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import current_app

ENV_BASE_URL = "SEARCHLIB_BASE_URL"


class BaseUrlError(ValueError):
    """A base URL that cannot be the site's public address."""


def checked_base_url(raw: str) -> str:
    """``raw`` as http(s)://host[:port]/[prefix/] with one trailing slash; BaseUrlError otherwise."""
    text = (raw or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or any(c.isspace() for c in text):
        raise BaseUrlError(f"base URL {raw!r} is not an http(s) address like https://search.example.org/; "
                           "give one with --base-url or $SEARCHLIB_BASE_URL")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise BaseUrlError(f"base URL {raw!r} has a port that is not a number") from None
    return text.rstrip("/") + "/"


def default_base_url(host: str = "127.0.0.1", port: int = 8000) -> str:
    """``$SEARCHLIB_BASE_URL`` if set, else the address served."""
    configured = os.environ.get(ENV_BASE_URL)
    if configured:
        return configured
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def public_url(path: str) -> str:
    """The absolute public URL of a path on this site (``/p/<pid>`` -> ``https://…/p/<pid>``)."""
    return current_app.config["BASE_URL"] + path.lstrip("/")
