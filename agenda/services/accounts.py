"""Accounts: register, authenticate, profile, password, deletion."""

import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from .. import mail
from ..addresses import lookup_form
from ..db_tx import transaction
from ..enums import EMAIL_KINDS
from ..extensions import db
from ..models import (
    EmailInvitation,
    Event,
    Facilitation,
    Membership,
    Notice,
    PasswordReset,
    User,
    new_session_token,
    utcnow,
)
from ..security import hash_password, verify_password
from ..urls import absolute
from . import ServiceError

log = logging.getLogger(__name__)


def normalise_email(email: str) -> str:
    """The stored form of an address (see agenda/addresses.py); never an error, for look-ups."""
    return lookup_form(email)


def register_user(
    email: str, display_name: str, password: str, event: Event | None = None,
    invite_code: str | None = None, languages: list[str] | None = None,
) -> User | None:
    """Create an account (and join the event). Returns None when the email is taken.

    The caller shows the same answer either way, so the form reveals nothing
    about who has an account; the password is hashed in both cases so timing
    does not tell either.
    """
    if event is not None and event.invite_code and (invite_code or "").strip() != event.invite_code:
        raise ServiceError(_("This invite code is not right for this event."), "invite_code")
    if event is not None and name_taken(event.id, display_name):
        raise ServiceError(_("Someone in this event already uses this name: choose another one."), "display_name")
    password_hash = hash_password(password)  # slow on purpose: before taking the write lock
    email = normalise_email(email)
    event_id = event.id if event is not None else None
    with transaction():
        existing = db.session.scalar(select(User).where(User.email == email))
        if existing is not None:
            # Tell the owner of the address, not the person at the form.
            mail.queue(f"taken:{existing.id}:{int(utcnow().timestamp())}", existing.email, "already_registered",
                       lambda: _("Someone tried to register with your address"), user=existing, event=event)
            return None
        user = User(email=email, display_name=display_name.strip(), password_hash=password_hash,
                    languages=list(languages or []))
        if event_id is not None:
            user.memberships.append(Membership(event_id=event_id, role="participant"))
        db.session.add(user)
        db.session.flush()
        if event_id is not None:
            claim_email_invitations(user, event_id)
        mail.queue(f"welcome:{user.id}", user.email, "welcome", lambda: _("Your agenda account is ready"),
                   user=user, event=event)
    log.info("registered user %s", user.id)
    return user


def name_taken(event_id: int, display_name: str, except_user: int | None = None) -> bool:
    """Display names are unique within an event (people tell each other apart by them)."""
    q = select(User.id).join(Membership).where(
        Membership.event_id == event_id, func.lower(User.display_name) == display_name.strip().lower())
    if except_user is not None:
        q = q.where(User.id != except_user)
    return db.session.scalar(q.limit(1)) is not None


def claim_email_invitations(user: User, event_id: int) -> None:
    """Invitations sent to this person's address become invitations in the app (inside a transaction)."""
    from ..models import Proposal

    rows = db.session.scalars(select(EmailInvitation).join(Proposal).where(
        EmailInvitation.email == user.email, Proposal.event_id == event_id)).all()
    for row in rows:
        if db.session.get(Facilitation, (row.proposal_id, user.id)) is None:
            db.session.add(Facilitation(proposal_id=row.proposal_id, user_id=user.id, state="invited"))
            inviter = db.session.get(User, row.invited_by_id) if row.invited_by_id else None
            proposal = db.session.get(Proposal, row.proposal_id)
            db.session.add(Notice(user_id=user.id, event_id=event_id, kind="invited", params={
                "name": inviter.display_name if inviter else "", "title": proposal.title}))
        db.session.delete(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(email: str) -> None:
    """Send a single-use link to set a new password, if the address has an account. The caller
    answers the same either way."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    token = secrets.token_urlsafe(32)
    hours = current_app.config["RESET_LINK_HOURS"]
    with transaction():
        if user is None or user.password_hash == "!":  # noqa: S105 ("!" marks an account that cannot log in)
            return
        reset = PasswordReset(user_id=user.id, token_hash=_token_hash(token),
                              expires_at=utcnow() + timedelta(hours=hours))
        db.session.add(reset)
        db.session.flush()
        link = absolute("auth.reset", token=token)
        mail.queue(f"reset:{reset.id}", user.email, "reset", lambda: _("Set a new password for agenda"),
                   user=user, link=link, hours=hours)


def reset_target(token: str) -> PasswordReset | None:
    """The reset this link is for, if it can still be used."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    return row


def _end_reset_links(user_id: int) -> None:
    """A new password, however it was set, ends every reset link still open (inside a transaction)."""
    db.session.execute(update(PasswordReset).where(PasswordReset.user_id == user_id,
                                                   PasswordReset.used_at.is_(None)).values(used_at=utcnow()))


def reset_password(token: str, new_password: str) -> User:
    """Set the new password; every other session of the person ends, every other link dies."""
    row = reset_target(token)
    if row is None:
        raise ServiceError(_("This link is no longer valid: ask for a new one."))
    new_hash = hash_password(new_password)
    reset_id = row.id
    with transaction():
        row = db.session.get(PasswordReset, reset_id)
        if row.used_at is not None:
            raise ServiceError(_("This link is no longer valid: ask for a new one."))
        user = db.session.get(User, row.user_id)
        user.password_hash = new_hash
        user.session_token = new_session_token()
        _end_reset_links(user.id)
    log.info("password reset for user %s", user.id)
    return user


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    ok = verify_password(user.password_hash if user else None, password)
    return user if ok else None


def revoke_sessions(user: User) -> None:
    """Log out every copy of the user's login cookie."""
    user_id = user.id
    with transaction():
        db.session.get(User, user_id).session_token = new_session_token()


def update_profile(user: User, display_name: str, languages: list[str], locale: str | None = None,
                   email_prefs: dict | None = None) -> None:
    from ..i18n import known
    from .content import touch_event

    for m in user.memberships:
        if name_taken(m.event_id, display_name, except_user=user.id):
            raise ServiceError(_("Someone in %(event)s already uses this name: choose another one.",
                                 event=m.event.name), "display_name")
    user_id = user.id
    with transaction():
        user = db.session.get(User, user_id)
        renamed = user.display_name != display_name.strip()
        user.display_name = display_name.strip()
        user.languages = list(languages)
        user.locale = known(locale)
        if email_prefs is not None:
            user.email_prefs = {k: bool(email_prefs.get(k)) for k in EMAIL_KINDS}
        if renamed:  # their name is on the sessions they run, in pages and feeds
            from ..models import Proposal

            for event_id in db.session.scalars(select(Proposal.event_id).join(Facilitation).where(
                    Facilitation.user_id == user_id, Facilitation.state == "accepted").distinct()):
                touch_event(db.session.get(Event, event_id))


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ServiceError(_("That is not your current password."), "current")
    new_hash = hash_password(new)
    user_id = user.id
    with transaction():
        user = db.session.get(User, user_id)
        user.password_hash = new_hash
        user.session_token = new_session_token()
        _end_reset_links(user_id)


def delete_account(user: User, password: str) -> None:
    """Remove the person and everything of theirs. Sessions they ran alone are withdrawn, not
    deleted: a published schedule keeps them (without their name) until its next version."""
    if not verify_password(user.password_hash, password):
        raise ServiceError(_("That is not your password."), "password")
    from .proposals import forget_user_proposals

    user_id = user.id
    with transaction():
        user = db.session.get(User, user_id)
        forget_user_proposals(user)
        db.session.delete(user)
    log.info("deleted a user account")


def join_event(user: User, event: Event, invite_code: str | None = None) -> None:
    """Become a participant. A site admin may act in any event, and joining still gives them a
    place among its people (and in its schedule's calendar)."""
    user_id, event_id = user.id, event.id
    if db.session.get(Membership, (user_id, event_id)) is not None:
        return
    if event.invite_code and not user.is_admin and (invite_code or "").strip() != event.invite_code:
        raise ServiceError(_("This invite code is not right for this event."), "invite_code")
    if name_taken(event_id, user.display_name, except_user=user_id):
        raise ServiceError(_("Someone in %(event)s already uses your display name: change it in your profile, "
                             "then join.", event=event.name))
    with transaction():
        if db.session.get(Membership, (user_id, event_id)) is None:
            db.session.add(Membership(user_id=user_id, event_id=event_id, role="participant"))
            claim_email_invitations(db.session.get(User, user_id), event_id)


def create_admin(email: str, password: str, display_name: str = "Admin") -> User:
    email = normalise_email(email)
    password_hash = hash_password(password)
    with transaction():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, display_name=display_name, password_hash=password_hash)
            db.session.add(user)
        user.is_admin = True
    return user
