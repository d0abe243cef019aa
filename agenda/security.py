"""Password hashing, login throttling, the login cookie and security headers."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, func, select

from .extensions import db, login_manager
from .models import LoginAttempt, User, utcnow

# argon2id, RFC 9106 low-memory profile: 64 MiB, t=3, p=4 (above OWASP's 19 MiB, t=2, p=1).
hasher = PasswordHasher()
_dummy_hash: str | None = None

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time on a dummy one."""
    global _dummy_hash
    if not stored or stored == "!":
        if _dummy_hash is None:
            _dummy_hash = hasher.hash("not the password of anyone")
        stored, ok_possible = _dummy_hash, False
    else:
        ok_possible = True
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok_possible


def throttle_login(email: str) -> bool:
    """Record a login attempt; return False when the account or address is over its limit.

    The attempt is inserted before counting, so concurrent server processes
    cannot all pass the same check: each sees its own row and every earlier one.
    """
    from .db_tx import write_transaction

    write_transaction()
    cfg = current_app.config
    now = utcnow()
    since = now - timedelta(seconds=cfg["LOGIN_LIMIT_WINDOW"])
    keys = {
        f"account:{email.strip().lower()}": cfg["LOGIN_LIMIT_ACCOUNT"],
        f"address:{request.remote_addr or '-'}": cfg["LOGIN_LIMIT_ADDRESS"],
    }
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))
    for key in keys:
        db.session.add(LoginAttempt(key=key, at=now))
    db.session.commit()
    for key, limit in keys.items():
        count = db.session.scalar(
            select(func.count()).where(LoginAttempt.key == key, LoginAttempt.at >= since)
        )
        if count > limit:
            return False
    return True


def clear_account_attempts(email: str) -> None:
    """A successful login forgets the account's failed attempts (not the address's)."""
    from .db_tx import write_transaction

    write_transaction()
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.key == f"account:{email.strip().lower()}")
    )
    db.session.commit()


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    """Accept the cookie only while its session token is still the user's current one."""
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_token != token:
        return None
    return user


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # Pages shown to a logged-in person are personal: never keep them in a cache.
    if current_user and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    elif request.endpoint and request.endpoint.startswith("auth."):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "basic"
    app.after_request(set_security_headers)
