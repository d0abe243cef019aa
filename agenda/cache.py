"""Public pages and feeds from memory: the same for every anonymous visitor of a version.

A response is kept under what it shows: the address, the language, whether it is gzipped,
and the event's state (its content generation, bumped by publishing and by edits of what the
public reads, and its name, languages and formats). Each request reads that state from the
database (one small query), so every server process serves what the last change made, at
once; nothing else is kept between requests but these finished responses.

A hit for a visitor without cookies is served before Flask's request context (`fast_hits`):
the same key (address, language by the same rule, gzip, the event's state from the same query),
without the session, login and locale machinery a page needs but a kept response does not.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from datetime import UTC, datetime
from threading import Lock

from flask import Flask, Response, g, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import bindparam, select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

from .extensions import db
from .i18n import LANGUAGES, PUBLIC_FEEDS
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


_SQL: dict[str, tuple[str, bool]] = {}  # dialect → (STATE's SQL, positional parameters?)


def _state(slug: str, engine=None):
    """The event's state, from a pooled connection through the driver itself (STATE compiled once per
    dialect: this runs on every hit). JSON columns come as the driver gives them (text or lists): only
    compared, within one process, never read."""
    engine = engine or db.engine
    compiled = _SQL.get(engine.dialect.name)
    if compiled is None:
        c = STATE.compile(dialect=engine.dialect)
        compiled = _SQL[engine.dialect.name] = (str(c), bool(c.positional))
    sql, positional = compiled
    conn = engine.raw_connection()
    driver = conn.driver_connection
    # On PostgreSQL, one round trip: no BEGIN before the read nor ROLLBACK after it (one statement
    # sees one snapshot anyway); the connection goes back to the pool as it came.
    autocommit = engine.dialect.name == "postgresql" and hasattr(driver, "autocommit") and not driver.autocommit
    try:
        if autocommit:
            driver.autocommit = True
        cursor = conn.cursor()
        cursor.execute(sql, (slug,) if positional else {"slug": slug})
        row = cursor.fetchone()
        cursor.close()
    finally:
        if autocommit:
            driver.autocommit = False
        conn.close()  # (back to the pool, which ends any read transaction)
    return tuple(row) if row is not None else None


def _make_key(full_path: str, locale: str, gzip: bool, endpoint: str, state: tuple) -> tuple:
    bucket = int(time.time() // HTML_SECONDS) if endpoint in ("schedule.index", "schedule.session") else 0
    return (full_path, locale, gzip, state[0], state[1], state[2], tuple(state[3] or ()), tuple(state[4] or ()),
            state[5], bucket)


def _key():
    if request.method != "GET" or request.endpoint not in CACHEABLE or current_user.is_authenticated:
        return None
    slug = (request.view_args or {}).get("slug")
    state = _state(slug) if slug and len(slug) <= 64 else None
    if state is None:
        return None
    g.event_locale = state[5]  # the language choice may fall back on it (before the view knows the event)
    return _make_key(request.full_path, str(get_locale()), "gzip" in request.headers.get("Accept-Encoding", ""),
                     request.endpoint, state)


def fast_hits(app: Flask, cache: ResponseCache, inner):
    """WSGI: serve a kept response to a GET without cookies (nobody logged in, no language chosen)
    straight from the cache; anything else, and every miss, goes to the app as before."""
    from .i18n import choose_locale, known

    engine = []

    def hit(environ):
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("HTTP_COOKIE") or not app.config.get(
                "PUBLIC_CACHE", True):
            return None
        req = WerkzeugRequest(environ)
        try:
            endpoint, view_args = app.url_map.bind_to_environ(environ).match()
        except HTTPException:
            return None
        slug = view_args.get("slug")
        if endpoint not in CACHEABLE or not slug or len(slug) > 64:
            return None
        if not engine:
            with app.app_context():
                engine.append(db.engine)
        state = _state(slug, engine[0])
        if state is None:
            return None
        locale = choose_locale(req, endpoint, lambda: known(state[5]), app.config["BABEL_DEFAULT_LOCALE"])
        entry = cache.get(_make_key(req.full_path, locale, "gzip" in req.headers.get("Accept-Encoding", ""),
                                    endpoint, state))
        if entry is None:
            return None
        status, headers, body = entry
        response = WerkzeugResponse(body, status=status, headers=headers)
        if req.scheme == "https":  # (as security.set_security_headers does for the app's responses)
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        since = req.if_modified_since  # a date from a copy in another language never validates
        if since is not None and not _speaks(since, locale if locale in LANGUAGES else LANGUAGES[0]):
            environ = {k: v for k, v in environ.items() if k != "HTTP_IF_MODIFIED_SINCE"}
        return response.make_conditional(environ)

    def app_with_fast_hits(environ, start_response):
        response = hit(environ)
        if response is None:
            return inner(environ, start_response)
        return response(environ, start_response)

    return app_with_fast_hits


# HTTP validation by language. A page's language follows the request (the language cookie, the
# browser's Accept-Language), so a copy in one language must never be confirmed as fresh for a
# request in another: the ETag names the language, and so does Last-Modified, whose seconds
# (counted from the epoch, modulo the number of languages) are the language's place in LANGUAGES.
# A date taken from a copy in another language then never validates.


def _language() -> str:
    lang = str(get_locale())
    return lang if lang in LANGUAGES else LANGUAGES[0]


def language_stamp(moment: datetime, lang: str) -> datetime:
    """The Last-Modified of a page in `lang`: at most 2×len(LANGUAGES) seconds before the change
    (never in the future), its seconds marking the language."""
    n, seconds = len(LANGUAGES), int(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % n - n + LANGUAGES.index(lang), UTC)


def _speaks(since: datetime, lang: str) -> bool:
    return int(since.timestamp()) % len(LANGUAGES) == LANGUAGES.index(lang)


def revalidate(response: Response) -> Response:
    """304 when the client's copy is this response, in this language; If-None-Match decides when sent."""
    environ = request.environ
    since = request.if_modified_since
    if since is not None and not _speaks(since, _language()):
        environ = {k: v for k, v in environ.items() if k != "HTTP_IF_MODIFIED_SINCE"}
    return response.make_conditional(environ)


def conditional(response: Response, modified: datetime | None, public: bool) -> Response:
    """Validators for a page or feed: an ETag from the bytes served and the language, Last-Modified
    from the newest change it shows; Vary names what else chose the content."""
    lang = _language()
    response.set_etag(f"{lang}-{hashlib.sha256(response.get_data()).hexdigest()[:32]}")
    if modified is not None:
        response.last_modified = language_stamp(modified, lang)
    if public:
        response.cache_control.public = True
        response.cache_control.max_age = 60
    if request.endpoint not in PUBLIC_FEEDS:  # those speak the event's language, whoever asks
        response.vary.update(("Accept-Language", "Cookie"))
    return revalidate(response)


def init_app(app: Flask) -> None:
    cache = ResponseCache()
    app.extensions["agenda_cache"] = cache
    # Inside ProxyFix when there is one (security.init_app), so that the scheme is the client's.
    outer = app.wsgi_app
    if hasattr(outer, "app") and type(outer).__name__ == "ProxyFix":
        outer.app = fast_hits(app, cache, outer.app)
    else:
        app.wsgi_app = fast_hits(app, cache, outer)

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
        return revalidate(Response(body, status=status, headers=headers))

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
