"""Looking objects up from URLs: bounded ids, events by slug, objects of an event (404 otherwise)."""

from flask import abort
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from .extensions import db
from .models import Event, Proposal

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
    event = db.session.scalar(select(Event).where(Event.slug == slug)) if len(slug) <= 64 else None
    if event is None:
        abort(404)
    return event


def owned(model, event: Event, object_id):
    """The event's object with this id; another event's is as unknown as a missing one."""
    obj = get_by_id(model, object_id)
    if obj is None or obj.event_id != event.id:
        abort(404)
    return obj


def loader(model, key: str):
    """For @permission(load=…): the event's `model` named by the URL value `key`."""

    def load(event, kwargs):
        return owned(model, event, kwargs.pop(key))

    return load


load_proposal = loader(Proposal, "proposal_id")
