"""Arrival: the participant list imported from a CSV file, personal sign-in links (e-mailed or
printed on badges), the days each person is present, and head counts."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from .. import mail
from ..db_tx import transaction
from ..extensions import db
from ..languages import SPOKEN
from ..models import Event, HeadCount, Membership, OutboxMessage, SignInLink, User, utcnow
from ..scheduling import expected_attendance, head_counts  # noqa: F401 (the arrival pages read them here)
from ..urls import absolute
from . import ServiceError

log = logging.getLogger(__name__)

HEADER = ["name", "email", "languages", "days"]
LINK_DAYS = 14  # an e-mailed sign-in link works once, within this many days
NO_EMAIL_DOMAIN = "no-email.invalid"  # the address of someone who gave none: mail.reachable says no
MAX_NAME = 80


class ImportRefused(ServiceError):
    """The whole file is refused: `problems` lists every one, by line."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems), "file")
        self.problems = problems


@dataclass(frozen=True)
class PersonRow:
    line: int
    name: str
    email: str  # normalised; "" when the person gave none
    languages: tuple[str, ...]
    days: tuple[str, ...] | None  # ISO dates; None: every day


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    invited: int = 0


def _url(endpoint: str, **values) -> str:
    """An absolute address, from a request or from the command line alike."""
    from contextlib import nullcontext

    from flask import current_app, has_request_context

    with nullcontext() if has_request_context() else current_app.test_request_context("/"):
        return absolute(endpoint, **values)


def event_days(event: Event) -> list[date]:
    return [event.first_day + timedelta(days=i) for i in range((event.last_day - event.first_day).days + 1)]


def has_email(user: User) -> bool:
    return not user.email.endswith(".invalid")


# Reading the file: every problem of every line, before anything is written


def _check_email(value: str, line: int, problems: list[str]) -> str:
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        problems.append(_("line %(line)d: '%(value)s' is not an e-mail address", line=line, value=value))
        return ""


def _check_days(event: Event, value: str, line: int, problems: list[str]) -> tuple[str, ...] | None:
    if not value.strip():
        return None
    allowed = {d.isoformat() for d in event_days(event)}
    days = []
    for word in value.split():
        if word not in allowed:
            problems.append(_("line %(line)d: '%(value)s' is not a day of %(event)s (from %(first)s to %(last)s)",
                              line=line, value=word, event=event.name, first=event.first_day.isoformat(),
                              last=event.last_day.isoformat()))
        elif word not in days:
            days.append(word)
    return tuple(sorted(days))


def _check_row(event: Event, line: int, cells: list[str], problems: list[str]) -> PersonRow | None:
    if len(cells) != len(HEADER):
        problems.append(_("line %(line)d: expected 4 columns (name, email, languages, days), found %(count)d",
                          line=line, count=len(cells)))
        return None
    name, email, languages, days = (c.strip() for c in cells)
    if not name:
        problems.append(_("line %(line)d: the name is missing", line=line))
    elif len(name) > MAX_NAME:
        problems.append(_("line %(line)d: the name is longer than %(max)d characters", line=line, max=MAX_NAME))
    codes = []
    for code in languages.lower().split():
        if code not in SPOKEN:
            problems.append(_("line %(line)d: '%(value)s' is not a language code we know (such as en, es, fr)",
                              line=line, value=code))
        elif code not in codes:
            codes.append(code)
    return PersonRow(line, name, _check_email(email, line, problems), tuple(codes),
                     _check_days(event, days, line, problems))


def read_people(event: Event, data: bytes | str) -> list[PersonRow]:
    """The rows of a participant list; raises ImportRefused naming every problem by line."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportRefused([_("The file is not UTF-8 text: save it as CSV UTF-8 and try again.")]) from None
    lines = list(csv.reader(io.StringIO(data)))
    numbered = [(i, cells) for i, cells in enumerate(lines, start=1) if any(c.strip() for c in cells)]
    if not numbered or [c.strip().lower() for c in numbered[0][1]] != HEADER:
        raise ImportRefused([_("line 1: the first line must be the header name,email,languages,days")])
    problems: list[str] = []
    rows: list[PersonRow] = []
    for line, cells in numbered[1:]:
        row = _check_row(event, line, cells, problems)
        if row is not None:
            rows.append(row)
    _check_duplicates(rows, problems)
    _check_names_in_event(event, rows, problems)
    if not rows and not problems:
        problems.append(_("The file lists nobody: add one line per person under the header."))
    if problems:
        raise ImportRefused(problems)
    return rows


def _check_duplicates(rows: list[PersonRow], problems: list[str]) -> None:
    emails: dict[str, int] = {}
    names: dict[str, int] = {}
    for row in rows:
        if row.email:
            if row.email in emails:
                problems.append(_("line %(line)d: the address %(value)s is already on line %(other)d",
                                  line=row.line, value=row.email, other=emails[row.email]))
            emails.setdefault(row.email, row.line)
        key = row.name.lower()
        if key and key in names:
            problems.append(_("line %(line)d: the name %(value)s is already on line %(other)d",
                              line=row.line, value=row.name, other=names[key]))
        names.setdefault(key, row.line)


def _check_names_in_event(event: Event, rows: list[PersonRow], problems: list[str]) -> None:
    """People tell each other apart by name: a row may not take the name of another member."""
    for row in rows:
        if not row.name:
            continue
        user = _match(event, row)
        q = select(User.id).join(Membership).where(
            Membership.event_id == event.id, func.lower(User.display_name) == row.name.lower())
        if user is not None:
            q = q.where(User.id != user.id)
        if db.session.scalar(q.limit(1)) is not None:
            problems.append(_("line %(line)d: someone else in %(event)s already uses the name %(value)s",
                              line=row.line, event=event.name, value=row.name))


def _match(event: Event, row: PersonRow) -> User | None:
    """The account a row is about: by address, else someone of the event without one, by name (who
    may now give an address)."""
    if row.email:
        user = db.session.scalar(select(User).where(User.email == row.email))
        if user is not None:
            return user
    return db.session.scalar(select(User).join(Membership).where(
        Membership.event_id == event.id, func.lower(User.display_name) == row.name.lower(),
        User.email.like("%.invalid")))


# Writing: one transaction for the whole file


def import_people(event: Event, data: bytes | str) -> ImportResult:
    """Add or update everyone in the file (all or nothing), and invite each new address once."""
    rows = read_people(event, data)
    event_id = event.id
    result = ImportResult()
    with transaction():
        event = db.session.get(Event, event_id)
        for row in rows:
            _import_row(event, row, result)
    log.info("imported %s people into event %s", len(rows), event_id)
    return result


def _locale(languages: tuple[str, ...]) -> str | None:
    """The first language of theirs that the pages and e-mails speak."""
    from ..i18n import LANGUAGES as INTERFACE

    return next((code for code in languages if code in INTERFACE), None)


def _import_row(event: Event, row: PersonRow, result: ImportResult) -> None:
    user = _match(event, row)
    days = list(row.days) if row.days is not None else None
    if user is None:
        user = User(email=row.email or f"{secrets.token_hex(10)}@{NO_EMAIL_DOMAIN}", display_name=row.name,
                    password_hash="", languages=list(row.languages), locale=_locale(row.languages))
        user.memberships.append(Membership(event_id=event.id, role="participant", days=days))
        db.session.add(user)
        db.session.flush()
        result.added += 1
    else:
        membership = db.session.get(Membership, (user.id, event.id))
        before = (user.display_name, list(user.languages or []), membership.days if membership else "none")
        user.display_name = row.name
        user.languages = list(row.languages)
        gave_address = bool(row.email) and not has_email(user)
        if gave_address:
            user.email = row.email
        if membership is None:
            db.session.add(Membership(user_id=user.id, event_id=event.id, role="participant", days=days))
        else:
            membership.days = days
        changed = before != (row.name, list(row.languages), days) or gave_address
        result.updated += changed
        result.unchanged += not changed
    if has_email(user) and _invite(event, user):
        result.invited += 1


def _invite(event: Event, user: User) -> bool:
    """One invitation per person and event, ever: importing the file again sends nothing."""
    key = f"arrival-invite:{event.id}:{user.id}"
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return False
    token = _new_link(user, event, "email")
    # (Not queue's answer: its row count is not reliable on every driver; the key was free.)
    mail.queue(key, user.email, "arrival_invitation", lambda: _("You are invited to %(event)s", event=event.name),
               user=user, event=event, link=_url("arrival.sign_in", token=token), days=LINK_DAYS,
               proposals=_url("proposals.index", slug=event.slug))
    return True


# Sign-in links


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _password_mark(user: User) -> str:
    """Changes whenever the password is set or changed: links made before it stop working."""
    return hashlib.sha256(f"sign-in:{user.password_hash}".encode()).hexdigest()


def _new_link(user: User, event: Event | None, kind: str) -> str:
    """A new link (inside the caller's transaction); returns its secret, which is not kept."""
    token = secrets.token_urlsafe(32)
    db.session.add(SignInLink(
        user_id=user.id, event_id=event.id if event is not None else None, kind=kind, token_hash=_hash(token),
        password_mark=_password_mark(user), created_at=utcnow(),
        expires_at=utcnow() + timedelta(days=LINK_DAYS) if kind == "email" else None))
    db.session.flush()
    return token


def link_target(token: str) -> SignInLink | None:
    """The link, if it can still sign someone in."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(SignInLink).where(SignInLink.token_hash == _hash(token)))
    if row is None or row.used_at is not None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at < utcnow():
        return None
    user = db.session.get(User, row.user_id)
    return row if user is not None and row.password_mark == _password_mark(user) else None


def use_link(token: str) -> tuple[User, Event | None]:
    """Sign in with a link: an e-mailed one is used up; a badge's works again until revoked."""
    row = link_target(token)
    if row is None:
        raise ServiceError(_("This sign-in link is no longer valid: ask for a new one."))
    link_id = row.id
    with transaction():
        row = db.session.get(SignInLink, link_id)
        # One conditional UPDATE: of two presses at once (two devices), only one uses an e-mailed link.
        once = row.kind != "email" or db.session.execute(update(SignInLink).where(
            SignInLink.id == link_id, SignInLink.used_at.is_(None)).values(used_at=utcnow())).rowcount == 1
        if not once or row.revoked_at is not None:
            raise ServiceError(_("This sign-in link is no longer valid: ask for a new one."))
        user = db.session.get(User, row.user_id)
        event = db.session.get(Event, row.event_id) if row.event_id is not None else None
    log.info("user %s signed in with a %s link", user.id, row.kind)
    return user, event


def request_sign_in_link(email: str) -> None:
    """E-mail a sign-in link if the address has an account that reads mail; the caller answers
    the same either way."""
    from .accounts import normalise_email

    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    with transaction():
        if user is None or not has_email(user) or user.password_hash == "!":  # noqa: S105 ("!": cannot log in)
            return
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id)
                                       .order_by(Membership.joined_at.desc()).limit(1))
        event = membership.event if membership is not None else None
        token = _new_link(user, event, "email")
        link_id = db.session.scalar(select(SignInLink.id).where(SignInLink.token_hash == _hash(token)))
        mail.queue(f"sign-in:{link_id}", user.email, "sign_in_link", lambda: _("Your sign-in link for agenda"),
                   user=user, event=event, link=_url("arrival.sign_in", token=token), days=LINK_DAYS)


def set_first_password(user: User, password: str) -> None:
    """A first password for someone who signed in with a link; every link of theirs stops working
    (their mark changes) and other devices are logged out."""
    from ..models import PasswordReset, new_session_token
    from ..security import hash_password

    new_hash = hash_password(password)  # slow on purpose: before taking the write lock
    user_id = user.id
    with transaction():
        user = db.session.get(User, user_id)
        if user.password_hash:
            raise ServiceError(_("Your account already has a password: change it in your profile."))
        user.password_hash = new_hash
        user.session_token = new_session_token()
        db.session.execute(update(PasswordReset).where(PasswordReset.user_id == user_id,
                                                       PasswordReset.used_at.is_(None)).values(used_at=utcnow()))


# Badges, for people without an address


def badge_people(event: Event) -> list[User]:
    """The event's people who gave no address (not the demo's generated ones, who cannot log in)."""
    return list(db.session.scalars(select(User).join(Membership).where(
        Membership.event_id == event.id, User.email.like("%.invalid"),
        User.password_hash != "!")  # noqa: S105 ("!": the demo's people, who cannot log in)
        .order_by(User.display_name)))


def print_badges(event: Event) -> list[tuple[str, str]]:
    """(name, sign-in address) for each badge; every badge printed before for them stops working."""
    event_id = event.id
    with transaction():
        event = db.session.get(Event, event_id)
        people = badge_people(event)
        db.session.execute(update(SignInLink).where(
            SignInLink.event_id == event_id, SignInLink.kind == "badge",
            SignInLink.user_id.in_([u.id for u in people]), SignInLink.revoked_at.is_(None))
            .values(revoked_at=utcnow()))
        badges = [(u.display_name, _url("arrival.sign_in", token=_new_link(u, event, "badge"))) for u in people]
    return badges


def revoke_badge(event: Event, user: User) -> int:
    """The person's badge stops signing anyone in; returns how many links ended."""
    with transaction():
        result = db.session.execute(update(SignInLink).where(
            SignInLink.event_id == event.id, SignInLink.user_id == user.id, SignInLink.kind == "badge",
            SignInLink.revoked_at.is_(None)).values(revoked_at=utcnow()))
    return result.rowcount


# Days present and head counts


def present_per_day(event: Event) -> list[tuple[date, int]]:
    """How many of the event's people are there each day."""
    rows = db.session.scalars(select(Membership.days).where(Membership.event_id == event.id)).all()
    return [(day, sum(1 for days in rows if days is None or day.isoformat() in days)) for day in event_days(event)]


def set_days(event: Event, user: User, days: list[str] | None) -> None:
    allowed = {d.isoformat() for d in event_days(event)}
    if days is not None and not set(days) <= allowed:
        raise ServiceError(_("Choose days of the event."), "days")
    with transaction():
        membership = db.session.get(Membership, (user.id, event.id))
        if membership is None:
            raise ServiceError(_("This person is not in the event."))
        membership.days = None if days is None or set(days) == allowed else sorted(days)


def set_head_count(proposal_id: int, slot_id: int, count: int | None, by: User) -> None:
    """Record (or with None, clear) how many people came to a run."""
    save_head_counts(slot_id, {proposal_id: count}, by)


def save_head_counts(slot_id: int, counts: dict[int, int | None], by: User) -> None:
    """How many people came to each run of a slot (None clears a count), in one transaction."""
    if any(c is not None and not 0 <= c <= 100000 for c in counts.values()):
        raise ServiceError(_("Enter a number of people from 0 to 100000."), "count")
    by_id = by.id
    with transaction():
        for proposal_id, count in counts.items():
            row = db.session.get(HeadCount, (proposal_id, slot_id))
            if row is not None and count is None:
                db.session.delete(row)
            elif row is not None:
                row.count, row.counted_by_id, row.counted_at = count, by_id, utcnow()
            elif count is not None:
                db.session.add(HeadCount(proposal_id=proposal_id, slot_id=slot_id, count=count,
                                         counted_by_id=by_id, counted_at=utcnow()))


