"""Who may see what: event lookup and role checks shared by the blueprints."""

from functools import wraps

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from .extensions import db, login_manager
from .models import Event

MAX_ID = 2**31 - 1  # PostgreSQL's integer; beyond it nothing exists (and SQLite would overflow)


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in URLs: a number too large to be an id is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def get_by_id(model, value):
    """The row with this id, or None for a missing, malformed or out-of-range id."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        return None
    return db.session.get(model, value)


def get_event(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        abort(404)
    return event


def facilitator_required(view):
    """Anonymous → login; logged in without a facilitator or admin role here → 403."""

    @wraps(view)
    def wrapped(slug, *args, **kwargs):
        event = get_event(slug)
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.can_facilitate(event):
            abort(403)
        g.event = event
        return view(event, *args, **kwargs)

    return wrapped


def admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
