"""Who may see what: event lookup and role checks shared by the blueprints."""

from functools import wraps

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select

from .extensions import db, login_manager
from .models import Event


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
