"""Password hashing, login throttling, the login cookie and security headers."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy import delete, func, select

from .extensions import db, login_manager
from .models import LoginAttempt, User, utcnow

_hashers: dict[tuple, PasswordHasher] = {}
_dummy_hashes: dict[tuple, str] = {}


def hasher() -> PasswordHasher:
    """argon2id with the configured cost: RFC 9106's low-memory profile by default (64 MiB,
    t=3, p=4, above OWASP's 19 MiB, t=2, p=1). Tests may lower it; hashes carry their own cost."""
    try:
        cfg = current_app.config
        cost = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    except (RuntimeError, KeyError):
        cost = (3, 65536, 4)
    if cost not in _hashers:
        _hashers[cost] = PasswordHasher(time_cost=cost[0], memory_cost=cost[1], parallelism=cost[2])
    return _hashers[cost]

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time on a dummy one."""
    h = hasher()
    if not stored or stored == "!":
        key = (h.time_cost, h.memory_cost, h.parallelism)
        if key not in _dummy_hashes:
            _dummy_hashes[key] = h.hash("not the password of anyone")
        stored, ok_possible = _dummy_hashes[key], False
    else:
        ok_possible = True
    try:
        h.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok_possible


def password_is_weak(password: str, context: list[str]) -> bool:
    """zxcvbn's estimate, told the person's e-mail and name: below 'safely unguessable' is weak.
    So is a password that is little more than that e-mail or name."""
    import re

    from zxcvbn import zxcvbn

    words = [w for c in context for w in [c, *c.replace("@", " ").replace(".", " ").split()] if w]
    letters = re.sub(r"[^a-z]", "", password.lower())
    for c in context:
        for part in (c, c.split("@")[0]):
            own = re.sub(r"[^a-z]", "", part.lower())
            if len(own) >= 4 and own in letters and len(letters) - len(own) < 6:
                return True
    # zxcvbn refuses more than 72 characters (a ValueError); the first 72 tell enough.
    return zxcvbn(password[:72], user_inputs=words)["score"] < 3


class Throttle:
    """Attempts counted in the database, so that every server process shares the counters.

    Each attempt is inserted before counting: concurrent processes cannot all pass the same
    check, since each sees its own row and every earlier one. `forget()` takes back the rows of
    an attempt that succeeded, so only failures count against a (shared) venue address.
    """

    def __init__(self, limits: dict[str, int]):
        self.limits = limits
        self.ids: list[int] = []

    def allowed(self) -> bool:
        """Count this attempt; False (and not counted) when a limit is reached.

        A refused attempt is taken back in the same transaction: it never tried a password, so
        an attacker who keeps knocking does not keep the lock closed for the owner."""
        from .db_tx import transaction

        now = utcnow()
        since = now - timedelta(seconds=current_app.config["LOGIN_LIMIT_WINDOW"])
        with transaction():
            db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))
            rows = [LoginAttempt(key=key, at=now) for key in self.limits]
            db.session.add_all(rows)
            db.session.flush()
            self.ids = [r.id for r in rows]
            counts = {key: db.session.scalar(select(func.count()).where(
                LoginAttempt.key == key, LoginAttempt.at >= since)) for key in self.limits}
            ok = all(counts[key] <= limit for key, limit in self.limits.items())
            if not ok:
                db.session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(self.ids)))
                self.ids = []
        return ok

    def forget(self) -> None:
        from .db_tx import transaction

        with transaction():
            db.session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(self.ids)))


def client_address() -> str:
    """The caller's address: the proxy's word for it only through ProxyFix (PROXY_HOPS)."""
    return request.remote_addr or "-"


# A browser that logged in to an account before is a known device for it: a signed cookie holds
# a random id for the browser and a keyed mark of each account (no address readable in it).
DEVICE_COOKIE = "agenda_device"
DEVICE_DAYS = 180
DEVICE_ACCOUNTS = 5  # a shared computer remembers the last five accounts


def _device_serializer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.secret_key, salt="known-device")


def _account_mark(email: str) -> str:
    import hashlib
    import hmac

    key = current_app.secret_key.encode() if isinstance(current_app.secret_key, str) else current_app.secret_key
    return hmac.new(key, b"device-account:" + email.strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


def _device() -> dict | None:
    """This browser's known-device cookie, if it is ours, unexpired and well formed."""
    from itsdangerous import BadData

    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 1000:
        return None
    try:
        data = _device_serializer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), str) or not isinstance(data.get("a"), list):
        return None
    return data


def known_device(email: str) -> str | None:
    """The browser's device id when it logged in to this account before, else None."""
    data = _device()
    return data["d"] if data and _account_mark(email) in data["a"] else None


def remember_device(response, email: str):
    """After a successful login: this browser is a known device for the account from now on."""
    import secrets

    data = _device() or {"d": secrets.token_urlsafe(12), "a": []}
    mark = _account_mark(email)
    marks = [m for m in data["a"] if m != mark][-(DEVICE_ACCOUNTS - 1):] + [mark]
    response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps({"d": data["d"], "a": marks}),
                        max_age=DEVICE_DAYS * 86400, secure=current_app.config["SESSION_COOKIE_SECURE"],
                        httponly=True, samesite="Lax")
    return response


def login_throttle(email: str) -> Throttle:
    """Failures are limited per account and per client address; a known device of the account
    has a limit of its own instead, so an attacker elsewhere (or behind the same venue address)
    cannot lock the owner out of the browser they use."""
    cfg = current_app.config
    device = known_device(email)
    if device is not None:
        return Throttle({f"device:{device}": cfg["LOGIN_LIMIT_ACCOUNT"]})
    return Throttle({f"account:{email.strip().lower()}": cfg["LOGIN_LIMIT_ACCOUNT"],
                     f"address:{client_address()}": cfg["LOGIN_LIMIT_ADDRESS"]})


def throttle_login(email: str) -> bool:
    """Count a login attempt; False when the account or the address is over its limit."""
    return login_throttle(email).allowed()


def throttle_reset(email: str) -> bool:
    """Count a password reset request: per address asked for (no one's inbox is flooded) and per
    client address. Counted whether or not the address has an account, so it tells nothing."""
    cfg = current_app.config
    return Throttle({f"reset-account:{email.strip().lower()}": cfg["RESET_LIMIT_ACCOUNT"],
                     f"reset:{client_address()}": cfg["RESET_LIMIT_ADDRESS"]}).allowed()


def throttle(kind: str, limit_key: str) -> bool:
    """Count an attempt of another costly kind (registration, password reset) from this address."""
    return Throttle({f"{kind}:{client_address()}": current_app.config[limit_key]}).allowed()


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


def session_timeouts():
    """Log out a session idle too long, or older than the absolute limit (both in the signed cookie)."""
    if not current_user or not current_user.is_authenticated:
        return
    cfg = current_app.config
    now = utcnow()
    try:
        started = datetime.fromisoformat(session.get("auth_at", ""))
        seen = datetime.fromisoformat(session.get("seen_at", ""))
    except (TypeError, ValueError):
        started = seen = now  # a session from before timeouts existed starts its clock now
        session["auth_at"] = now.isoformat()
    if (now - seen).total_seconds() > cfg["SESSION_IDLE_TIMEOUT"] or \
            (now - started).total_seconds() > cfg["SESSION_ABSOLUTE_TIMEOUT"]:
        logout_user()
        session.pop("auth_at", None)
        session.pop("seen_at", None)
        return
    # Refresh the idle clock now and then, not on every request (each refresh re-sends the cookie).
    if (now - seen).total_seconds() > 300 or "seen_at" not in session:
        session["seen_at"] = now.isoformat()


def start_session_clock() -> None:
    """Called at login: the absolute and idle timeouts count from now."""
    now = utcnow().isoformat()
    session["auth_at"] = session["seen_at"] = now


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
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


def private_sqlite_file(uri: str) -> None:
    """Create the SQLite database file readable by its owner only (its -wal and -shm follow)."""
    import os

    if not uri.startswith("sqlite:///") or uri == "sqlite:///:memory:":
        return
    path = uri[len("sqlite:///"):].split("?")[0]
    if path and not os.path.exists(path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "basic"
    app.before_request(session_timeouts)
    app.after_request(set_security_headers)
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        # Behind that many reverse proxies, trust their X-Forwarded-For and -Proto, no more.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
