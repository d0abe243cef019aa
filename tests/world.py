"""A small world in which every route of the app has something to show, for tests that walk them all.

Two events: the CampaignCon demo (published version 1, a draft version 2, a finished run) and
another event with its own facilitator. In the demo, the participant proposed a session that a
co-facilitator runs with them, and has a calendar address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from agenda.extensions import db
from agenda.models import Event, Facilitation, Interpreter, Membership, Proposal, SolveRun, User, Vote
from agenda.security import hash_password
from agenda.services import attendee

from .conftest import DEMO_PASSWORD, generate, publish_new

ROLES = ("anonymous", "participant", "other participant", "co-facilitator", "facilitator", "admin",
         "facilitator of another event")
EMAILS = {
    "participant": "participant@example.org",
    "other participant": "other@example.org",
    "co-facilitator": "co@example.org",
    "facilitator": "facilitator@example.org",
    "admin": "admin@example.org",
    "facilitator of another event": "elsewhere@example.org",
}


@dataclass
class World:
    event: Event
    proposal: Proposal  # proposed by the participant, co-facilitated
    values: dict = field(default_factory=dict)  # URL values for every route parameter


def participant_facilitations(user):
    return db.session.scalars(select(Facilitation).where(Facilitation.user_id == user.id)).all()


def build_world() -> World:
    from agenda.demo import load_demo

    event = load_demo(DEMO_PASSWORD)
    hashed = db.session.scalar(select(User.password_hash).where(User.email == EMAILS["participant"]))
    other = Event(slug="another-event", name="Another Event", timezone="UTC", first_day=date(2018, 1, 1),
                  last_day=date(2018, 1, 2))
    db.session.add(other)
    people = {}
    for role, e in (("other participant", event), ("co-facilitator", event),
                    ("facilitator of another event", other)):
        u = User(email=EMAILS[role], display_name=role.title(), password_hash=hashed or hash_password(DEMO_PASSWORD),
                 languages=["en", "es", "fr"])
        u.memberships.append(Membership(event=e, role="facilitator" if "another" in role else "participant"))
        db.session.add(u)
        people[role] = u
    db.session.flush()
    participant = db.session.scalar(select(User).where(User.email == EMAILS["participant"]))
    proposal = Proposal(event_id=event.id, title="Our shared session", description="Hands on.", format="skillshare",
                        language="en", status="accepted")
    proposal.facilitations.append(Facilitation(user_id=participant.id, is_proposer=True, state="accepted"))
    proposal.facilitations.append(Facilitation(user_id=people["co-facilitator"].id, state="accepted"))
    db.session.add(proposal)
    db.session.commit()
    version = publish_new(event)
    # The participant wants two sessions that run at the same time: a clash to choose in.
    by_slot: dict[int, list] = {}
    for a in version.assignments:
        by_slot.setdefault(a.slot_id, []).append(a)
    hosting = {f.proposal_id for f in participant_facilitations(participant)}
    busy = {a.slot_id for a in version.assignments if a.proposal_id in hosting}
    pair = next(v[:2] for slot_id, v in sorted(by_slot.items()) if len(v) >= 2 and slot_id not in busy
                and all(a.proposal.length == 1 for a in v[:2]))
    for a in pair:
        if db.session.get(Vote, (participant.id, a.proposal_id)) is None:
            db.session.add(Vote(user_id=participant.id, proposal_id=a.proposal_id))
    db.session.commit()
    draft = generate(event).version
    run = db.session.scalar(select(SolveRun).where(SolveRun.event_id == event.id).order_by(SolveRun.id.desc()))
    token = attendee.make_calendar_token(participant, event)
    from agenda.services import announcements, harvest

    facilitator = db.session.scalar(select(User).where(User.email == EMAILS["facilitator"]))
    announcement = announcements.post_announcement(event, facilitator, "Lunch is in the garden.", 24, False)
    item = harvest.add_action_item(db.session.get(Proposal, proposal.id), "Share the slides", participant.id, "")
    harvest.save_notes(db.session.get(Proposal, proposal.id), participant, "We shared.", "https://example.org/a")
    room = event.rooms[0]
    slot = next(s for s in event.slots if s.kind == "open")
    values = {
        "slug": event.slug, "proposal_id": proposal.id, "room_id": room.id, "slot_id": slot.id,
        "user_id": participant.id, "role": "facilitator", "number": draft.number, "run_id": run.id,
        "token": token, "code": "es", "answer": "accept", "decision": "accepted", "action": "pin",
        "filename": "style.css", "announcement_id": announcement.id, "item_id": item.id,
        "interpreter_id": db.session.scalar(select(Interpreter.id).where(Interpreter.event_id == event.id).limit(1)),
    }
    return World(event, db.session.get(Proposal, proposal.id), values)
