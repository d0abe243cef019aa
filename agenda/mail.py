"""E-mail: one service for every feature, real and private.

Messages are written in the recipient's language and queued in the database (OutboxMessage)
inside the transaction of what they report, under a key that names it, so that the same
message is never queued twice. The worker sends them: over SMTP when MAIL_SERVER is set, else
as an .eml file in the instance folder's outbox/ (so `make run` needs no mail server), retrying
with growing pauses. Plain text only: no tracking, nothing from third parties.
"""

from __future__ import annotations

import logging
import os
import smtplib
from contextlib import nullcontext
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy import select, update

from .db_tx import insert_ignore, transaction
from .extensions import db
from .models import Event, OutboxMessage, User, utcnow
from .urls import base_url

log = logging.getLogger(__name__)

RETRY_MINUTES = (1, 5, 15, 60, 240)  # then every 4 hours, until MAX_ATTEMPTS
MAX_ATTEMPTS = 10


def locale_for(user: User | None, event: Event | None = None) -> str:
    return (user.locale if user is not None and user.locale else None) or (
        event.default_locale if event is not None else None) or current_app.config["BABEL_DEFAULT_LOCALE"]


def reachable(user: User) -> bool:
    """Accounts that can read mail: not the demo's generated people (no password, .invalid)."""
    return user.password_hash != "!" and not user.email.endswith(".invalid")  # noqa: S105 ('!' is no hash)


def queue(key: str, to: str, template: str, subject, user: User | None = None, event: Event | None = None,
          **context) -> bool:
    """Queue a message (inside the caller's transaction); False if one with this key exists.

    `subject` is a callable returning the subject, called in the recipient's language.
    """
    # Links are built from the configured address; outside a request (the worker, a command) too.
    outside = nullcontext() if has_request_context() else current_app.test_request_context("/")
    with outside, force_locale(locale_for(user, event)):
        body = render_template(f"email/{template}.txt", user=user, event=event, base_url=base_url(), **context)
        title = str(subject())
    result = db.session.execute(insert_ignore(OutboxMessage).values(
        key=key[:200], user_id=user.id if user is not None else None, to_address=to, subject=title[:300],
        body=body[:20000], created_at=utcnow(), next_attempt_at=utcnow(), attempts=0, failed=False, last_error=""))
    return result.rowcount == 1


def build(message: OutboxMessage) -> EmailMessage:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_SENDER"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    # The same Message-ID on every attempt: a server that got it once can drop a repeat.
    domain = cfg["MAIL_SENDER"].rsplit("@", 1)[-1].strip("> ") or "localhost"
    email["Message-ID"] = f"<agenda.{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    return email


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
            self.smtp.send_message(email)
        except BaseException:
            self.close()
            raise
        return "smtp"

    def _write(self, email: EmailMessage) -> str:
        folder = Path(current_app.instance_path) / "outbox"
        folder.mkdir(mode=0o700, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = folder / f"{stamp}-{email['Message-ID'].strip('<>').split('@')[0]}-{os.urandom(3).hex()}.eml"
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(bytes(email))
        return f"outbox/{path.name}"

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def _claim(batch: int) -> list[int]:
    """Take the next due messages; another worker leaves them alone for a while."""
    now = utcnow()
    with transaction():
        q = (select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed.is_(False),
                                            OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.id).limit(batch))
        if db.session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        ids = list(db.session.scalars(q))
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                           .values(next_attempt_at=now + timedelta(minutes=10)))
    return ids


def deliver_pending(batch: int = 50) -> int:
    """Send everything that is due (the worker calls this); return how many were sent.

    A message that fails waits (1, 5, 15, 60, 240 minutes, then every 4 hours) and is given up
    after MAX_ATTEMPTS; one that was sent is marked so, and never sent again.
    """
    sender = Sender()
    sent = 0
    try:
        while ids := _claim(batch):
            for message_id in ids:
                message = db.session.get(OutboxMessage, message_id)
                try:
                    where = sender.send(build(message))
                except (OSError, smtplib.SMTPException) as e:
                    attempts = message.attempts + 1
                    pause = RETRY_MINUTES[min(attempts, len(RETRY_MINUTES)) - 1]
                    with transaction():
                        row = db.session.get(OutboxMessage, message_id)
                        row.attempts = attempts
                        row.last_error = f"{type(e).__name__}: {e}"[:500]
                        row.next_attempt_at = utcnow() + timedelta(minutes=pause)
                        row.failed = attempts >= MAX_ATTEMPTS
                    log.warning("mail %s not sent (attempt %s): %s", message_id, attempts, type(e).__name__)
                    continue
                with transaction():
                    row = db.session.get(OutboxMessage, message_id)
                    row.sent_at = utcnow()
                    row.attempts = message.attempts + 1
                log.info("mail %s to %s sent: %s", message_id, message.to_address, where)
                sent += 1
    finally:
        sender.close()
    return sent
