"""Accounts: register, authenticate, profile, password, deletion."""

import logging

from flask_babel import gettext as _
from sqlalchemy import select

from ..db_tx import transaction
from ..extensions import db
from ..models import Event, Membership, User, new_session_token
from ..security import hash_password, verify_password
from . import ServiceError

log = logging.getLogger(__name__)


def normalise_email(email: str) -> str:
    return email.strip().lower()


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
    password_hash = hash_password(password)  # slow on purpose: before taking the write lock
    email = normalise_email(email)
    event_id = event.id if event is not None else None
    with transaction():
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            return None
        user = User(email=email, display_name=display_name.strip(), password_hash=password_hash,
                    languages=list(languages or []))
        if event_id is not None:
            user.memberships.append(Membership(event_id=event_id, role="participant"))
        db.session.add(user)
    log.info("registered user %s", user.id)
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


def update_profile(user: User, display_name: str, languages: list[str], locale: str | None = None) -> None:
    from ..i18n import known

    user_id = user.id
    with transaction():
        user = db.session.get(User, user_id)
        user.display_name = display_name.strip()
        user.languages = list(languages)
        user.locale = known(locale)


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ServiceError(_("That is not your current password."), "current")
    new_hash = hash_password(new)
    user_id = user.id
    with transaction():
        user = db.session.get(User, user_id)
        user.password_hash = new_hash
        user.session_token = new_session_token()


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
    with transaction():
        if db.session.get(Membership, (user_id, event_id)) is None:
            db.session.add(Membership(user_id=user_id, event_id=event_id, role="participant"))


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
