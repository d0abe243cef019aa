"""What people are told, in the app and by e-mail: notices about their proposals and invitations,
and after each publish one message per person listing every change to their sessions.

Everything here runs inside the caller's transaction: the notice, the queued message and the
change they report are kept together or not at all. The worker sends the messages.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from .. import mail
from ..dates import when
from ..db_tx import transaction
from ..enums import EMAIL_KINDS
from ..extensions import db
from ..models import Event, Facilitation, Notice, Proposal, ScheduleVersion, User, Vote
from ..notices import notice_text
from ..urls import absolute
from .frames import Item, items_of, runs_by_proposal

# Which notices also go by e-mail, under which of the choices in the profile.
NOTICE_MAIL = {"invited": "invitations", "accepted": "decisions", "declined": "decisions", "merged": "decisions"}


def _subject(kind: str, params: dict, event: Event) -> str:
    title = params.get("title", "")
    match kind:
        case "invited":
            return _("%(event)s: an invitation to co-facilitate '%(title)s'", event=event.name, title=title)
        case "accepted":
            return _("%(event)s: '%(title)s' is accepted", event=event.name, title=title)
        case "declined":
            return _("%(event)s: about your proposal '%(title)s'", event=event.name, title=title)
        case "merged":
            return _("%(event)s: your proposal is now part of '%(title)s'", event=event.name,
                     title=params.get("keep", ""))
    return event.name


def notify(user_ids, event_id: int, kind: str, proposal_id: int | None = None, **params) -> None:
    """A notice in the app for each person; by e-mail too for those who want this kind."""
    event = db.session.get(Event, event_id)
    topic = NOTICE_MAIL.get(kind)
    for user_id in sorted(set(user_ids)):
        notice = Notice(user_id=user_id, event_id=event_id, kind=kind, params=params)
        db.session.add(notice)
        user = db.session.get(User, user_id)
        if topic is None or user is None or not user.wants_email(topic) or not mail.reachable(user):
            continue
        db.session.flush()
        link = (absolute("proposals.show", slug=event.slug, proposal_id=proposal_id)
                if proposal_id else absolute("events.home", slug=event.slug))
        mail.queue(f"notice:{notice.id}", user.email, "notice",
                   lambda n=notice: _subject(n.kind, n.params or {}, event), user=user, event=event,
                   text=lambda n=notice: notice_text(n), link=link)


def unsubscriber(signed: tuple[int, str] | None) -> tuple[User, str] | None:
    """The person and the kind of e-mail a signed unsubscribe address names (None if unknown)."""
    if signed is None:
        return None
    user = db.session.get(User, signed[0])
    return (user, signed[1]) if user is not None else None


def topic_label(topic: str) -> str:
    return str(EMAIL_KINDS[topic])


def unsubscribe(user: User, topic: str) -> None:
    """Turn one kind of bulk e-mail off for this person (the one-click List-Unsubscribe)."""
    user_id = user.id
    with transaction():
        row = db.session.get(User, user_id)
        row.email_prefs = {**(row.email_prefs or {}), topic: False}


def invite_by_email(proposal: Proposal, inviter: User, address: str) -> None:
    """An invitation to someone who does not take part (yet): it waits for them to join."""
    event = proposal.event
    mail.queue(f"invite:{proposal.id}:{address}", address, "invitation",
               lambda: _subject("invited", {"title": proposal.title}, event), event=event,
               inviter=inviter.display_name, title=proposal.title, member=False,
               link=absolute("events.home", slug=event.slug))


# After a publish


@dataclass
class SessionChange:
    """What a publish did to one session: scheduled, moved, new room, or cancelled."""

    kind: str
    title: str
    before: list[Item]
    after: list[Item]

    def line(self, tz) -> str:
        """In words, in the reader's language (called while their message is written)."""
        def places(items):
            return "; ".join(_("%(when)s, %(room)s", when=when(it.start, tz, "weekday_time"), room=_where(it))
                             for it in items)

        match self.kind:
            case "scheduled":
                return _("'%(title)s' is in the schedule: %(where)s.", title=self.title, where=places(self.after))
            case "moved":
                return _("'%(title)s' moved from %(before)s to %(after)s.", title=self.title,
                         before=places(self.before), after=places(self.after))
            case "cancelled":
                return _("'%(title)s' is no longer in the schedule (it was %(before)s).", title=self.title,
                         before=places(self.before))
        return self.title


def _where(it: Item) -> str:
    if it.table:
        return _("%(room)s · table %(table)d", room=it.room.name, table=it.table)
    return it.room.name


def _place(runs: list[Item]) -> list[tuple]:
    return sorted((it.start, it.room.name, it.table or 0) for it in runs)


def publish_changes(before: list[Item], after: list[Item]) -> dict[int, SessionChange]:
    """Proposal id → what this publish changed for it."""
    b, a = runs_by_proposal(before), runs_by_proposal(after)
    out = {}
    for pid in set(a) | set(b):
        was, now = b.get(pid, []), a.get(pid, [])
        title = (now or was)[0].proposal.title
        if now and not was:
            out[pid] = SessionChange("scheduled", title, was, now)
        elif was and not now:
            out[pid] = SessionChange("cancelled", title, was, now)
        elif _place(was) != _place(now):
            out[pid] = SessionChange("moved", title, was, now)
    return out


def queue_publish_mails(event: Event, previous: ScheduleVersion | None, version: ScheduleVersion) -> int:
    """One message per person whose sessions this publish changed: the sessions they run
    (scheduled, moved, cancelled) and the ones in their agenda (moved, cancelled)."""
    changes = publish_changes(items_of(previous) if previous else [], items_of(version))
    if not changes:
        return 0
    ids = list(changes)
    hosts: dict[int, set[int]] = defaultdict(set)
    for user_id, pid in db.session.execute(select(Facilitation.user_id, Facilitation.proposal_id).where(
            Facilitation.proposal_id.in_(ids), Facilitation.state == "accepted")):
        hosts[user_id].add(pid)
    wanted: dict[int, set[int]] = defaultdict(set)
    for user_id, pid in db.session.execute(select(Vote.user_id, Vote.proposal_id).where(Vote.proposal_id.in_(ids))):
        if changes[pid].kind != "scheduled" and pid not in hosts.get(user_id, ()):
            wanted[user_id].add(pid)
    tz = event.tz
    sent = 0
    for user_id in sorted(set(hosts) | set(wanted)):
        user = db.session.get(User, user_id)
        if user is None or not user.wants_email("changes") or not mail.reachable(user):
            continue

        def lines(pids):
            return sorted((changes[p] for p in pids), key=lambda c: c.title.lower())

        sent += mail.queue(f"publish:{version.id}:{user_id}", user.email, "changes",
                           lambda: _("%(event)s: changes to your sessions", event=event.name), user=user,
                           event=event, number=version.number, own=lines(hosts.get(user_id, ())),
                           wanted=lines(wanted.get(user_id, ())), tz=tz, topic="changes")
    return sent
