"""Announcements: short updates from the facilitators, shown until they expire, in an Atom feed,
and (if asked) e-mailed to every participant who wants them."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from .. import mail
from ..db_tx import transaction
from ..extensions import db
from ..models import Announcement, Event, Membership, User, utcnow  # noqa: F401 (utcnow for the views)
from . import ServiceError
from .content import touch_event

MAX_HOURS = 24 * 31


def post_announcement(event: Event, author: User, text: str, hours: int, email_everyone: bool) -> Announcement:
    text = text.strip()
    if not text:
        raise ServiceError(_("Write the announcement."), "text")
    if not 1 <= hours <= MAX_HOURS:
        raise ServiceError(_("Show it for 1 hour to 31 days."), "hours")
    event_id, author_id = event.id, author.id
    with transaction():
        event = db.session.get(Event, event_id)
        a = Announcement(event_id=event_id, author_id=author_id, text=text,
                         expires_at=utcnow() + timedelta(hours=hours), emailed=email_everyone)
        db.session.add(a)
        db.session.flush()
        if email_everyone:
            for user in db.session.scalars(select(User).join(Membership).where(Membership.event_id == event_id)):
                if user.wants_email("announcements") and mail.reachable(user):
                    mail.queue(f"announcement:{a.id}:{user.id}", user.email, "announcement",
                               lambda e=event: _("News from %(event)s", event=e.name), user=user, event=event,
                               text=text, topic="announcements")
        touch_event(event)
    return a


def expire_announcement(a: Announcement) -> None:
    """Take it down now (it stays in the feed's history)."""
    a_id = a.id
    with transaction():
        a = db.session.get(Announcement, a_id)
        a.expires_at = min(a.expires_at, utcnow())
        touch_event(db.session.get(Event, a.event_id))


def current_announcements(event: Event, at: datetime | None = None) -> list[Announcement]:
    at = at or utcnow()
    return list(db.session.scalars(select(Announcement).where(
        Announcement.event_id == event.id, Announcement.expires_at > at).order_by(Announcement.created_at.desc())))


def recent_announcements(event: Event, limit: int = 20) -> list[Announcement]:
    return list(db.session.scalars(select(Announcement).where(Announcement.event_id == event.id)
                                   .order_by(Announcement.created_at.desc()).limit(limit)))
