"""Proposals: create, edit, withdraw, co-facilitators, review, merge; and votes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ..db_tx import write_transaction
from ..extensions import db
from ..models import Event, Facilitation, Notice, Proposal, Slot, User, Vote
from . import ServiceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProposalData:
    title: str
    description: str
    format: str
    language: str
    length: int
    needs: list[str]
    max_group: int | None
    unavailable_slot_ids: list[int]
    visibility: str


def room_features(event: Event) -> list[str]:
    return sorted({f for room in event.rooms for f in room.features})


def unmet_needs(proposal: Proposal) -> list[str]:
    """Needs that no room of the event has: accepted, but shown as a warning."""
    have = set(room_features(proposal.event))
    return [n for n in proposal.needs if n not in have]


def longest_run(event: Event) -> int:
    """The most consecutive open slots on any one day (2 when no slots exist yet)."""
    if not event.slots:
        return 2
    best = 0
    for _day, slots in groupby(event.slots, key=lambda s: s.local_start.date()):
        run = 0
        for s in slots:
            run = run + 1 if s.kind == "open" else 0
            best = max(best, run)
    return best


def proposal_problems(event: Event, data: ProposalData) -> dict[str, str]:
    """What is wrong with the proposal for this event, by field."""
    problems = {}
    if data.format not in event.formats:
        problems["format"] = _("This event does not offer that format.")
    if data.language not in event.languages:
        problems["language"] = _("Sessions at this event are not held in that language.")
    if data.length not in (1, 2):
        problems["length"] = _("A session lasts one or two slots.")
    elif data.length > longest_run(event):
        problems["length"] = _("No day has %(n)d open slots in a row; choose a shorter length.",
                               n=data.length)
    if data.visibility not in ("public", "participants"):
        problems["visibility"] = _("Choose who may see the proposal.")
    return problems


def _check(event: Event, data: ProposalData) -> None:
    for field, message in proposal_problems(event, data).items():
        raise ServiceError(message, field)


def _apply(proposal: Proposal, event: Event, data: ProposalData) -> None:
    slots = {s.id: s for s in event.slots}
    proposal.title = data.title.strip()
    proposal.description = data.description.strip()
    proposal.format = data.format
    proposal.language = data.language
    proposal.length = data.length
    proposal.needs = sorted({n.strip().lower() for n in data.needs if n.strip()})
    proposal.max_group = data.max_group
    proposal.unavailable = [slots[i] for i in data.unavailable_slot_ids if i in slots]
    proposal.visibility = data.visibility


def create_proposal(event: Event, user: User, data: ProposalData) -> Proposal:
    role = user.role_in(event)
    if role is None:
        raise ServiceError(_("Join the event before proposing a session."))
    if not event.proposals_open and role == "participant":
        raise ServiceError(_("Proposals are closed for this event."))
    _check(event, data)
    write_transaction()
    proposal = Proposal(event_id=event.id, status="proposed")
    _apply(proposal, event, data)
    proposal.facilitations.append(Facilitation(user_id=user.id, is_proposer=True, state="accepted"))
    db.session.add(proposal)
    db.session.commit()
    log.info("proposal %s created in %s", proposal.id, event.slug)
    return proposal


def can_edit(proposal: Proposal, user) -> bool:
    """Facilitators of the event always; the proposal's own facilitators while proposals are open."""
    if not user.is_authenticated:
        return False
    if user.can_facilitate(proposal.event):
        return True
    return (proposal.is_facilitator(user) and proposal.event.proposals_open
            and proposal.status in ("proposed", "accepted"))


def update_proposal(proposal: Proposal, user: User, data: ProposalData) -> None:
    if not can_edit(proposal, user):
        raise PermissionError
    _check(proposal.event, data)
    write_transaction()
    _apply(proposal, proposal.event, data)
    db.session.commit()


def withdraw_proposal(proposal: Proposal, user: User) -> None:
    if not can_edit(proposal, user):
        raise PermissionError
    if proposal.status not in ("proposed", "accepted"):
        raise ServiceError(_("This proposal is no longer open."))
    write_transaction()
    proposal.status = "withdrawn"
    db.session.commit()


def invite_cofacilitator(proposal: Proposal, user: User, email: str) -> User:
    if not can_edit(proposal, user):
        raise PermissionError
    event = proposal.event
    invitee = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if invitee is None or invitee.role_in(event) is None:
        raise ServiceError(_("No participant of this event has that email."), "email")
    if any(f.user_id == invitee.id for f in proposal.facilitations):
        raise ServiceError(_("%(name)s is already invited.", name=invitee.display_name), "email")
    write_transaction()
    db.session.add(Facilitation(proposal_id=proposal.id, user_id=invitee.id, state="invited"))
    db.session.add(Notice(user_id=invitee.id, event_id=event.id, text=_(
        "%(name)s invites you to co-facilitate '%(title)s'.", name=user.display_name,
        title=proposal.title)))
    db.session.commit()
    return invitee


def respond_to_invitation(proposal: Proposal, user: User, accept: bool) -> None:
    f = db.session.get(Facilitation, (proposal.id, user.id))
    if f is None or f.is_proposer:
        raise ServiceError(_("You have no invitation for this proposal."))
    write_transaction()
    f = db.session.get(Facilitation, (proposal.id, user.id))
    f.state = "accepted" if accept else "declined"
    if accept:
        # One cannot want to attend one's own session: that vote no longer counts.
        db.session.execute(delete(Vote).where(Vote.user_id == user.id, Vote.proposal_id == proposal.id))
    db.session.commit()


def review_proposal(proposal: Proposal, decision: str) -> None:
    if decision not in ("accepted", "declined", "proposed"):
        raise ServiceError(_("Unknown decision."))
    if proposal.status in ("withdrawn", "merged"):
        raise ServiceError(_("This proposal is no longer open."))
    write_transaction()
    proposal.status = decision
    db.session.commit()


def merge_proposals(keep: Proposal, other: Proposal) -> None:
    """Make `other` part of `keep`: facilitators and votes are united, each vote counted once."""
    if keep.id == other.id or keep.event_id != other.event_id:
        raise ServiceError(_("Choose another proposal of this event to merge with."), "other")
    for p in (keep, other):
        if p.status not in ("proposed", "accepted"):
            raise ServiceError(_("'%(title)s' is no longer open.", title=p.title), "other")
    write_transaction()
    have = {f.user_id for f in keep.facilitations}
    for f in other.facilitations:
        if f.state == "accepted" and f.user_id not in have:
            db.session.add(Facilitation(proposal_id=keep.id, user_id=f.user_id, state="accepted"))
    db.session.flush()
    hosts = select(Facilitation.user_id).where(Facilitation.proposal_id == keep.id,
                                               Facilitation.state == "accepted")
    moved = select(Vote.user_id, keep.id, Vote.created_at).where(
        Vote.proposal_id == other.id, Vote.user_id.not_in(hosts))
    db.session.execute(
        _insert_ignore(Vote).from_select(["user_id", "proposal_id", "created_at"], moved))
    db.session.execute(delete(Vote).where(Vote.proposal_id == other.id))
    db.session.execute(delete(Vote).where(Vote.proposal_id == keep.id, Vote.user_id.in_(hosts)))
    other.status = "merged"
    other.merged_into_id = keep.id
    text = _("'%(other)s' and '%(keep)s' are merged into one joint session, '%(keep)s'.",
             other=other.title, keep=keep.title)
    for p in (keep, other):
        if p.proposer is not None:
            db.session.add(Notice(user_id=p.proposer.id, event_id=keep.event_id, text=text))
    db.session.commit()
    log.info("proposal %s merged into %s", other.id, keep.id)


# Votes


def _insert_ignore(model):
    """INSERT … ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike."""
    dialect = db.session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    return stmt.on_conflict_do_nothing()


def set_vote(user: User, proposal: Proposal, want: bool) -> None:
    """Mark or unmark. Both are idempotent: marking twice or unmarking nothing changes nothing."""
    event = proposal.event
    if want:
        if user.role_in(event) is None:
            raise ServiceError(_("Join the event before voting."))
        if not event.voting_open:
            raise ServiceError(_("Voting is closed for this event."))
        if proposal.is_facilitator(user):
            raise ServiceError(_("You facilitate this session, so you will be there anyway."))
        if not proposal.open_for_votes:
            raise ServiceError(_("This proposal was withdrawn, declined or merged; it takes no votes."))
    user_id, proposal_id = user.id, proposal.id
    write_transaction()
    if want:
        db.session.execute(_insert_ignore(Vote).values(user_id=user_id, proposal_id=proposal_id))
    else:
        db.session.execute(delete(Vote).where(Vote.user_id == user_id, Vote.proposal_id == proposal_id))
    db.session.commit()


def voted_ids(user, event: Event) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(db.session.scalars(
        select(Vote.proposal_id).join(Proposal).where(Vote.user_id == user.id,
                                                      Proposal.event_id == event.id)))


def vote_counts(event: Event) -> dict[int, int]:
    """Votes per proposal, counted from the rows. For facilitators' eyes only."""
    rows = db.session.execute(
        select(Vote.proposal_id, func.count()).join(Proposal)
        .where(Proposal.event_id == event.id).group_by(Vote.proposal_id))
    return dict(rows.all())


def forget_user_proposals(user: User) -> None:
    """Before an account goes: proposals only they run go too; shared ones pass to a co-facilitator."""
    mine = db.session.scalars(select(Facilitation).where(Facilitation.user_id == user.id)).all()
    for f in mine:
        proposal = f.proposal
        others = [o for o in proposal.facilitations if o.user_id != user.id and o.state == "accepted"]
        if not others:
            db.session.delete(proposal)
        elif f.is_proposer:
            others[0].is_proposer = True


def slots_of(event: Event) -> list[Slot]:
    return [s for s in event.slots if s.kind == "open"]
