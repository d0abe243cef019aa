"""The harvest: each session's notes and action items, and the event's page that gathers them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..access import get_by_id
from ..db_tx import transaction
from ..enums import ActionStatus, label
from ..extensions import db
from ..models import ActionItem, Assignment, Event, Membership, NotesEditor, Proposal, SessionNotes, User, utcnow
from ..permissions import LISTED, member
from ..scheduling import published_version
from . import ServiceError
from .content import touch_event


def can_read_notes(user, proposal: Proposal) -> bool:
    """Participants-only sessions keep their notes for participants."""
    return proposal.visibility == "public" or member(user, proposal.event)


def notes_of(proposal: Proposal) -> SessionNotes | None:
    return db.session.get(SessionNotes, proposal.id)


def action_items_of(proposal: Proposal) -> list[ActionItem]:
    return list(db.session.scalars(select(ActionItem).where(ActionItem.proposal_id == proposal.id)
                                   .order_by(ActionItem.created_at, ActionItem.id)))


LINK_SCHEMES = ("https://", "http://", "mailto:")


def safe_link(link: str) -> bool:
    """A web address or an e-mail address, nothing a browser would run (javascript:, data:)."""
    return link.lower().startswith(LINK_SCHEMES) and not any(c.isspace() or c in '<>"' for c in link)


def save_notes(proposal: Proposal, user: User, summary: str, links: str) -> None:
    if not all(safe_link(line.strip()) for line in links.splitlines() if line.strip()):
        raise ServiceError(_("Give each link on a line of its own, starting with https://, http:// or mailto:."),
                           "links")
    proposal_id, user_id = proposal.id, user.id
    with transaction():
        notes = db.session.get(SessionNotes, proposal_id)
        if notes is None:
            notes = SessionNotes(proposal_id=proposal_id)
            db.session.add(notes)
        notes.summary = summary.strip()
        notes.links = "\n".join(line.strip() for line in links.splitlines() if line.strip())
        notes.updated_at = utcnow()
        notes.updated_by_id = user_id
        touch_event(proposal.event)


def _owner(event: Event, owner_id: int | None, owner_text: str) -> tuple[int | None, str]:
    if owner_id:
        found = get_by_id(User, owner_id) and db.session.scalar(select(Membership.user_id).where(
            Membership.event_id == event.id, Membership.user_id == owner_id))
        if not found:
            raise ServiceError(_("Choose a participant of this event, or write a name."), "owner")
        return owner_id, ""
    return None, owner_text.strip()


def add_action_item(proposal: Proposal, text: str, owner_id: int | None, owner_text: str) -> ActionItem:
    text = text.strip()
    if not text:
        raise ServiceError(_("Write what is to be done."), "text")
    owner, name = _owner(proposal.event, owner_id, owner_text)
    proposal_id = proposal.id
    with transaction():
        item = ActionItem(proposal_id=proposal_id, text=text, owner_id=owner, owner_text=name, status="open")
        db.session.add(item)
        touch_event(proposal.event)
    return item


def set_action_status(item: ActionItem, status: str) -> None:
    if status not in {s.value for s in ActionStatus}:
        raise ServiceError(_("Choose a status."))
    item_id, event = item.id, item.proposal.event
    with transaction():
        db.session.get(ActionItem, item_id).status = status
        touch_event(event)


def delete_action_item(item: ActionItem) -> None:
    item_id, event = item.id, item.proposal.event
    with transaction():
        db.session.delete(db.session.get(ActionItem, item_id))
        touch_event(event)


def allow_editor(proposal: Proposal, email: str) -> None:
    """Let a participant edit the notes (the answer does not say whether the address takes part)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not member(user, proposal.event):
        return
    proposal_id, user_id = proposal.id, user.id
    with transaction():
        if db.session.get(NotesEditor, (proposal_id, user_id)) is None:
            db.session.add(NotesEditor(proposal_id=proposal_id, user_id=user_id))


@dataclass
class Entry:
    proposal: Proposal
    notes: SessionNotes | None
    items: list[ActionItem] = field(default_factory=list)

    @property
    def open_items(self) -> list[ActionItem]:
        return [i for i in self.items if i.status != "done"]


def _on_schedule(event: Event):
    """The sessions the published schedule shows that are still on offer (a session declined or
    withdrawn after its notes were written leaves the harvest with it)."""
    version = published_version(event)
    return select(Assignment.proposal_id).join(Proposal, Proposal.id == Assignment.proposal_id).where(
        Assignment.version_id == (version.id if version is not None else None), Proposal.status.in_(LISTED))


def harvest(event: Event, user, fmt: str = "", language: str = "", q: str = "") -> list[Entry]:
    """Every session of the published schedule with notes or action items that this person may read, filtered."""
    of_event = _on_schedule(event)
    # Two queries for the whole page, not two per session.
    notes = {n.proposal_id: n for n in db.session.scalars(
        select(SessionNotes).where(SessionNotes.proposal_id.in_(of_event)))}
    items: dict[int, list[ActionItem]] = {}
    for item in db.session.scalars(select(ActionItem).where(ActionItem.proposal_id.in_(of_event))
                                   .order_by(ActionItem.created_at, ActionItem.id)):
        items.setdefault(item.proposal_id, []).append(item)
    proposals = db.session.scalars(select(Proposal).where(Proposal.id.in_(set(notes) | set(items)))
                                   .order_by(func.lower(Proposal.title))).all()
    q = q.strip().lower()
    out = []
    for p in proposals:
        if not can_read_notes(user, p) or (fmt and p.format != fmt) or (language and p.language != language):
            continue
        entry = Entry(p, notes.get(p.id), items.get(p.id, []))
        text = " ".join([p.title, entry.notes.summary if entry.notes else "", *(i.text for i in entry.items)])
        if q and q not in text.lower():
            continue
        out.append(entry)
    return out


def owner_name(item: ActionItem) -> str:
    return item.owner.display_name if item.owner is not None else item.owner_text


# What people wrote is text in the Markdown, never markup: every character that can start
# inline markup or raw HTML is escaped, and so are the ones that make a line a heading, a list,
# a quote or a rule, so a note cannot fake a session's heading or carry a script.
_INLINE = re.compile(r"([\\`*_\[\]<>&#|~])")
_LINE_START = re.compile(r"^(?:([-+=])|(\d+)([.)]))")


def _escape(line: str) -> str:
    line = _INLINE.sub(r"\\\1", line)
    return _LINE_START.sub(lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], line)


def md_text(text: str) -> str:
    """Plain text as one line of Markdown that means only that text."""
    return _escape(" ".join(text.split()))


def md_block(text: str) -> str:
    """Plain text of several lines as Markdown paragraphs that mean only that text."""
    # Stripped: leading spaces would make code blocks, trailing ones line breaks.
    return "\n".join(_escape(raw.strip()) for raw in text.splitlines()).strip()


def _md_link(link: str) -> str:
    return f"<{link}>" if safe_link(link) else md_text(link)


def as_markdown(event: Event, entries: list[Entry]) -> str:
    lines = [f"# {md_text(_('Harvest of %(event)s', event=event.name))}", ""]
    for e in entries:
        lines += [f"## {md_text(e.proposal.title)}", ""]
        if e.notes and e.notes.summary:
            lines += [md_block(e.notes.summary), ""]
        if e.notes and e.notes.links:
            lines += [f"**{_('Links')}**", ""] + [f"- {_md_link(link)}" for link in e.notes.links.splitlines()] + [""]
        if e.items:
            lines += [f"**{_('Action items')}**", ""]
            for i in e.items:
                check = "x" if i.status == "done" else " "
                who = owner_name(i)
                owner = f" ({md_text(_('owner: %(name)s', name=who))})" if who else ""
                lines.append(f"- [{check}] {md_text(i.text)}{owner} · {label(ActionStatus, i.status)}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def as_json(event: Event, entries: list[Entry]) -> dict:
    return {"event": event.name, "sessions": [{
        "title": e.proposal.title, "format": e.proposal.format, "language": e.proposal.language,
        "summary": e.notes.summary if e.notes else "",
        "links": [link for link in e.notes.links.splitlines() if safe_link(link)] if e.notes else [],
        "action_items": [{"text": i.text, "owner": owner_name(i), "status": i.status} for i in e.items],
    } for e in entries]}


__all__ = ["Entry", "action_items_of", "add_action_item", "allow_editor", "as_json", "as_markdown",
           "can_read_notes", "delete_action_item", "harvest", "md_block", "md_text", "notes_of",
           "owner_name", "safe_link", "save_notes", "set_action_status"]
