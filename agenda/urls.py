"""Absolute addresses, for feeds and e-mails: built from the configured BASE_URL, never from
the request's Host header (which a client chooses)."""

from flask import current_app, url_for


def base_url() -> str:
    """The site's address, without a trailing slash."""
    return current_app.config["BASE_URL"].rstrip("/")


def absolute(endpoint: str, **values) -> str:
    return base_url() + url_for(endpoint, **values)
