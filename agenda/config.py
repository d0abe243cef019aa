"""Defaults; instance/config.py and AGENDA_* environment variables override them."""

import os
import secrets
from pathlib import Path


class Defaults:
    # The database lives in the instance folder unless AGENDA_DATABASE_URL says otherwise.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True  # `make run` turns this off: it serves plain HTTP on loopback
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # Login throttling: attempts allowed per window, counted in the database.
    # argon2id cost (RFC 9106 low-memory profile); stored hashes keep the cost they were made with.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536  # KiB
    ARGON2_PARALLELISM = 4
    # Failed logins allowed per account and per address (a venue shares one), counted in the database.
    LOGIN_LIMIT_ACCOUNT = 10
    LOGIN_LIMIT_ADDRESS = 50
    LOGIN_LIMIT_WINDOW = 15 * 60
    REGISTER_LIMIT_ADDRESS = 30  # registrations per address in the same window (each costs a hash)
    RESET_LIMIT_ADDRESS = 20  # password reset requests per address in the same window
    RESET_LIMIT_ACCOUNT = 3  # and for the same e-mail address
    # A login lasts until two days without a visit, and two weeks at most.
    SESSION_IDLE_TIMEOUT = 2 * 24 * 3600
    SESSION_ABSOLUTE_TIMEOUT = 14 * 24 * 3600
    # The solver's pace in people rescored per second of a run's time limit (None: the solver's
    # default, measured on 2 cores); a slower machine may lower it to keep within the limit.
    SOLVER_WORK_PER_SECOND: int | None = None
    # E-mail: over SMTP when MAIL_SERVER is set, else written to the instance folder's outbox/.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_STARTTLS = True
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "agenda <agenda@localhost>"
    MAIL_TIMEOUT = 20
    RESET_LINK_HOURS = 1
    # Reverse proxies in front of the app: their X-Forwarded-For/-Proto are trusted, no more.
    PROXY_HOPS = 0
    MAX_CONTENT_LENGTH = 1024 * 1024
    # The address people reach the app at: absolute links (calendar feeds, e-mails, exports)
    # are built from it, never from the request's Host header.
    BASE_URL = "http://127.0.0.1:5000"


def load_secret_key(instance_path: str) -> str:
    """Read the instance's secret key, generating it (mode 0600) on first start."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    # Written whole under another name, then linked into place: when web workers start at once,
    # one key wins and the others read it complete (never the empty file of one still writing).
    tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        tmp.unlink()
    return key
