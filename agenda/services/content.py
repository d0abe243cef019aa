"""What public pages and feeds show changed: caches and validators follow this."""

from sqlalchemy import update

from ..extensions import db
from ..models import Event, utcnow


def touch_event(event: Event) -> None:
    """Count a change to what the event's public pages and feeds show (inside the caller's transaction).

    One UPDATE, so that concurrent changes each count.
    """
    db.session.execute(update(Event).where(Event.id == event.id).values(
        content_generation=Event.content_generation + 1, content_changed_at=utcnow()))
