"""Proposals: create, edit, withdraw, co-facilitators, review, merge; and votes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..access import get_by_id
from ..addresses import AddressError, canonical
from ..db_tx import insert_ignore, transaction
from ..enums import InvitationState, ProposalStatus
from ..extensions import db
from ..models import EmailInvitation, Event, Facilitation, Proposal, ProposalRevision, Slot, User, Vote, utcnow
from ..permissions import allowed, may_vote, member, require
from . import ServiceError
from .content import touch_event
from .replays import first_time

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
    if not allowed(user, "proposal.create", event):
        raise ServiceError(_("Proposals are closed for this event.") if member(user, event)
                           else _("Join the event before proposing a session."))
    _check(event, data)
    with transaction():
        proposal = Proposal(event_id=event.id, status=ProposalStatus.PROPOSED)
        _apply(proposal, event, data)
        proposal.facilitations.append(Facilitation(user_id=user.id, is_proposer=True,
                                                   state=InvitationState.ACCEPTED))
        db.session.add(proposal)
    log.info("proposal %s created in %s", proposal.id, event.slug)
    return proposal


def update_proposal(proposal: Proposal, user: User, data: ProposalData) -> None:
    """Save an edit. What attendees read goes live at once, as a new revision of the session that
    feeds pick up; a change of length or availability goes into the next draft."""
    require(user, "proposal.edit", proposal)
    _check(proposal.event, data)
    from .schedule import carry_into_next_draft

    proposal_id = proposal.id
    with transaction():
        proposal = db.session.get(Proposal, proposal_id)
        require(user, "proposal.edit", proposal)
        changes = _apply(proposal, proposal.event, data)
        if changes:
            proposal.revision += 1
            proposal.revised_at = utcnow()
            db.session.add(ProposalRevision(proposal_id=proposal.id, at=proposal.revised_at, changes=changes))
            touch_event(proposal.event)
        db.session.flush()
        if proposal.state == ProposalStatus.ACCEPTED:
            carry_into_next_draft(proposal.event)


def set_scheduling(proposal: Proposal, runs: int | None, after_id: int | None) -> None:
    """The facilitators' say on how a session is scheduled: how many runs it may have (None: its
    format's default), and the session it follows (part 2 after part 1)."""
    if runs is not None and not 1 <= runs <= 10:
        raise ServiceError(_("Give how many times, 1 to 10."), "runs")
    if runs is not None and runs > 1 and proposal.length != 1:
        raise ServiceError(_("A session longer than one slot runs once."), "runs")
    after = None
    if after_id:
        after = get_by_id(Proposal, after_id)
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
        if proposal.state == ProposalStatus.ACCEPTED:
            carry_into_next_draft(proposal.event)


def _notify(user_ids, event_id: int, kind: str, **params) -> None:
    from .mailings import notify

    notify(user_ids, event_id, kind, **params)


def agenda_people(proposal: Proposal) -> set[int]:
    """Who has the session in their agenda: its voters and the people who run it."""
    voters = set(db.session.scalars(select(Vote.user_id).where(Vote.proposal_id == proposal.id)))
    return voters | {f.user_id for f in proposal.facilitations if f.state == InvitationState.ACCEPTED}


def withdraw_impact(proposal: Proposal):
    """What withdrawing would do to the schedule (shown before confirming; nothing is kept)."""
    from .schedule import apply_change

    proposal_id = proposal.id
    return apply_change(proposal.event, lambda: db.session.get(Proposal, proposal_id).move_to(
        ProposalStatus.WITHDRAWN), confirmed=False, ask_always=True)


def _scheduled(proposal: Proposal) -> bool:
    from .. import scheduling

    newest = scheduling.newest_version(proposal.event)
    published = scheduling.published_version(proposal.event)
    return any(a.proposal_id == proposal.id for v in (newest, published) if v for a in v.assignments)


def _may_withdraw(proposal: Proposal, user: User) -> None:
    if not proposal.may_become(ProposalStatus.WITHDRAWN):
        raise ServiceError(_("This proposal is no longer open."))
    require(user, "proposal.withdraw", proposal)


def withdraw_proposal(proposal: Proposal, user: User) -> None:
    """Withdraw: the next draft leaves it out, and everyone who had it in their agenda is told."""
    _may_withdraw(proposal, user)
    from .schedule import carry_into_next_draft

    proposal_id, name = proposal.id, user.display_name
    with transaction():
        proposal = db.session.get(Proposal, proposal_id)
        _may_withdraw(proposal, user)  # again, on the row as it is now
        scheduled = _scheduled(proposal)
        people = agenda_people(proposal) - {user.id}
        proposal.move_to(ProposalStatus.WITHDRAWN)
        db.session.flush()
        carry_into_next_draft(proposal.event)
        _notify(people, proposal.event_id, "withdrawn" if scheduled else "withdrawn_unscheduled",
                proposal_id=proposal_id, title=proposal.title, name=name)


def leave_proposal(proposal: Proposal, user: User) -> None:
    """A co-facilitator steps down; the session goes on with the others."""
    if not allowed(user, "proposal.leave", proposal):
        raise ServiceError(_("You do not co-facilitate this session."))
    proposal_id, user_id, name = proposal.id, user.id, user.display_name
    with transaction():
        proposal = db.session.get(Proposal, proposal_id)
        if not allowed(user, "proposal.leave", proposal):
            raise ServiceError(_("You do not co-facilitate this session."))
        f = db.session.get(Facilitation, (proposal_id, user_id))
        f.state = InvitationState.DECLINED
        others = [x.user_id for x in proposal.facilitations
                  if x.state == InvitationState.ACCEPTED and x.user_id != user_id]
        _notify(others, proposal.event_id, "left", proposal_id=proposal_id, name=name, title=proposal.title)
        touch_event(proposal.event)


def invite_cofacilitator(proposal: Proposal, user: User, email: str) -> User | None:
    """Invite someone by email. The answer is the same whether or not they are a participant:
    the form reveals nothing about who takes part. Returns the invited person, if any."""
    require(user, "proposal.invite", proposal)
    event = proposal.event
    try:
        address = canonical(email)
    except AddressError as e:
        raise ServiceError(str(e.message), "email") from None
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
        db.session.add(Facilitation(proposal_id=proposal_id, user_id=invitee_id, state=InvitationState.INVITED))
        _notify([invitee_id], event_id, "invited", proposal_id=proposal_id, name=user.display_name,
                title=proposal.title)
    return invitee


def _invitation(proposal_id: int, user_id: int) -> Facilitation:
    f = db.session.get(Facilitation, (proposal_id, user_id))
    if f is None or f.is_proposer or f.state != InvitationState.INVITED:
        raise ServiceError(_("You have no invitation for this proposal."))
    return f


def respond_to_invitation(proposal: Proposal, user: User, accept: bool) -> None:
    proposal_id, user_id = proposal.id, user.id
    _invitation(proposal_id, user_id)
    with transaction():
        f = _invitation(proposal_id, user_id)  # again, on the row as it is now
        f.state = InvitationState.ACCEPTED if accept else InvitationState.DECLINED
        if accept:
            # One cannot want to attend one's own session: that vote no longer counts.
            db.session.execute(delete(Vote).where(Vote.user_id == user_id, Vote.proposal_id == proposal_id))
            touch_event(db.session.get(Proposal, proposal_id).event)


DECISIONS = (ProposalStatus.ACCEPTED, ProposalStatus.DECLINED, ProposalStatus.PROPOSED)


def _may_review(proposal: Proposal, decision: ProposalStatus) -> None:
    if proposal.state != decision and not proposal.may_become(decision):
        raise ServiceError(_("This proposal is no longer open."))


def review_proposal(proposal: Proposal, decision: str) -> None:
    """Accept, decline or reopen. A declined session leaves the next draft."""
    if decision not in DECISIONS:
        raise ServiceError(_("Unknown decision."))
    decision = ProposalStatus(decision)
    _may_review(proposal, decision)
    from .schedule import carry_into_next_draft

    proposal_id = proposal.id
    with transaction():
        proposal = db.session.get(Proposal, proposal_id)
        _may_review(proposal, decision)  # again, on the row as it is now
        was = proposal.state
        if was == decision:
            return
        proposal.move_to(decision)
        db.session.flush()
        if was == ProposalStatus.ACCEPTED:
            carry_into_next_draft(proposal.event)
        if decision != ProposalStatus.PROPOSED:
            hosts = [f.user_id for f in proposal.facilitations if f.state == InvitationState.ACCEPTED]
            _notify(hosts, proposal.event_id, decision, proposal_id=proposal_id, title=proposal.title)


def check_merge(keep: Proposal, other: Proposal) -> None:
    """Refuse a merge that cannot be made (before asking the facilitator to confirm it)."""
    if keep.id == other.id or keep.event_id != other.event_id:
        raise ServiceError(_("Choose another proposal of this event to merge with."), "other")
    for p in (keep, other):
        if not p.may_become(ProposalStatus.MERGED):
            raise ServiceError(_("'%(title)s' is no longer open.", title=p.title), "other")


def merge_proposals(keep: Proposal, other: Proposal) -> None:
    """Make `other` part of `keep`: facilitators and votes are united, each vote counted once."""
    check_merge(keep, other)
    from .schedule import carry_into_next_draft

    keep_id, other_id = keep.id, other.id
    with transaction():
        keep, other = db.session.get(Proposal, keep_id), db.session.get(Proposal, other_id)
        check_merge(keep, other)  # again, on the rows as they are now
        have = {f.user_id for f in keep.facilitations}
        for f in other.facilitations:
            if f.state == InvitationState.ACCEPTED and f.user_id not in have:
                db.session.add(Facilitation(proposal_id=keep.id, user_id=f.user_id, state=InvitationState.ACCEPTED))
        db.session.flush()
        hosts = select(Facilitation.user_id).where(Facilitation.proposal_id == keep.id,
                                                   Facilitation.state == InvitationState.ACCEPTED)
        moved = select(Vote.user_id, keep.id, Vote.created_at).where(
            Vote.proposal_id == other.id, Vote.user_id.not_in(hosts))
        db.session.execute(
            insert_ignore(Vote).from_select(["user_id", "proposal_id", "created_at"], moved))
        db.session.execute(delete(Vote).where(Vote.proposal_id == other.id))
        db.session.execute(delete(Vote).where(Vote.proposal_id == keep.id, Vote.user_id.in_(hosts)))
        other.move_to(ProposalStatus.MERGED)
        other.merged_into_id = keep.id
        proposers = [p.proposer.id for p in (keep, other) if p.proposer is not None]
        _notify(proposers, keep.event_id, "merged", proposal_id=keep_id, other=other.title, keep=keep.title)
        db.session.flush()
        carry_into_next_draft(keep.event)
    log.info("proposal %s merged into %s", other_id, keep_id)


# Votes


def _vote_refusal(user: User, proposal: Proposal) -> str:
    """Why permissions.may_vote says no, in words the voter can act on."""
    if not member(user, proposal.event):
        return _("Join the event before voting.")
    if not proposal.event.voting_open:
        return _("Voting is closed for this event.")
    if proposal.is_facilitator(user):
        return _("You facilitate this session, so you will be there anyway.")
    return _("This proposal was withdrawn, declined or merged; it takes no votes.")


def set_vote(user: User, proposal: Proposal, want: bool, key: str | None = None) -> bool:
    """Mark or unmark. Both are idempotent: marking twice or unmarking nothing changes nothing.
    A request sent again with the same `key` (kept offline) changes nothing the second time.
    Returns whether the person now wants to attend (what the page shows)."""
    if want and not may_vote(user, proposal):
        raise ServiceError(_vote_refusal(user, proposal))
    user_id, proposal_id = user.id, proposal.id
    with transaction():
        new = first_time(user_id, key)
        if new and want:
            db.session.execute(insert_ignore(Vote).values(user_id=user_id, proposal_id=proposal_id))
        elif new:
            db.session.execute(delete(Vote).where(Vote.user_id == user_id, Vote.proposal_id == proposal_id))
        return db.session.scalar(select(func.count()).select_from(Vote).where(
            Vote.user_id == user_id, Vote.proposal_id == proposal_id)) > 0


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
        others = [o for o in proposal.facilitations if o.user_id != user.id and o.state == InvitationState.ACCEPTED]
        if not others:
            if proposal.may_become(ProposalStatus.WITHDRAWN):
                people = agenda_people(proposal) - {user.id}
                proposal.move_to(ProposalStatus.WITHDRAWN)
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
