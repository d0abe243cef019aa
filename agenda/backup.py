
"""Backup and restore of one event: everything of it as JSON, restored into any instance.

`export_event` writes settings, rooms, slots, people and their roles (and who is a site admin),
proposals (with their people in order, revisions and unavailable slots), votes, versions
(published ones with their frozen frame), solve runs, agenda choices, calendar addresses, notices,
announcements, and the harvest (notes, editors, action items) with invitations still waiting for
an address. Ids in the file are the source's; on import every row gets a new id, inserted in the
same order, so the restored event exports the same solver instance (scheduling's codec numbers
rows by their order, not their ids), and the event remembers the source's ids (`source_ids`) to
make the same GUIDs in its feeds. People already in the target instance (same e-mail) keep their
account, and their admin flag, and gain the membership.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from .db_tx import transaction
from .extensions import db
from .models import (
    ActionItem,
    AgendaChoice,
    Announcement,
    Assignment,
    CalendarToken,
    EmailInvitation,
    Event,
    Facilitation,
    HeadCount,
    Interpreter,
    Membership,
    NotesEditor,
    Notice,
    Proposal,
    ProposalRevision,
    Room,
    RoomBooking,
    ScheduleVersion,
    SessionNotes,
    Slot,
    SolveRun,
    User,
    Vote,
    proposal_preferred,
    proposal_unavailable,
    room_unavailable,
)

FORMAT = "agenda-event/1"
EVENT_FIELDS = ("slug", "name", "timezone", "first_day", "last_day", "languages", "formats", "proposals_open",
                "voting_open", "invite_code", "default_locale", "content_generation", "content_changed_at",
                "created_at", "retention_date", "retained", "format_settings", "language_rule")


def _value(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


def _row(obj, fields) -> dict:
    return {f: _value(getattr(obj, f)) for f in fields}


def export_event(event: Event) -> dict:
    slots = db.session.scalars(select(Slot).where(Slot.event_id == event.id).order_by(Slot.id)).all()
    rooms = db.session.scalars(select(Room).where(Room.event_id == event.id).order_by(Room.id)).all()
    proposals = db.session.scalars(select(Proposal).where(Proposal.event_id == event.id).order_by(Proposal.id)).all()
    pids = [p.id for p in proposals]
    from .scheduling import people_of

    people = people_of(event)
    members = db.session.scalars(select(Membership).where(Membership.event_id == event.id)).all()
    roles = {m.user_id: m.role for m in members}
    days = {m.user_id: m.days for m in members}
    versions = db.session.scalars(select(ScheduleVersion).where(ScheduleVersion.event_id == event.id)
                                  .order_by(ScheduleVersion.number)).all()
    return {
        "format": FORMAT,
        "event": _row(event, EVENT_FIELDS),
        "slots": [_row(s, ("id", "start", "end", "kind", "label", "removed_at")) for s in slots],
        "rooms": [{**_row(r, ("id", "name", "capacity", "features", "removed_at", "tables")),
                   "unavailable": sorted(s.id for s in r.unavailable)} for r in rooms],
        "people": [{**_row(u, ("id", "email", "display_name", "password_hash", "languages", "locale", "created_at",
                               "email_prefs", "is_admin")),
                    "role": roles.get(u.id), "days": days.get(u.id)} for u in people.values()],
        "source_ids": event.source_ids or {},
        "proposals": [{**_row(p, ("id", "title", "description", "format", "language", "length", "needs", "max_group",
                                  "visibility", "status", "merged_into_id", "created_at", "updated_at", "revision",
                                  "revised_at", "runs", "after_id", "prefer_reason", "interpretation")),
                       "unavailable": sorted(s.id for s in p.unavailable),
                       "preferred": sorted(s.id for s in p.preferred),
                       "facilitations": [_row(f, ("user_id", "is_proposer", "state", "invited_at"))
                                         for f in p.facilitations],
                       "revisions": [_row(r, ("at", "changes")) for r in db.session.scalars(
                           select(ProposalRevision).where(ProposalRevision.proposal_id == p.id)
                           .order_by(ProposalRevision.id))]}
                      for p in proposals],
        "votes": [[u, p, _value(at)] for u, p, at in db.session.execute(
            select(Vote.user_id, Vote.proposal_id, Vote.created_at).where(Vote.proposal_id.in_(pids))
            .order_by(Vote.user_id, Vote.proposal_id))],
        "versions": [{**_row(v, ("number", "status", "created_at", "published_at", "source", "figures", "reasons",
                                 "unscheduled", "hand_placed", "now_slot_id", "frame")),
                      "assignments": [{**_row(a, ("proposal_id", "slot_id", "room_id", "table", "pinned",
                                                  "interpretation")),
                                       "bookings": [[b.slot_id, b.room_id, b.table] for b in a.bookings]}
                                      for a in sorted(v.assignments, key=lambda a: a.id)]}
                     for v in versions],
        "runs": [{**_row(r, ("status", "created_at", "started_at", "finished_at", "heartbeat_at", "time_limit",
                             "now_slot_id", "worker", "cancel_requested", "progress", "outcome", "message")),
                  "version": r.version.number if r.version else None}
                 for r in db.session.scalars(select(SolveRun).where(SolveRun.event_id == event.id)
                                             .order_by(SolveRun.id))],
        "interpreters": [{**_row(i, ("id", "name", "pairs", "max_slots_per_day", "user_id")),
                          "available": sorted(s.id for s in i.available)} for i in db.session.scalars(
            select(Interpreter).where(Interpreter.event_id == event.id).order_by(Interpreter.id))],
        "agenda_choices": [[c.user_id, c.slot_id, c.proposal_id] for c in db.session.scalars(
            select(AgendaChoice).where(AgendaChoice.slot_id.in_([s.id for s in slots]))
            .order_by(AgendaChoice.user_id, AgendaChoice.slot_id))],
        "calendar_tokens": [[t.user_id, t.token] for t in db.session.scalars(
            select(CalendarToken).where(CalendarToken.event_id == event.id).order_by(CalendarToken.user_id))],
        "notices": [_row(n, ("user_id", "kind", "params", "text", "created_at")) for n in db.session.scalars(
            select(Notice).where(Notice.event_id == event.id).order_by(Notice.id))],
        "announcements": [_row(a, ("author_id", "text", "created_at", "expires_at", "emailed")) for a in
                          db.session.scalars(select(Announcement).where(Announcement.event_id == event.id)
                                             .order_by(Announcement.id))],
        "notes": [_row(n, ("proposal_id", "summary", "links", "updated_at", "updated_by_id")) for n in
                  db.session.scalars(select(SessionNotes).where(SessionNotes.proposal_id.in_(pids))
                                     .order_by(SessionNotes.proposal_id))],
        "notes_editors": [[e.proposal_id, e.user_id] for e in db.session.scalars(
            select(NotesEditor).where(NotesEditor.proposal_id.in_(pids))
            .order_by(NotesEditor.proposal_id, NotesEditor.user_id))],
        "action_items": [_row(i, ("proposal_id", "text", "owner_id", "owner_text", "status", "created_at")) for i in
                         db.session.scalars(select(ActionItem).where(ActionItem.proposal_id.in_(pids))
                                            .order_by(ActionItem.id))],
        "head_counts": [_row(h, ("proposal_id", "slot_id", "count", "counted_by_id", "counted_at")) for h in
                        db.session.scalars(select(HeadCount).where(HeadCount.proposal_id.in_(pids))
                                           .order_by(HeadCount.proposal_id, HeadCount.slot_id))],
        "email_invitations": [_row(i, ("proposal_id", "email", "invited_by_id", "created_at")) for i in
                              db.session.scalars(select(EmailInvitation).where(EmailInvitation.proposal_id.in_(pids))
                                                 .order_by(EmailInvitation.id))],
    }


class BackupError(ValueError):
    """The file is not an event backup, or its event cannot go into this instance."""


def _dt(v):
    return datetime.fromisoformat(v) if v else None


def _remap_refs(record, proposals: dict, slots: dict, rooms: dict, people: dict):
    """A stored reason or outcome with the new ids."""
    if not isinstance(record, dict):
        return record
    out = dict(record)
    out["sessions"] = [{"proposal": proposals[s["proposal"]]} if "proposal" in s and s["proposal"] in proposals
                       else {"plenary": slots[s["plenary"]]} if "plenary" in s and s["plenary"] in slots else s
                       for s in record.get("sessions", [])]
    out["slots"] = [slots[x] for x in record.get("slots", []) if x in slots]
    out["rooms"] = [rooms[x] for x in record.get("rooms", []) if x in rooms]
    out["people"] = [people[x] for x in record.get("people", []) if x in people]
    return out


def _remap_frame(frame, slots: dict, rooms: dict):
    if not frame:
        return frame
    return {**frame,
            "slots": [{**s, "id": slots[s["id"]]} for s in frame["slots"] if s["id"] in slots],
            "rooms": [{**r, "id": rooms[r["id"]]} for r in frame["rooms"] if r["id"] in rooms],
            "plenaries": {str(slots[int(k)]): rooms[v] for k, v in frame.get("plenaries", {}).items()
                          if int(k) in slots and v in rooms}}


def _restore_facilitations(proposal_id: int, rows: list, people: dict) -> None:
    """A session's people in the file's order. Invitations of the same moment are set a
    microsecond apart: the order would otherwise follow the new user ids."""
    last = None
    for f in rows:
        if f["user_id"] not in people:
            continue
        at = _dt(f["invited_at"])
        if last is not None and at is not None and at <= last:
            at = last + timedelta(microseconds=1)
        last = at
        db.session.add(Facilitation(proposal_id=proposal_id, user_id=people[f["user_id"]],
                                    is_proposer=f["is_proposer"], state=f["state"], invited_at=at))


def _restore_runs(event_id: int, runs: list, proposals: dict, slots: dict, rooms: dict, people: dict) -> None:
    """The solve-run history, each run pointing at the version it made. A run that was still
    queued or running in the backup has no worker here: it is restored as stopped (and can be
    run again), never started by this instance's worker."""
    versions = dict(db.session.execute(select(ScheduleVersion.number, ScheduleVersion.id)
                                       .where(ScheduleVersion.event_id == event_id)).all())
    for r in runs:
        outcome = dict(r.get("outcome") or {})
        if "reasons" in outcome:
            outcome["reasons"] = [_remap_refs(x, proposals, slots, rooms, people) for x in outcome["reasons"]]
        status, finished = r["status"], _dt(r["finished_at"])
        if status in ("queued", "running"):
            status, outcome, finished = "failed", {"code": "worker_stopped"}, finished or _dt(r["heartbeat_at"])
        db.session.add(SolveRun(
            event_id=event_id, status=status, created_at=_dt(r["created_at"]), started_at=_dt(r["started_at"]),
            finished_at=finished, heartbeat_at=_dt(r["heartbeat_at"]), time_limit=r["time_limit"],
            now_slot_id=slots.get(r["now_slot_id"]), worker=r["worker"], cancel_requested=r["cancel_requested"],
            progress=r["progress"], outcome=outcome, message=r["message"],
            version_id=versions.get(r["version"])))
    db.session.flush()


def _source_ids(before: dict, **maps: dict) -> dict | None:
    """For each kind, local id → the id in the original event (through any earlier restore)."""
    out = {}
    for kind, mapping in maps.items():
        kind = "person" if kind == "people" else kind
        earlier = before.get(kind, {})
        out[kind] = {str(new): earlier.get(str(old), old) for old, new in mapping.items()
                     if earlier.get(str(old), old) != new}
    return {k: v for k, v in out.items() if v} or None


def _import_interpreters(event: Event, rows: list, slots: dict, people: dict) -> dict:
    """The event's interpreters; returns old id → new id (runs name them by id)."""
    out = {}
    for i in rows:
        row = Interpreter(event_id=event.id, name=i["name"], pairs=i["pairs"], max_slots_per_day=i["max_slots_per_day"],
                          user_id=people.get(i["user_id"]),
                          available=[db.session.get(Slot, slots[s]) for s in i["available"] if s in slots])
        db.session.add(row)
        db.session.flush()
        out[i["id"]] = row.id
    return out


@dataclass
class _Ids:
    """Backup id → new local id, per kind, as the restore goes."""

    slots: dict = field(default_factory=dict)
    rooms: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    proposals: dict = field(default_factory=dict)
    interpreters: dict = field(default_factory=dict)


def import_event(data: dict, slug: str | None = None) -> Event:
    """Restore an event from `export_event`'s JSON, in one transaction (all or nothing)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"not an event backup (format {FORMAT!r} expected)")
    slug = slug or data["event"]["slug"]
    with transaction():
        if db.session.scalar(select(Event.id).where(Event.slug == slug)) is not None:
            raise BackupError(f"an event '{slug}' already exists here; give another --slug")
        event = _restore_event(data["event"], slug)
        ids = _Ids()
        _restore_set_up(event, data, ids)
        _restore_people(event, data["people"], ids)
        _restore_proposals(event, data["proposals"], ids)
        ids.interpreters = _import_interpreters(event, data.get("interpreters", []), ids.slots, ids.people)
        for u, p, at in data["votes"]:
            db.session.add(Vote(user_id=ids.people[u], proposal_id=ids.proposals[p], created_at=_dt(at)))
        for v in data["versions"]:
            _restore_version(event, v, ids)
        _restore_runs(event.id, data.get("runs", []), ids.proposals, ids.slots, ids.rooms, ids.people)
        event.source_ids = _source_ids(data.get("source_ids") or {}, people=ids.people, proposal=ids.proposals,
                                       slot=ids.slots, room=ids.rooms)
        _restore_personal(event, data, ids)
        _restore_around_sessions(event, data, ids)
    return event


def _restore_event(e: dict, slug: str) -> Event:
    event = Event(slug=slug, **{k: (date.fromisoformat(v) if k in ("first_day", "last_day", "retention_date")
                                    and v else
                                    _dt(v) if k in ("content_changed_at", "created_at") else v)
                                 for k, v in e.items() if k != "slug"})
    db.session.add(event)
    db.session.flush()
    return event


def _restore_set_up(event: Event, data: dict, ids: _Ids) -> None:
    """Slots, then rooms and the slots they are unavailable."""
    for s in data["slots"]:
        row = Slot(event_id=event.id, start=_dt(s["start"]), end=_dt(s["end"]), kind=s["kind"], label=s["label"],
                   removed_at=_dt(s["removed_at"]))
        db.session.add(row)
        db.session.flush()
        ids.slots[s["id"]] = row.id
    for r in data["rooms"]:
        row = Room(event_id=event.id, name=r["name"], capacity=r["capacity"], features=r["features"],
                   removed_at=_dt(r["removed_at"]), tables=r.get("tables", 0))
        db.session.add(row)
        db.session.flush()
        ids.rooms[r["id"]] = row.id
        for s in r["unavailable"]:
            db.session.execute(room_unavailable.insert().values(room_id=row.id, slot_id=ids.slots[s]))


def _restore_people(event: Event, people: list, ids: _Ids) -> None:
    """Accounts by address (an existing account is reused as it is), and memberships."""
    for p in people:
        user = db.session.scalar(select(User).where(User.email == p["email"]))
        if user is None:
            user = User(email=p["email"], display_name=p["display_name"], password_hash=p["password_hash"],
                        languages=p["languages"], locale=p.get("locale"), created_at=_dt(p["created_at"]),
                        email_prefs=p.get("email_prefs") or {}, is_admin=bool(p.get("is_admin")))
            db.session.add(user)
            db.session.flush()
        ids.people[p["id"]] = user.id
        if p["role"] and db.session.get(Membership, (user.id, event.id)) is None:
            db.session.add(Membership(user_id=user.id, event_id=event.id, role=p["role"], days=p.get("days")))


def _restore_proposals(event: Event, proposals: list, ids: _Ids) -> None:
    """Proposals with their slots, hosts and revisions; merges and series linked once all exist."""
    merged_into, after = [], []
    for p in proposals:
        fields = {k: p[k] for k in ("title", "description", "format", "language", "length", "needs", "max_group",
                                    "visibility", "status", "revision")}
        fields.update(runs=p.get("runs"), prefer_reason=p.get("prefer_reason", ""),
                      interpretation=p.get("interpretation", True))
        row = Proposal(event_id=event.id, created_at=_dt(p["created_at"]), updated_at=_dt(p["updated_at"]),
                       revised_at=_dt(p["revised_at"]), **fields)
        db.session.add(row)
        db.session.flush()
        ids.proposals[p["id"]] = row.id
        if p["merged_into_id"]:
            merged_into.append((row, p["merged_into_id"]))
        if p.get("after_id"):
            after.append((row, p["after_id"]))
        for s in p["unavailable"]:
            db.session.execute(proposal_unavailable.insert().values(proposal_id=row.id, slot_id=ids.slots[s]))
        for s in p.get("preferred", []):
            db.session.execute(proposal_preferred.insert().values(proposal_id=row.id, slot_id=ids.slots[s]))
        _restore_facilitations(row.id, p["facilitations"], ids.people)
        for r in p["revisions"]:
            db.session.add(ProposalRevision(proposal_id=row.id, at=_dt(r["at"]), changes=r["changes"]))
    for row, old in merged_into:
        row.merged_into_id = ids.proposals.get(old)
    for row, old in after:
        row.after_id = ids.proposals.get(old)
    if event.retained and event.retained.get("votes_by_proposal"):  # totals kept past retention
        event.retained = {**event.retained, "votes_by_proposal": {
            str(ids.proposals[int(k)]): n for k, n in event.retained["votes_by_proposal"].items()
            if int(k) in ids.proposals}}


def _restore_version(event: Event, v: dict, ids: _Ids) -> None:
    """One schedule version: filled as a draft, then published once, as the database wants."""
    proposals, slots, rooms = ids.proposals, ids.slots, ids.rooms
    version = ScheduleVersion(
        event_id=event.id, number=v["number"], status="draft", created_at=_dt(v["created_at"]),
        source=v["source"], figures=v["figures"],
        reasons=[_remap_refs(r, proposals, slots, rooms, ids.people) for r in v["reasons"]],
        unscheduled=[proposals[x] for x in v["unscheduled"] if x in proposals],
        hand_placed=[proposals[x] for x in v.get("hand_placed", ()) if x in proposals],
        now_slot_id=slots.get(v["now_slot_id"]))
    db.session.add(version)
    db.session.flush()
    for a in v["assignments"]:
        assignment = Assignment(version_id=version.id, proposal_id=proposals[a["proposal_id"]],
                                slot_id=slots[a["slot_id"]], room_id=rooms[a["room_id"]], table=a["table"],
                                pinned=a["pinned"], interpretation=[
                                    {**x, "interpreter": ids.interpreters.get(x.get("interpreter"))}
                                    for x in a.get("interpretation") or ()])
        for s, r, t in a["bookings"]:
            assignment.bookings.append(RoomBooking(version_id=version.id, slot_id=slots[s], room_id=rooms[r],
                                                   table=t))
        db.session.add(assignment)
    db.session.flush()
    if v["status"] == "published":
        version.frame = _remap_frame(v["frame"], slots, rooms)
        version.published_at = _dt(v["published_at"])
        version.status = "published"
        db.session.flush()


def _restore_personal(event: Event, data: dict, ids: _Ids) -> None:
    """Agenda choices, calendar addresses and notices."""
    people = ids.people
    for u, s, p in data["agenda_choices"]:
        db.session.add(AgendaChoice(user_id=people[u], slot_id=ids.slots[s], proposal_id=ids.proposals[p]))
    for u, token in data["calendar_tokens"]:
        if db.session.scalar(select(CalendarToken.user_id).where(CalendarToken.token == token)) is None:
            db.session.add(CalendarToken(user_id=people[u], event_id=event.id, token=token))
    for n in data["notices"]:
        if n["user_id"] in people:
            db.session.add(Notice(user_id=people[n["user_id"]], event_id=event.id, kind=n["kind"],
                                  params=n["params"], text=n["text"], created_at=_dt(n["created_at"])))


def _restore_around_sessions(event: Event, data: dict, ids: _Ids) -> None:
    """Announcements, notes and their editors, action items, waiting invitations, head counts."""
    people, proposals = ids.people, ids.proposals
    for a in data.get("announcements", []):
        db.session.add(Announcement(event_id=event.id, author_id=people.get(a["author_id"]), text=a["text"],
                                    created_at=_dt(a["created_at"]), expires_at=_dt(a["expires_at"]),
                                    emailed=a["emailed"]))
    for n in data.get("notes", []):
        db.session.add(SessionNotes(proposal_id=proposals[n["proposal_id"]], summary=n["summary"],
                                    links=n["links"], updated_at=_dt(n["updated_at"]),
                                    updated_by_id=people.get(n["updated_by_id"])))
    for p, u in data.get("notes_editors", []):
        if u in people:
            db.session.add(NotesEditor(proposal_id=proposals[p], user_id=people[u]))
    for i in data.get("action_items", []):
        db.session.add(ActionItem(proposal_id=proposals[i["proposal_id"]], text=i["text"],
                                  owner_id=people.get(i["owner_id"]), owner_text=i["owner_text"],
                                  status=i["status"], created_at=_dt(i["created_at"])))
    for i in data.get("email_invitations", []):
        db.session.add(EmailInvitation(proposal_id=proposals[i["proposal_id"]], email=i["email"],
                                       invited_by_id=people.get(i["invited_by_id"]),
                                       created_at=_dt(i["created_at"])))
    for h in data.get("head_counts", []):
        db.session.add(HeadCount(proposal_id=proposals[h["proposal_id"]], slot_id=ids.slots[h["slot_id"]],
                                 count=h["count"], counted_by_id=people.get(h["counted_by_id"]),
                                 counted_at=_dt(h["counted_at"])))
