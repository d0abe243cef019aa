"""Absolute addresses, for feeds and e-mails: built from the configured BASE_URL, never from
the request's Host header (which a client chooses)."""

from urllib.parse import urlsplit

from flask import current_app, url_for


def base_url() -> str:
    """The site's address, without a trailing slash."""
    return current_app.config["BASE_URL"].rstrip("/")


def absolute(endpoint: str, **values) -> str:
    return base_url() + url_for(endpoint, **values)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect, never a broken header.

    Browsers drop tabs and newlines from a URL ("/\t/evil.example" goes off-site as
    "//evil.example"), so whitespace and control characters go first; then what is left must
    be a path with no scheme and no host.
    """
    if not target:
        return None
    target = "".join(c for c in target if c.isprintable() and not c.isspace())
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
