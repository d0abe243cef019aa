"""Public pages and feeds from memory: the same for every anonymous visitor of a version.

A response is kept under what it shows: the address, the language, whether it is gzipped,
and the event's state (its content generation, bumped by publishing and by edits of what the
public reads, and its name, languages and formats). Each request reads that state from the
database (one small query), so every server process serves what the last change made, at
once; nothing else is kept between requests but these finished responses.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from threading import Lock

from flask import Flask, Response, g, request
from flask_login import current_user
from sqlalchemy import bindparam, select

from .extensions import db
from .models import Event

CACHEABLE = {"schedule.index", "schedule.session", "schedule.tables", "schedule.schedule_ics", "schedule.schedule_xml",
             "schedule.schedule_json"}
MAX_ENTRIES = 512
HTML_SECONDS = 60  # pages may show what time changes (an announcement that expires)


class ResponseCache:
    def __init__(self, size: int = MAX_ENTRIES):
        self.size = size
        self.entries: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self.lock = Lock()
        self.hits = self.misses = 0

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return entry

    def put(self, key, entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


STATE = select(Event.id, Event.content_generation, Event.name, Event.languages, Event.formats,
               Event.default_locale).where(Event.slug == bindparam("slug"))


def _state(slug: str):
    """The event's state, straight from a pooled connection (no ORM work: this runs on every hit)."""
    with db.engine.connect() as conn:
        row = conn.execute(STATE, {"slug": slug}).first()
    return tuple(row) if row is not None else None


def _key():
    if request.method != "GET" or request.endpoint not in CACHEABLE or current_user.is_authenticated:
        return None
    slug = (request.view_args or {}).get("slug")
    state = _state(slug) if slug and len(slug) <= 64 else None
    if state is None:
        return None
    from flask_babel import get_locale

    g.event_locale = state[5]  # the language choice may fall back on it (before the view knows the event)
    bucket = int(time.time() // HTML_SECONDS) if request.endpoint in ("schedule.index", "schedule.session") else 0
    return (request.full_path, str(get_locale()), "gzip" in request.headers.get("Accept-Encoding", ""),
            state[0], state[1], state[2], tuple(state[3] or ()), tuple(state[4] or ()), state[5], bucket)


def init_app(app: Flask) -> None:
    cache = ResponseCache()
    app.extensions["agenda_cache"] = cache

    @app.before_request
    def serve_cached():
        if not app.config.get("PUBLIC_CACHE", True):
            return None
        key = _key()
        g.cache_key = key
        if key is None:
            return None
        entry = cache.get(key)
        if entry is None:
            return None
        status, headers, body = entry
        g.cache_hit = True
        return Response(body, status=status, headers=headers).make_conditional(request)

    def store(response):
        key = g.get("cache_key")
        if key is None or g.get("cache_hit") or response.status_code != 200 or "Set-Cookie" in response.headers:
            return response
        if response.direct_passthrough or response.is_streamed:
            return response
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("content-length", "set-cookie")]
        cache.put(key, (200, headers, response.get_data()))
        return response

    # Registered first, so it runs last: what is kept is what was sent (headers set, gzipped).
    app.after_request_funcs.setdefault(None, []).insert(0, store)
