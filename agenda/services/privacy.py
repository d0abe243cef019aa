"""Data after the event: what a person can download, and what an event keeps past its retention date.

After an event's retention date, its votes, agenda choices and personal calendar addresses are
deleted; the vote totals per session are kept as numbers, with the published schedule and the
harvest. `purge_due` runs from the worker and from `flask agenda purge`.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import delete, func, or_, select

from ..db_tx import transaction
from ..extensions import db
from ..models import (
    ActionItem,
    AgendaChoice,
    CalendarToken,
    Event,
    Facilitation,
    Membership,
    Notice,
    OutboxMessage,
    Proposal,
    Slot,
    User,
    Vote,
    utcnow,
)

log = logging.getLogger(__name__)

SENT_MAIL_DAYS = 30


def personal_data(user: User) -> dict:
    """Everything the app holds about one person, as they could read it."""
    from ..notices import notice_text

    def iso(moment):
        return moment.isoformat() if moment else None

    def event_name(event_id):
        event = db.session.get(Event, event_id)
        return event.name if event else None

    return {
        "account": {"email": user.email, "display_name": user.display_name, "languages": user.languages,
                    "language_of_pages": user.locale, "email_choices": user.email_prefs or {},
                    "created_at": iso(user.created_at)},
        "events": [{"event": m.event.name, "role": m.role, "joined_at": iso(m.joined_at),
                    "days_present": m.days}
                   for m in db.session.scalars(select(Membership).where(Membership.user_id == user.id))],
        "sessions_you_run_or_were_invited_to": [
            {"event": f.proposal.event.name, "title": f.proposal.title, "status": f.proposal.status,
             "you": "proposer" if f.is_proposer else f.state}
            for f in db.session.scalars(select(Facilitation).where(Facilitation.user_id == user.id))],
        "sessions_you_want_to_attend": [
            {"event": p.event.name, "title": p.title, "marked_at": iso(v.created_at)}
            for v, p in db.session.execute(select(Vote, Proposal).join(Proposal).where(Vote.user_id == user.id))],
        "agenda_choices": [
            {"event": event_name(s.event_id), "slot_start": iso(s.start), "session": p.title}
            for c, s, p in db.session.execute(select(AgendaChoice, Slot, Proposal).join(
                Slot, Slot.id == AgendaChoice.slot_id).join(Proposal, Proposal.id == AgendaChoice.proposal_id)
                .where(AgendaChoice.user_id == user.id))],
        "calendar_addresses": [event_name(t.event_id) for t in db.session.scalars(
            select(CalendarToken).where(CalendarToken.user_id == user.id))],
        "messages": [{"event": event_name(n.event_id), "at": iso(n.created_at), "text": notice_text(n)}
                     for n in db.session.scalars(select(Notice).where(Notice.user_id == user.id))],
        "action_items_you_own": [{"session": a.proposal.title, "text": a.text, "status": a.status}
                                 for a in db.session.scalars(select(ActionItem).where(ActionItem.owner_id == user.id))],
        # What the app e-mailed them (or has still to), as long as it keeps it (SENT_MAIL_DAYS).
        "emails_to_you": [
            {"to": m.to_address, "subject": m.subject, "text": m.body, "queued_at": iso(m.created_at),
             "sent_at": iso(m.sent_at), "given_up": m.failed}
            for m in db.session.scalars(select(OutboxMessage).where(or_(
                OutboxMessage.user_id == user.id, OutboxMessage.to_address == user.email)).order_by(OutboxMessage.id))],
    }


def purge_event(event: Event) -> dict:
    """Delete an event's votes, agenda choices and calendar addresses; keep their counts."""
    event_id = event.id
    with transaction():
        event = db.session.get(Event, event_id)
        proposals = select(Proposal.id).where(Proposal.event_id == event_id)
        by_proposal = dict(db.session.execute(select(Vote.proposal_id, func.count()).where(
            Vote.proposal_id.in_(proposals)).group_by(Vote.proposal_id)).all())
        slots = select(Slot.id).where(Slot.event_id == event_id)
        choices = db.session.execute(delete(AgendaChoice).where(AgendaChoice.slot_id.in_(slots))).rowcount
        calendars = db.session.execute(delete(CalendarToken).where(CalendarToken.event_id == event_id)).rowcount
        db.session.execute(delete(Vote).where(Vote.proposal_id.in_(proposals)))
        notices = db.session.execute(delete(Notice).where(Notice.event_id == event_id)).rowcount
        kept = {"purged_at": utcnow().isoformat(), "votes": sum(by_proposal.values()),
                "votes_by_proposal": {str(k): v for k, v in by_proposal.items()}, "agenda_choices": choices,
                "calendars": calendars, "notices": notices}
        event.retained = kept
        # Nothing new to collect: the event is over and its personal data gone.
        event.voting_open = event.proposals_open = False
    log.info("deleted the personal data of event %s (retention date passed)", event_id)
    return kept


def purge_due(today: date | None = None) -> list[str]:
    """Purge every event whose retention date has passed and that still holds personal data."""
    today = today or utcnow().date()
    due = db.session.scalars(select(Event).where(Event.retention_date.is_not(None), Event.retention_date < today,
                                                 Event.retained.is_(None))).all()
    done = []
    for event in due:
        purge_event(event)
        done.append(event.slug)
    # Sent e-mails are kept a while (to see what went out), then forgotten.
    with transaction():
        db.session.execute(delete(OutboxMessage).where(
            OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < utcnow() - timedelta(days=SENT_MAIL_DAYS)))
    return done
