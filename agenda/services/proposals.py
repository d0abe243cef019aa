"""Proposals: create, edit, withdraw, co-facilitators, review, merge; and votes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..db_tx import insert_ignore, transaction
from ..extensions import db
from ..models import EmailInvitation, Event, Facilitation, Proposal, ProposalRevision, Slot, User, Vote, utcnow
from . import ServiceError
from .content import touch_event

log = logging.getLogger(__name__)

# What attendees read about a session: an edit of these is a new revision of the session.
READ_FIELDS = ("title", "description", "visibility", "format", "language")


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
    prefer_slot_ids: tuple[int, ...] = ()  # slots its people prefer, and why
    prefer_reason: str = ""
    interpretation: bool = True  # it may be interpreted (under the event's language rule)


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
    if set(data.prefer_slot_ids) & set(data.unavailable_slot_ids):
        problems["prefer"] = _("A slot cannot be both preferred and impossible.")
    return problems


def _check(event: Event, data: ProposalData) -> None:
    for field, message in proposal_problems(event, data).items():
        raise ServiceError(message, field)


def _apply(proposal: Proposal, event: Event, data: ProposalData) -> dict:
    """Set the fields; return what attendees read that changed, as {field: [before, after]}."""
    slots = {s.id: s for s in event.slots}
    new = {"title": data.title.strip(), "description": data.description.strip(), "format": data.format,
           "language": data.language, "visibility": data.visibility}
    changes = {f: [getattr(proposal, f), v] for f, v in new.items()
               if getattr(proposal, f) is not None and getattr(proposal, f) != v}
    for f, v in new.items():
        setattr(proposal, f, v)
    proposal.length = data.length
    proposal.needs = sorted({n.strip().lower() for n in data.needs if n.strip()})
    proposal.max_group = data.max_group
    proposal.unavailable = [slots[i] for i in data.unavailable_slot_ids if i in slots]
    proposal.preferred = [slots[i] for i in data.prefer_slot_ids if i in slots and slots[i].kind == "open"]
    proposal.prefer_reason = data.prefer_reason.strip() if proposal.preferred else ""
    proposal.interpretation = data.interpretation
    return changes


def create_proposal(event: Event, user: User, data: ProposalData) -> Proposal:
    role = user.role_in(event)
    if role is None:
        raise ServiceError(_("Join the event before proposing a session."))
    if not event.proposals_open and role == "participant":
        raise ServiceError(_("Proposals are closed for this event."))
    _check(event, data)
    with transaction():
        proposal = Proposal(event_id=event.id, status="proposed")
        _apply(proposal, event, data)
        proposal.facilitations.append(Facilitation(user_id=user.id, is_proposer=True, state="accepted"))
        db.session.add(proposal)
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


def can_withdraw(proposal: Proposal, user) -> bool:
    """Only the proposer or a facilitator of the event withdraws; a co-facilitator leaves instead."""
    if not user.is_authenticated or proposal.status not in ("proposed", "accepted"):
        return False
    return user.can_facilitate(proposal.event) or (proposal.proposer is not None
                                                   and proposal.proposer.id == user.id)


def can_leave(proposal: Proposal, user) -> bool:
    return bool(user.is_authenticated) and any(
        f.user_id == user.id and f.state == "accepted" and not f.is_proposer for f in proposal.facilitations)


def update_proposal(proposal: Proposal, user: User, data: ProposalData) -> None:
    """Save an edit. What attendees read goes live at once, as a new revision of the session that
    feeds pick up; a change of length or availability goes into the next draft."""
    if not can_edit(proposal, user):
        raise PermissionError
    _check(proposal.event, data)
    from .schedule import carry_into_next_draft

    proposal_id = proposal.id
    with transaction():
        proposal = db.session.get(Proposal, proposal_id)
        changes = _apply(proposal, proposal.event, data)
        if changes:
            proposal.revision += 1
            proposal.revised_at = utcnow()
            db.session.add(ProposalRevision(proposal_id=proposal.id, at=proposal.revised_at, changes=changes))
            touch_event(proposal.event)
        db.session.flush()
        if proposal.status == "accepted":
            carry_into_next_draft(proposal.event)


def runs_allowed(proposal: Proposal) -> int:
    """How many times the session may run: as the facilitators set it, else as its format says
    (once when it lasts more than a slot)."""
    if proposal.length != 1:
        return 1
    if proposal.runs:
        return proposal.runs
    return int((proposal.event.format_settings or {}).get(proposal.format, {}).get("runs", 1))


def at_table(proposal: Proposal) -> bool:
    return bool((proposal.event.format_settings or {}).get(proposal.format, {}).get("at_table"))


def set_scheduling(proposal: Proposal, runs: int | None, after_id: int | None) -> None:
    """The facilitators' say on how a session is scheduled: how many runs it may have (None: its
    format's default), and the session it follows (part 2 after part 1)."""
    if runs is not None and not 1 <= runs <= 10:
        raise ServiceError(_("Give how many times, 1 to 10."), "runs")
    if runs is not None and runs > 1 and proposal.length != 1:
        raise ServiceError(_("A session longer than one slot runs once."), "runs")
    after = None
    if after_id:
        after = db.session.get(Proposal, after_id)
        if after is None or after.event_id != proposal.event_id or after.id == proposal.id:
            raise ServiceError(_("Choose another session of this event."), "after")
        seen, step = {proposal.id}, after
        while step is not None:  # part 1 must not itself come after part 2
            if step.id in seen:
                raise ServiceError(_("'%(title)s' already comes after this session.", title=after.title), "after")
            seen.add(step.id)
            step = step.after
    from .schedule import carry_into_next_draft

    proposal_id = proposal.id
    with transaction():
        proposal = db.session.get(Proposal, proposal_id)
        proposal.runs = runs
        proposal.after_id = after.id if after is not None else None
        db.session.flush()
        if proposal.status == "accepted":
            carry_into_next_draft(proposal.event)


def _notify(user_ids, event_id: int, kind: str, **params) -> None:
    from .mailings import notify

    notify(user_ids, event_id, kind, **params)


def agenda_people(proposal: Proposal) -> set[int]:
    """Who has the session in their agenda: its voters and the people who run it."""
    voters = set(db.session.scalars(select(Vote.user_id).where(Vote.proposal_id == proposal.id)))
    return voters | {f.user_id for f in proposal.facilitations if f.state == "accepted"}


def withdraw_impact(proposal: Proposal):
    """What withdrawing would do to the schedule (shown before confirming; nothing is kept)."""
    from .schedule import apply_change

    proposal_id = proposal.id
    return apply_change(proposal.event, lambda: setattr(db.session.get(Proposal, proposal_id), "status",
                                                          "withdrawn"), confirmed=False, ask_always=True)


def _scheduled(proposal: Proposal) -> bool:
    from .. import scheduling

    newest = scheduling.newest_version(proposal.event)
    published = scheduling.published_version(proposal.event)
    return any(a.proposal_id == proposal.id for v in (newest, published) if v for a in v.assignments)


def withdraw_proposal(proposal: Proposal, user: User) -> None:
    """Withdraw: the next draft leaves it out, and everyone who had it in their agenda is told."""
    if not can_withdraw(proposal, user):
        if proposal.status not in ("proposed", "accepted"):
            raise ServiceError(_("This proposal is no longer open."))
        raise PermissionError
    from .schedule import carry_into_next_draft

    proposal_id, name = proposal.id, user.display_name
    with transaction():
        proposal = db.session.get(Proposal, proposal_id)
        scheduled = _scheduled(proposal)
        people = agenda_people(proposal) - {user.id}
        proposal.status = "withdrawn"
        db.session.flush()
        carry_into_next_draft(proposal.event)
        _notify(people, proposal.event_id, "withdrawn" if scheduled else "withdrawn_unscheduled",
                proposal_id=proposal_id, title=proposal.title, name=name)


def leave_proposal(proposal: Proposal, user: User) -> None:
    """A co-facilitator steps down; the session goes on with the others."""
    if not can_leave(proposal, user):
        raise ServiceError(_("You do not co-facilitate this session."))
    proposal_id, user_id, name = proposal.id, user.id, user.display_name
    with transaction():
        f = db.session.get(Facilitation, (proposal_id, user_id))
        f.state = "declined"
        proposal = db.session.get(Proposal, proposal_id)
        others = [x.user_id for x in proposal.facilitations if x.state == "accepted" and x.user_id != user_id]
        _notify(others, proposal.event_id, "left", proposal_id=proposal_id, name=name, title=proposal.title)
        touch_event(proposal.event)


def invite_cofacilitator(proposal: Proposal, user: User, email: str) -> User | None:
    """Invite someone by email. The answer is the same whether or not they are a participant:
    the form reveals nothing about who takes part. Returns the invited person, if any."""
    if not can_edit(proposal, user):
        raise PermissionError
    event = proposal.event
    address = email.strip().lower()
    invitee = db.session.scalar(select(User).where(User.email == address))
    proposal_id, event_id, inviter_id = proposal.id, event.id, user.id
    if invitee is None or invitee.role_in(event) is None:
        # Not a participant (yet): the invitation waits for the address, and is sent to it once.
        from .mailings import invite_by_email

        with transaction():
            db.session.execute(insert_ignore(EmailInvitation).values(
                proposal_id=proposal_id, email=address, invited_by_id=inviter_id, created_at=utcnow()))
            invite_by_email(db.session.get(Proposal, proposal_id), db.session.get(User, inviter_id), address)
        return None
    if any(f.user_id == invitee.id for f in proposal.facilitations):
        return invitee
    invitee_id = invitee.id
    with transaction():
        db.session.add(Facilitation(proposal_id=proposal_id, user_id=invitee_id, state="invited"))
        _notify([invitee_id], event_id, "invited", proposal_id=proposal_id, name=user.display_name,
                title=proposal.title)
    return invitee


def respond_to_invitation(proposal: Proposal, user: User, accept: bool) -> None:
    f = db.session.get(Facilitation, (proposal.id, user.id))
    if f is None or f.is_proposer or f.state != "invited":
        raise ServiceError(_("You have no invitation for this proposal."))
    proposal_id, user_id = proposal.id, user.id
    with transaction():
        f = db.session.get(Facilitation, (proposal_id, user_id))
        f.state = "accepted" if accept else "declined"
        if accept:
            # One cannot want to attend one's own session: that vote no longer counts.
            db.session.execute(delete(Vote).where(Vote.user_id == user_id, Vote.proposal_id == proposal_id))
            touch_event(db.session.get(Proposal, proposal_id).event)


def review_proposal(proposal: Proposal, decision: str) -> None:
    """Accept, decline or reopen. A declined session leaves the next draft."""
    if decision not in ("accepted", "declined", "proposed"):
        raise ServiceError(_("Unknown decision."))
    if proposal.status in ("withdrawn", "merged"):
        raise ServiceError(_("This proposal is no longer open."))
    from .schedule import carry_into_next_draft

    proposal_id = proposal.id
    with transaction():
        proposal = db.session.get(Proposal, proposal_id)
        was = proposal.status
        proposal.status = decision
        db.session.flush()
        if was == "accepted" and decision != "accepted":
            carry_into_next_draft(proposal.event)
        if decision in ("accepted", "declined") and was != decision:
            hosts = [f.user_id for f in proposal.facilitations if f.state == "accepted"]
            _notify(hosts, proposal.event_id, decision, proposal_id=proposal_id, title=proposal.title)


def check_merge(keep: Proposal, other: Proposal) -> None:
    """Refuse a merge that cannot be made (before asking the facilitator to confirm it)."""
    if keep.id == other.id or keep.event_id != other.event_id:
        raise ServiceError(_("Choose another proposal of this event to merge with."), "other")
    for p in (keep, other):
        if p.status not in ("proposed", "accepted"):
            raise ServiceError(_("'%(title)s' is no longer open.", title=p.title), "other")


def merge_proposals(keep: Proposal, other: Proposal) -> None:
    """Make `other` part of `keep`: facilitators and votes are united, each vote counted once."""
    check_merge(keep, other)
    from .schedule import carry_into_next_draft

    keep_id, other_id = keep.id, other.id
    with transaction():
        keep, other = db.session.get(Proposal, keep_id), db.session.get(Proposal, other_id)
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
            insert_ignore(Vote).from_select(["user_id", "proposal_id", "created_at"], moved))
        db.session.execute(delete(Vote).where(Vote.proposal_id == other.id))
        db.session.execute(delete(Vote).where(Vote.proposal_id == keep.id, Vote.user_id.in_(hosts)))
        other.status = "merged"
        other.merged_into_id = keep.id
        proposers = [p.proposer.id for p in (keep, other) if p.proposer is not None]
        _notify(proposers, keep.event_id, "merged", proposal_id=keep_id, other=other.title, keep=keep.title)
        db.session.flush()
        carry_into_next_draft(keep.event)
    log.info("proposal %s merged into %s", other_id, keep_id)


# Votes


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
    with transaction():
        if want:
            db.session.execute(insert_ignore(Vote).values(user_id=user_id, proposal_id=proposal_id))
        else:
            db.session.execute(delete(Vote).where(Vote.user_id == user_id, Vote.proposal_id == proposal_id))


def voted_ids(user, event: Event) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(db.session.scalars(
        select(Vote.proposal_id).join(Proposal).where(Vote.user_id == user.id,
                                                      Proposal.event_id == event.id)))


def vote_counts(event: Event) -> dict[int, int]:
    """Votes per proposal, counted from the rows (or, past the retention date, the totals kept).
    For facilitators' eyes only."""
    if event.retained:
        return {int(k): v for k, v in event.retained.get("votes_by_proposal", {}).items()}
    rows = db.session.execute(
        select(Vote.proposal_id, func.count()).join(Proposal)
        .where(Proposal.event_id == event.id).group_by(Vote.proposal_id))
    return dict(rows.all())


def forget_user_proposals(user: User) -> None:
    """Before an account goes (inside its transaction): proposals only they run are withdrawn
    (published versions keep them until the next one); shared ones pass to a co-facilitator."""
    from .schedule import carry_into_next_draft

    mine = db.session.scalars(select(Facilitation).where(Facilitation.user_id == user.id)).all()
    events = set()
    for f in mine:
        proposal = f.proposal
        others = [o for o in proposal.facilitations if o.user_id != user.id and o.state == "accepted"]
        if not others:
            if proposal.status in ("proposed", "accepted"):
                people = agenda_people(proposal) - {user.id}
                proposal.status = "withdrawn"
                _notify(people, proposal.event_id, "account_deleted", title=proposal.title)
                events.add(proposal.event)
        elif f.is_proposer:
            others[0].is_proposer = True
    db.session.flush()
    for event in events:
        carry_into_next_draft(event)
        touch_event(event)


def slots_of(event: Event) -> list[Slot]:
    return [s for s in event.slots if s.kind == "open"]
