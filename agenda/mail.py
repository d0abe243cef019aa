"""E-mail: one service for every feature, real and private.

Messages are written in the recipient's language and queued in the database (OutboxMessage)
inside the transaction of what they report, under a key that names it, so that the same
message is never queued twice. The worker sends them: over SMTP when MAIL_SERVER is set, else
as an .eml file in the instance folder's outbox/ (so `make run` needs no mail server), retrying
with growing pauses. Plain text only: no tracking, nothing from third parties.

Delivery is idempotent: the Message-ID is fixed when the message is queued; just before a
message is handed over, the worker marks it "sending" in a committed step; the outbox file is
written once under a name made from the message. A worker killed while sending leaves the mark;
the next one finds it (`recover_interrupted`) and sends again only what did not get through: a
file already written counts as sent, an SMTP server gets the same Message-ID again.
Whatever one message holds (an address, a subject), it can only fail that message, never the worker.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import socket
import uuid
from contextlib import nullcontext
from datetime import timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from .db_tx import insert_ignore, transaction
from .extensions import db
from .models import Event, OutboxMessage, User, utcnow
from .urls import base_url

log = logging.getLogger(__name__)

RETRY_MINUTES = (1, 5, 15, 60, 240)  # then every 4 hours, until MAX_ATTEMPTS
MAX_ATTEMPTS = 10
SENDING_TIMEOUT = 15 * 60  # seconds: a "sending" mark of a worker elsewhere this old means it died
# Line breaks of every kind (also U+2028/U+2029, NEL) and other control characters: never in a header.
LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
BULK_TOPICS = ("announcements", "changes")  # e-mail to many at once: one-click unsubscribe


def locale_for(user: User | None, event: Event | None = None) -> str:
    return (user.locale if user is not None and user.locale else None) or (
        event.default_locale if event is not None else None) or current_app.config["BABEL_DEFAULT_LOCALE"]


def reachable(user: User) -> bool:
    """Accounts that can read mail: not the demo's generated people (no password, .invalid)."""
    return user.password_hash != "!" and not user.email.endswith(".invalid")  # noqa: S105 ('!' is no hash)


def one_line(text: str) -> str:
    """Header text on one line, whatever a participant typed into a title or event name."""
    return LINE_BREAKS.sub(" ", text or "").strip()


def _address(to: str) -> Address:
    """Exactly one plain address, as a header value; ValueError for anything else."""
    local, at, domain = (to or "").rpartition("@")
    if not at or not local or not domain or re.search(r"[\s,;:<>()\[\]\\\"]", to) or LINE_BREAKS.search(to):
        raise ValueError("not a single plain address")
    return Address(username=local, domain=domain)


def _mail_host() -> str:
    return urlsplit(base_url()).hostname or socket.getfqdn()


def new_message_id() -> str:
    """Fixed when queued; the host is the configured site's, not the machine's or `localhost`."""
    return f"<{uuid.uuid4().hex}@{_mail_host()}>"


def _unsubscriber() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="unsubscribe")


def unsubscribe_token(user_id: int, topic: str) -> str:
    return _unsubscriber().dumps([user_id, topic])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, topic) of a signed one-click address, or None when it was not made here."""
    try:
        user_id, topic = _unsubscriber().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return (user_id, topic) if isinstance(user_id, int) and topic in BULK_TOPICS else None


def unsubscribe_url(user_id: int, topic: str) -> str:
    outside = nullcontext() if has_request_context() else current_app.test_request_context("/")
    with outside:
        return base_url() + url_for("unsubscribe.confirm", signed=unsubscribe_token(user_id, topic))


def queue(key: str, to: str, template: str, subject, user: User | None = None, event: Event | None = None,
          topic: str = "", **context) -> bool:
    """Queue a message (inside the caller's transaction); False if one with this key exists, or
    if `to` is not a single plain address (the forms refuse those; this is the last guard).

    `subject` is a callable returning the subject, called in the recipient's language. `topic`
    names the profile choice of bulk e-mail (announcements, changes): it gets List-Unsubscribe.
    """
    try:
        _address(to)
    except ValueError:
        log.warning("not queued: %r is not an e-mail address (%s)", to, key)
        return False
    # Links are built from the configured address; outside a request (the worker, a command) too.
    outside = nullcontext() if has_request_context() else current_app.test_request_context("/")
    with outside, force_locale(locale_for(user, event)):
        body = render_template(f"email/{template}.txt", user=user, event=event, base_url=base_url(), **context)
        title = one_line(str(subject()))
    result = db.session.execute(insert_ignore(OutboxMessage).values(
        key=key[:200], user_id=user.id if user is not None else None, to_address=to, subject=title[:300],
        body=body[:20000], created_at=utcnow(), next_attempt_at=utcnow(), attempts=0, failed=False, last_error="",
        message_id=new_message_id(), topic=topic if user is not None and topic in BULK_TOPICS else ""))
    return result.rowcount == 1


def build(message: OutboxMessage) -> EmailMessage:
    """The message as sent; ValueError (or another error of the email package) if it cannot be."""
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = one_line(cfg["MAIL_SENDER"])
    email["To"] = _address(message.to_address)
    email["Subject"] = one_line(message.subject)
    email["Date"] = format_datetime(message.created_at)
    # The same Message-ID on every attempt: a server that got it once can drop a repeat.
    email["Message-ID"] = (message.message_id
                           or f"<agenda.{message.id}.{message.created_at:%Y%m%d%H%M%S}@{_mail_host()}>")
    email["Auto-Submitted"] = "auto-generated"
    if message.topic and message.user_id is not None:
        # RFC 8058: a mail client's "unsubscribe" button POSTs to this address, no login needed.
        email["List-Unsubscribe"] = f"<{unsubscribe_url(message.user_id, message.topic)}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email["Precedence"] = "bulk"
    email.set_content(message.body)
    return email


def _file_name(email: EmailMessage) -> str:
    """The outbox file of a message: the same name on every attempt, so it is written once."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", email["Message-ID"].strip("<>")) + ".eml"


class Sender:
    """Hands messages over: to the SMTP server (one connection for a batch, opened again after
    an error), or to files in the outbox folder."""

    def __init__(self):
        self.cfg = current_app.config
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
        try:
            if cfg.get("MAIL_STARTTLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, email: EmailMessage) -> str:
        if not self.cfg.get("MAIL_SERVER"):
            return self._write(email)
        try:
            self.smtp = self.smtp or self._connect()
            # The one recipient, given explicitly: never whatever a header might be read as.
            self.smtp.send_message(email, to_addrs=[email["To"].addresses[0].addr_spec])
        except BaseException:
            self.close()
            raise
        return "smtp"

    def _write(self, email: EmailMessage) -> str:
        folder = Path(current_app.instance_path) / "outbox"
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / _file_name(email)
        if path.exists():
            return f"outbox/{path.name} (written before)"
        # Written in full under a temporary name, then linked to its own name: a reader (or a
        # worker after a crash) sees the whole message or none, and a second link is refused.
        partial = folder / f".{path.name}.{os.getpid()}.part"
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(email.as_bytes(policy=policy.SMTPUTF8))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(partial, path)
        except FileExistsError:
            pass
        finally:
            partial.unlink(missing_ok=True)
        return f"outbox/{path.name}"

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def worker_name() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"


def process_gone(name: str | None) -> bool:
    """True when `name` (a `worker_name`) is a process on this machine that no longer exists: its
    claim (a solve run, a message being sent) can be taken back at once."""
    pid, _, host = (name or "").partition("@")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_interrupted() -> int:
    """Messages whose worker died while sending them go back to the queue (their file, if it
    was written, makes the next attempt a no-op). Return how many."""
    cutoff = utcnow() - timedelta(seconds=current_app.config.get("MAIL_SENDING_TIMEOUT", SENDING_TIMEOUT))
    rows = db.session.execute(select(OutboxMessage.id, OutboxMessage.sender, OutboxMessage.sending_at).where(
        OutboxMessage.sending_at.is_not(None), OutboxMessage.sent_at.is_(None))).all()
    db.session.rollback()
    lost = [i for i, sender, at in rows if process_gone(sender) or at < cutoff]
    if not lost:
        return 0
    with transaction():
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(lost), OutboxMessage.sent_at.is_(None))
                           .values(sending_at=None, sender=None))
    log.warning("mail %s: the worker sending them stopped; sending again what did not get through", lost)
    return len(lost)


def _claim() -> int | None:
    """Take the next due message and mark it as being sent, in a committed step: a worker that
    dies from here on leaves the mark, and no other worker takes the message meanwhile."""
    now = utcnow()
    with transaction():
        q = (select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed.is_(False),
                                            OutboxMessage.sending_at.is_(None), OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.id).limit(1))
        if db.session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        message_id = db.session.scalar(q)
        if message_id is None:
            return None
        result = db.session.execute(update(OutboxMessage).where(
            OutboxMessage.id == message_id, OutboxMessage.sending_at.is_(None), OutboxMessage.sent_at.is_(None))
            .values(sending_at=now, sender=worker_name()))
    return message_id if result.rowcount == 1 else None


# Errors that say the message itself cannot be sent (its address, a header): no use retrying.
PERMANENT = (ValueError, TypeError, IndexError, LookupError, UnicodeError, smtplib.SMTPRecipientsRefused,
             smtplib.SMTPNotSupportedError)


def _failed(message_id: int, error: BaseException) -> None:
    with transaction():
        row = db.session.get(OutboxMessage, message_id)
        row.attempts += 1
        row.last_error = one_line(f"{type(error).__name__}: {error}")[:500]
        pause = RETRY_MINUTES[min(row.attempts, len(RETRY_MINUTES)) - 1]
        row.next_attempt_at = utcnow() + timedelta(minutes=pause)
        row.failed = row.attempts >= MAX_ATTEMPTS or isinstance(error, PERMANENT)
        row.sending_at = row.sender = None
        given_up, attempts = row.failed, row.attempts
    log.warning("mail %s not sent (attempt %s%s): %s", message_id, attempts, ", given up" if given_up else "",
                type(error).__name__)


def _send_one(sender: Sender, message_id: int) -> bool:
    message = db.session.get(OutboxMessage, message_id)
    to = message.to_address
    try:
        where = sender.send(build(message))
    except Exception as e:  # noqa: BLE001 (one bad message fails alone; the worker goes on)
        db.session.rollback()
        _failed(message_id, e)
        return False
    with transaction():
        row = db.session.get(OutboxMessage, message_id)
        row.sent_at = utcnow()
        row.attempts += 1
        row.sending_at = None
    log.info("mail %s to %s sent: %s", message_id, to, where)
    return True


def deliver_pending() -> int:
    """Send everything that is due (the worker calls this); return how many were sent.

    A message that fails waits (1, 5, 15, 60, 240 minutes, then every 4 hours) and is given up
    after MAX_ATTEMPTS, or at once when the message itself is at fault; one that was sent is
    marked so, and never sent again.
    """
    recover_interrupted()
    sender = Sender()
    sent = 0
    try:
        while (message_id := _claim()) is not None:
            sent += _send_one(sender, message_id)
    finally:
        sender.close()
    return sent
