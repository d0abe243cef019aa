"""Accounts: register, authenticate, profile, password, deletion."""

import logging

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Event, Membership, User, new_session_token
from ..security import hash_password, verify_password
from . import ServiceError

log = logging.getLogger(__name__)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def register_user(
    email: str, display_name: str, password: str, event: Event | None = None,
    invite_code: str | None = None,
) -> User | None:
    """Create an account (and join the event). Returns None when the email is taken.

    The caller shows the same answer either way, so the form reveals nothing
    about who has an account; the password is hashed in both cases so timing
    does not tell either.
    """
    if event is not None and event.invite_code and (invite_code or "").strip() != event.invite_code:
        raise ServiceError(_("This invite code is not right for this event."), "invite_code")
    password_hash = hash_password(password)
    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        return None
    user = User(email=email, display_name=display_name.strip(), password_hash=password_hash)
    if event is not None:
        user.memberships.append(Membership(event=event, role="participant"))
    db.session.add(user)
    db.session.commit()
    log.info("registered user %s", user.id)
    return user


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    ok = verify_password(user.password_hash if user else None, password)
    return user if ok else None


def revoke_sessions(user: User) -> None:
    """Log out every copy of the user's login cookie."""
    user.session_token = new_session_token()
    db.session.commit()


def update_profile(user: User, display_name: str, languages: list[str]) -> None:
    user.display_name = display_name.strip()
    user.languages = list(languages)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ServiceError(_("That is not your current password."), "current")
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    db.session.commit()


def delete_account(user: User, password: str) -> None:
    """Remove the person and everything of theirs."""
    if not verify_password(user.password_hash, password):
        raise ServiceError(_("That is not your password."), "password")
    from .proposals import forget_user_proposals

    forget_user_proposals(user)
    db.session.delete(user)
    db.session.commit()
    log.info("deleted a user account")


def join_event(user: User, event: Event, invite_code: str | None = None) -> None:
    if user.role_in(event) is not None:
        return
    if event.invite_code and (invite_code or "").strip() != event.invite_code:
        raise ServiceError(_("This invite code is not right for this event."), "invite_code")
    db.session.add(Membership(user=user, event=event, role="participant"))
    db.session.commit()


def create_admin(email: str, password: str, display_name: str = "Admin") -> User:
    email = normalise_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, display_name=display_name, password_hash=hash_password(password))
        db.session.add(user)
    user.is_admin = True
    db.session.commit()
    return user
