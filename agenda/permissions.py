"""One permission table: who may do what, for views, services and templates alike.

Each permission is a named predicate of (user, object). Views declare theirs with
`@permission(name, load=…)` (the route × role test walks every route through this); services
guard with `require(user, name, obj)`; templates ask `can(name, obj)`. What a caller may not
see answers 404, not 403; an anonymous caller of a page that needs an account is sent to log in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import abort, g
from flask_login import current_user

from .enums import InvitationState, ProposalStatus
from .extensions import db, login_manager
from .models import Event, NotesEditor, Proposal

LISTED = tuple(s for s in ProposalStatus if s.is_open)
# A session's notes are written once it is accepted, and kept when it is withdrawn or merged.
WITH_NOTES = (ProposalStatus.ACCEPTED, ProposalStatus.WITHDRAWN, ProposalStatus.MERGED)


def _authenticated(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def anyone(user, obj) -> bool:
    return True


def logged_in(user, obj) -> bool:
    return _authenticated(user)


def site_admin(user, obj) -> bool:
    return _authenticated(user) and user.is_admin


def member(user, event: Event) -> bool:
    return _authenticated(user) and user.role_in(event) is not None


def staff(user, event: Event) -> bool:
    """Facilitators of the event, and site admins (who need no membership)."""
    return _authenticated(user) and user.can_facilitate(event)


def _hosts(user, proposal: Proposal, states=(InvitationState.ACCEPTED,)) -> bool:
    return _authenticated(user) and any(f.user_id == user.id and f.state in states for f in proposal.facilitations)


def proposal_visible(user, proposal: Proposal) -> bool:
    """Open proposals to anyone (participants-only ones show closed); the rest to staff and their people."""
    return (proposal.status in LISTED or staff(user, proposal.event)
            or _hosts(user, proposal, tuple(InvitationState)))


def proposal_create(user, event: Event) -> bool:
    return member(user, event) and (event.proposals_open or staff(user, event))


def proposal_edit(user, proposal: Proposal) -> bool:
    """Facilitators of the event always; the proposal's own people while proposals are open."""
    if staff(user, proposal.event):
        return True
    return _hosts(user, proposal) and proposal.event.proposals_open and proposal.state.is_open


def proposal_withdraw(user, proposal: Proposal) -> bool:
    """Only the proposer or a facilitator of the event; a co-facilitator leaves instead."""
    if not proposal.may_become(ProposalStatus.WITHDRAWN):
        return False
    proposer = proposal.proposer
    return staff(user, proposal.event) or (_authenticated(user) and proposer is not None and proposer.id == user.id)


def proposal_leave(user, proposal: Proposal) -> bool:
    return _authenticated(user) and any(
        f.user_id == user.id and f.state == InvitationState.ACCEPTED and not f.is_proposer
        for f in proposal.facilitations)


def proposal_respond(user, proposal: Proposal) -> bool:
    return _hosts(user, proposal, (InvitationState.INVITED,)) and proposal_visible(user, proposal)


def proposal_staff(user, proposal: Proposal) -> bool:
    return staff(user, proposal.event)


def notes_editor(user, proposal: Proposal) -> bool:
    """The session's facilitators, the people they allowed, and the event's facilitators."""
    if not _authenticated(user):
        return False
    if staff(user, proposal.event) or proposal.is_facilitator(user):
        return True
    return db.session.get(NotesEditor, (proposal.id, user.id)) is not None


def notes_edit(user, proposal: Proposal) -> bool:
    return proposal.state in WITH_NOTES and notes_editor(user, proposal)


def proposal_vote(user, proposal: Proposal) -> bool:
    """Members vote on what they may see; the answer never tells outsiders what a proposal is."""
    return member(user, proposal.event) and proposal_visible(user, proposal)


def may_vote(user, proposal: Proposal) -> bool:
    """May mark the session as one to attend: a member who may see it, while voting is open, when it
    takes votes and they do not run it. (Unmarking is always possible: a vote is one's own.)"""
    return (proposal_vote(user, proposal) and proposal.event.voting_open and proposal.state.is_open
            and not proposal.is_facilitator(user))


@dataclass(frozen=True)
class Permission:
    name: str
    check: Callable
    login: bool  # an anonymous caller is sent to log in (else: not found)


PERMISSIONS = {p.name: p for p in [
    Permission("event.view", anyone, False),
    Permission("event.join", logged_in, True),
    Permission("event.create", site_admin, True),
    Permission("event.manage", staff, True),  # set-up: settings, rooms, slots, people
    Permission("event.facilitate", staff, True),  # solve runs, drafts, hand edits
    Permission("version.publish", staff, True),
    Permission("schedule.view", anyone, False),
    Permission("agenda.read", member, True),
    Permission("agenda.feed", anyone, False),  # the personal feed's secret address is the key
    Permission("proposal.list", anyone, False),
    Permission("proposal.view", proposal_visible, False),
    Permission("proposal.create", proposal_create, True),
    Permission("proposal.edit", proposal_edit, True),
    Permission("proposal.withdraw", proposal_withdraw, True),
    Permission("proposal.leave", proposal_leave, True),
    Permission("proposal.invite", proposal_edit, True),
    Permission("proposal.respond", proposal_respond, True),
    Permission("proposal.review", proposal_staff, True),
    Permission("proposal.merge", proposal_staff, True),
    Permission("proposal.vote", proposal_vote, True),
    Permission("announcement.post", staff, True),
    Permission("notes.edit", notes_edit, True),  # a session's facilitators, whom they allow, staff
    Permission("account.own", logged_in, True),
    Permission("account.anonymous", anyone, False),  # log in, register, language
]}


def allowed(user, name: str, obj=None) -> bool:
    return PERMISSIONS[name].check(user, obj)


def can(name: str, obj=None) -> bool:
    """For templates: may the current user do this?"""
    return allowed(current_user, name, obj)


def can_vote(proposal: Proposal) -> bool:
    """For templates: may the current user mark this session (may_vote)?"""
    return may_vote(current_user, proposal)


class Denied(PermissionError):
    """Raised by services: the caller may not do this (views answer 404)."""


def require(user, name: str, obj=None) -> None:
    if not allowed(user, name, obj):
        raise Denied(name)


def refuse(name: str):
    """Abort as the table says: to the login page for an anonymous caller, else not found."""
    if PERMISSIONS[name].login and not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    abort(404)


def permission(name: str, load: Callable | None = None):
    """Declare and enforce a view's permission.

    The view gets the event (for routes under /<slug>/) and, with `load(event, kwargs)`, the
    object the permission is about (load pops the URL values it uses and 404s on unknown ids).
    """
    spec = PERMISSIONS[name]

    def decorate(view):
        @wraps(view)
        def wrapped(**kwargs):
            from .access import get_event

            event = get_event(kwargs.pop("slug")) if "slug" in kwargs else None
            obj = load(event, kwargs) if load is not None else event
            if not spec.check(current_user, obj):
                refuse(name)
            g.event = event
            args = ([event] if event is not None else []) + ([obj] if load is not None else [])
            return view(*args, **kwargs)

        wrapped.permission = name
        return wrapped

    return decorate
