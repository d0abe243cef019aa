"""The data model: typed SQLAlchemy 2 mappings."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .enums import IllegalTransition, ProposalStatus
from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store naive UTC (portable between SQLite and PostgreSQL), hand back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


DEFAULT_LANGUAGES = ["en", "es", "fr"]
DEFAULT_FORMATS = ["skillshare", "working session", "campaign lab", "bazaar table"]


class Event(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(DEFAULT_LANGUAGES))
    formats: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(DEFAULT_FORMATS))
    proposals_open: Mapped[bool] = mapped_column(Boolean, default=True)
    voting_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # The language pages and public feeds speak when nothing else says which.
    default_locale: Mapped[str] = mapped_column(String(8), default="en")
    # After this day, votes, agenda choices and calendar addresses are deleted (counts are kept).
    # How each format runs: {"bazaar table": {"at_table": true, "runs": 3}}; formats not named
    # here run once, in an ordinary room.
    format_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    retention_date: Mapped[date | None] = mapped_column(Date)
    # Schedule for the languages people understand (solver-io.md's language rule); None: on
    # when the event has more than one language.
    language_rule: Mapped[bool | None] = mapped_column(Boolean)
    retained: Mapped[dict | None] = mapped_column(JSON)  # what was kept when they were
    invite_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by every change to what public pages and feeds show (caches key on it).
    content_generation: Mapped[int] = mapped_column(Integer, default=0)
    content_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A restored event: {"person"|"proposal"|"slot"|"room": {local id: id in the original}}, so
    # the GUIDs of feeds and exports stay what calendar and schedule apps already hold.
    source_ids: Mapped[dict | None] = mapped_column(JSON)

    # Only the slots and rooms in use: removed ones stay in the database for the
    # published versions that hold them (see ScheduleVersion.frame).
    slots: Mapped[list[Slot]] = relationship(
        order_by="Slot.start",
        primaryjoin="and_(Event.id == Slot.event_id, Slot.removed_at.is_(None))", viewonly=True,
    )
    rooms: Mapped[list[Room]] = relationship(
        order_by="Room.name",
        primaryjoin="and_(Event.id == Room.event_id, Room.removed_at.is_(None))", viewonly=True,
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("last_day >= first_day", name="event_days_in_order"),)

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        """A stored UTC moment in the event's timezone."""
        return moment.astimezone(self.tz)

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


room_unavailable = Table(
    "room_unavailable",
    db.metadata,
    Column("room_id", ForeignKey("room.id", ondelete="CASCADE"), primary_key=True),
    Column("slot_id", ForeignKey("slot.id", ondelete="CASCADE"), primary_key=True),
)


class Slot(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16), default="open")
    label: Mapped[str] = mapped_column(String(200), default="")
    # Removed from the set-up; kept for the published versions that used it.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()

    __table_args__ = (
        CheckConstraint('"end" > start', name="slot_ends_after_start"),
        CheckConstraint("kind IN ('open', 'plenary', 'break')", name="slot_kind_known"),
        db.Index("slot_start_unique", "event_id", "start", unique=True,
                 sqlite_where=text("removed_at IS NULL"), postgresql_where=text("removed_at IS NULL")),
    )

    @property
    def local_start(self) -> datetime:
        return self.event.local(self.start)

    @property
    def local_end(self) -> datetime:
        return self.event.local(self.end)

    def __repr__(self) -> str:
        return f"<Slot {self.start.isoformat()} {self.kind}>"


class Room(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(Integer)
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A hall: in any slot, one ordinary session or up to this many sessions at numbered tables.
    tables: Mapped[int] = mapped_column(Integer, default=0)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    unavailable: Mapped[list[Slot]] = relationship(secondary=room_unavailable)

    __table_args__ = (
        CheckConstraint("capacity >= 0", name="room_capacity_not_negative"),
        CheckConstraint("tables >= 0 AND tables <= 500", name="room_tables_range"),
        db.Index("room_name_unique", "event_id", "name", unique=True,
                 sqlite_where=text("removed_at IS NULL"), postgresql_where=text("removed_at IS NULL")),
    )

    def __repr__(self) -> str:
        return f"<Room {self.name} ({self.capacity})>"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    # "!" marks an account that cannot log in (generated demo participants).
    password_hash: Mapped[str] = mapped_column(String(255))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    locale: Mapped[str | None] = mapped_column(String(8))  # the interface language they chose
    # Which e-mails they want: {"invitations", "decisions", "changes", "announcements"} → bool.
    email_prefs: Mapped[dict] = mapped_column(JSON, default=dict)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Part of the login cookie; changing it logs out every copy of the cookie.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def role_in(self, event: Event) -> str | None:
        """The user's role in the event; site admins are admins everywhere."""
        if self.is_admin:
            return "admin"
        for m in self.memberships:
            if m.event_id == event.id:
                return m.role
        return None

    def can_facilitate(self, event: Event) -> bool:
        return self.role_in(event) in ("facilitator", "admin")

    def wants_email(self, kind: str) -> bool:
        """E-mail about things that affect them is on unless they turned it off."""
        return bool((self.email_prefs or {}).get(kind, True))

    def __repr__(self) -> str:
        return f"<User {self.id} {self.display_name}>"


class Membership(db.Model):
    """A user's role in one event."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), default="participant")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The days (ISO dates) the person is at the event; None: every day.
    days: Mapped[list[str] | None] = mapped_column(JSON)

    user: Mapped[User] = relationship(back_populates="memberships")
    event: Mapped[Event] = relationship(back_populates="memberships")

    __table_args__ = (
        CheckConstraint("role IN ('participant', 'facilitator', 'admin')", name="role_known"),
    )

    def __repr__(self) -> str:
        return f"<Membership user={self.user_id} event={self.event_id} {self.role}>"


class LoginAttempt(db.Model):
    """One login attempt, counted per account and per address by every server process."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.key} {self.at}>"



proposal_unavailable = Table(
    "proposal_unavailable",
    db.metadata,
    Column("proposal_id", ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True),
    Column("slot_id", ForeignKey("slot.id", ondelete="CASCADE"), primary_key=True),
)

# The slots a session's facilitators prefer (the solver tries to honour them).
proposal_preferred = Table(
    "proposal_preferred",
    db.metadata,
    Column("proposal_id", ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True),
    Column("slot_id", ForeignKey("slot.id", ondelete="CASCADE"), primary_key=True),
)


class Proposal(db.Model):
    """A session someone proposes; it becomes part of the schedule once accepted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(5000), default="")
    format: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(8))
    length: Mapped[int] = mapped_column(Integer, default=1)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_group: Mapped[int | None] = mapped_column(Integer)
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.PROPOSED)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Edits of what attendees read (title, description, visibility, format, language):
    # counted into ICS SEQUENCE, dated into LAST-MODIFIED, listed as ProposalRevision rows.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    revised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the facilitators: how many runs it may have (None: its format's default), and the
    # session it follows (part 2 after part 1).
    runs: Mapped[int | None] = mapped_column(Integer)
    after_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    # Set by its people: preferred slots, and why (shown to the facilitators).
    prefer_reason: Mapped[str] = mapped_column(String(300), default="")
    # False when its people ask for no interpretation (a session for Spanish speakers only).
    interpretation: Mapped[bool] = mapped_column(Boolean, default=True)

    event: Mapped[Event] = relationship()
    unavailable: Mapped[list[Slot]] = relationship(secondary=proposal_unavailable)
    preferred: Mapped[list[Slot]] = relationship(secondary=proposal_preferred, order_by="Slot.start")
    after: Mapped[Proposal | None] = relationship(remote_side="Proposal.id", foreign_keys=[after_id])
    facilitations: Mapped[list[Facilitation]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", passive_deletes=True,
        order_by="[Facilitation.invited_at, Facilitation.user_id]",  # one order on every database
    )

    __table_args__ = (
        CheckConstraint("length IN (1, 2)", name="proposal_length_known"),
        CheckConstraint("max_group IS NULL OR max_group > 0", name="proposal_group_positive"),
        CheckConstraint("runs IS NULL OR (runs >= 1 AND runs <= 10)", name="proposal_runs_range"),
        CheckConstraint("after_id IS NULL OR after_id <> id", name="proposal_not_after_itself"),
        CheckConstraint("visibility IN ('public', 'participants')", name="proposal_visibility_known"),
        CheckConstraint(
            "status IN ('proposed', 'accepted', 'declined', 'withdrawn', 'merged')",
            name="proposal_status_known",
        ),
    )

    @property
    def facilitators(self) -> list[User]:
        """People running the session: the proposer and co-facilitators who accepted."""
        return [f.user for f in self.facilitations if f.state == "accepted"]

    @property
    def proposer(self) -> User | None:
        return next((f.user for f in self.facilitations if f.is_proposer), None)

    def is_facilitator(self, user) -> bool:
        return bool(user and user.is_authenticated) and any(
            f.user_id == user.id and f.state == "accepted" for f in self.facilitations
        )

    @property
    def state(self) -> ProposalStatus:
        return ProposalStatus(self.status)

    def may_become(self, status: str) -> bool:
        return self.state.can_become(status)

    def move_to(self, status: ProposalStatus) -> None:
        """Change state as enums.TRANSITIONS allows; IllegalTransition otherwise."""
        if not self.may_become(status):
            raise IllegalTransition(f"{self.status} -> {status}")
        self.status = status

    @property
    def open_for_votes(self) -> bool:
        return self.state.is_open

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.title!r} {self.status}>"


class ProposalRevision(db.Model):
    """One edit of what attendees read about a session: {field: [before, after]}."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<ProposalRevision proposal={self.proposal_id} {sorted(self.changes)}>"


class Facilitation(db.Model):
    """Who runs a proposal: the proposer, and co-facilitators once they accept."""

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    is_proposer: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="invited")
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="facilitations")
    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint("state IN ('invited', 'accepted', 'declined')", name="facilitation_state_known"),
    )

    def __repr__(self) -> str:
        return f"<Facilitation proposal={self.proposal_id} user={self.user_id} {self.state}>"


class Vote(db.Model):
    """'I want to attend': private; counted from these rows, never kept as a counter."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Vote user={self.user_id} proposal={self.proposal_id}>"


class SentAction(db.Model):
    """A vote, unvote or agenda choice sent with an idempotency key (kept offline, then sent when
    the network came back): the same key again is answered without doing it twice."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<SentAction user={self.user_id} {self.key}>"


class Notice(db.Model):
    """A message to one person (a merge, an invitation, a decision, a withdrawal).

    Stored as a kind and its parameters; the words are made in the reader's language
    (agenda/notices.py). `text` holds the words of notices from before kinds existed.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Notice user={self.user_id} {self.kind or self.text[:30]!r}>"


class ScheduleVersion(db.Model):
    """A numbered, append-only schedule of an event: a draft until it is published."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(32), default="solver")  # solver, import
    # The solver's figures and its reasons for anything left unscheduled, as codes with
    # database ids ({"code": …, "sessions": [proposal ids], …}; see agenda/reasons.py).
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    unscheduled: Mapped[list[int]] = mapped_column(JSON, default=list)  # proposal ids
    # Sessions a facilitator placed by hand since the solver made the draft (proposal ids):
    # "Improve the rest" keeps them where they are.
    hand_placed: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    now_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    # Frozen at publishing: the slots (times, kinds, labels) and rooms (names, capacities) as
    # they were, and the room of each plenary. Set-up changes after that never reach it.
    frame: Mapped[dict | None] = mapped_column(JSON)

    event: Mapped[Event] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="version", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        UniqueConstraint("event_id", "number", name="version_number_unique"),
        CheckConstraint("status IN ('draft', 'published')", name="version_status_known"),
    )

    def __repr__(self) -> str:
        return f"<ScheduleVersion {self.event_id}#{self.number} {self.status}>"


class Assignment(db.Model):
    """One run of a session in a version: its start slot, room and (in a hall) table.

    Proposals, slots and rooms that a version holds cannot be deleted (RESTRICT): they are
    withdrawn or removed instead, and published versions keep them.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_version.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="RESTRICT"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="RESTRICT"))
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="RESTRICT"))
    table: Mapped[int | None] = mapped_column(Integer)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who interprets this run into which language: [{"interpreter": id, "into": "en"}].
    interpretation: Mapped[list] = mapped_column(JSON, default=list)

    version: Mapped[ScheduleVersion] = relationship(back_populates="assignments")
    proposal: Mapped[Proposal] = relationship()
    slot: Mapped[Slot] = relationship()
    room: Mapped[Room] = relationship()
    bookings: Mapped[list[RoomBooking]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        UniqueConstraint("version_id", "proposal_id", "slot_id", name="assignment_run_once"),
        CheckConstraint('"table" IS NULL OR "table" >= 1', name="assignment_table_positive"),
    )

    def __repr__(self) -> str:
        return f"<Assignment v{self.version_id} proposal={self.proposal_id} slot={self.slot_id} room={self.room_id}>"


interpreter_available = Table(
    "interpreter_available",
    db.metadata,
    Column("interpreter_id", ForeignKey("interpreter.id", ondelete="CASCADE"), primary_key=True),
    Column("slot_id", ForeignKey("slot.id", ondelete="CASCADE"), primary_key=True),
)


class Interpreter(db.Model):
    """Someone who interprets between pairs of languages, in the slots they are available."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    pairs: Mapped[list] = mapped_column(JSON, default=list)  # [["en", "es"], …], each both ways
    max_slots_per_day: Mapped[int | None] = mapped_column(Integer)
    # Also a participant: interpreting, they attend and facilitate nothing else.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
    user: Mapped[User | None] = relationship()
    available: Mapped[list[Slot]] = relationship(secondary=interpreter_available, order_by="Slot.start")

    __table_args__ = (
        CheckConstraint("max_slots_per_day IS NULL OR max_slots_per_day >= 1", name="interpreter_limit_positive"),
    )

    def __repr__(self) -> str:
        return f"<Interpreter {self.name}>"


class RoomBooking(db.Model):
    """Each slot (and table) a run occupies, so that the database refuses double-booking.

    `table` 0 is the room itself; a hall's tables are 1…N. An ordinary session in a hall
    books the room and every table, so it cannot share the slot with table sessions.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("schedule_version.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="RESTRICT"))
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="RESTRICT"))
    table: Mapped[int] = mapped_column(Integer, default=0)

    version: Mapped[ScheduleVersion] = relationship()

    __table_args__ = (UniqueConstraint("version_id", "slot_id", "room_id", "table", name="room_booked_once"),)

    def __repr__(self) -> str:
        return f"<RoomBooking v{self.version_id} slot={self.slot_id} room={self.room_id}>"




class SolveRun(db.Model):
    """One run of the solver for an event, done by the worker process."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_limit: Mapped[int] = mapped_column(Integer, default=20)
    now_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    worker: Mapped[str | None] = mapped_column(String(200))  # "pid@host" of the worker running it
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # [[elapsed seconds, objective, bound], …] as the run goes.
    progress: Mapped[list] = mapped_column(JSON, default=list)
    # What happened, as {"code": …, …params} (words in agenda/reasons.py); `message` is
    # for runs from before codes.
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(String(2000), default="")
    version_id: Mapped[int | None] = mapped_column(ForeignKey("schedule_version.id", ondelete="SET NULL"))

    version: Mapped[ScheduleVersion | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="run_status_known"
        ),
        # One run per event at a time: the database itself refuses a second one.
        db.Index(
            "one_active_run_per_event", "event_id", unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    def __repr__(self) -> str:
        return f"<SolveRun {self.id} {self.status}>"


class AgendaChoice(db.Model):
    """Which of several clashing sessions a person chose to attend in a slot."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))

    def __repr__(self) -> str:
        return f"<AgendaChoice user={self.user_id} slot={self.slot_id} proposal={self.proposal_id}>"


class CalendarToken(db.Model):
    """The secret in a personal calendar feed's address; a new one revokes the old."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<CalendarToken user={self.user_id} event={self.event_id}>"


class OutboxMessage(db.Model):
    """An e-mail to send, written in the recipient's language when it was queued.

    The worker sends it (and retries); `key` names what it is about (a publish and a person,
    a reset), so that the same message is never queued, or sent, twice.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(String(20000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)  # given up after many attempts
    last_error: Mapped[str] = mapped_column(String(500), default="")
    # Fixed when queued: every attempt carries the same one, so a repeat can be recognised.
    message_id: Mapped[str] = mapped_column(String(250), default="")
    # Set (and committed) just before handing the message over, by the worker `sender`: a message
    # found so after a crash may have been sent (see mail.recover_interrupted).
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sender: Mapped[str | None] = mapped_column(String(200))
    # For bulk e-mail: the choice in the profile it belongs to (one-click List-Unsubscribe).
    topic: Mapped[str] = mapped_column(String(32), default="")

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.key} {'sent' if self.sent_at else 'pending'}>"


class PasswordReset(db.Model):
    """A single-use link to set a new password; only the hash of its secret is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<PasswordReset user={self.user_id}>"


class SignInLink(db.Model):
    """A personal link that signs its holder in: e-mailed (works once, expires) or printed on a
    badge (works until revoked or reprinted). Only the hash of its secret is kept; setting or
    changing the password ends it (`password_mark` no longer matches)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="email")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    password_mark: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("kind IN ('email', 'badge')", name="sign_in_link_kind_known"),)

    def __repr__(self) -> str:
        return f"<SignInLink user={self.user_id} {self.kind}>"


class HeadCount(db.Model):
    """How many people came to one run of a session, counted after it took place."""

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("count >= 0 AND count <= 100000", name="head_count_range"),)

    def __repr__(self) -> str:
        return f"<HeadCount proposal={self.proposal_id} slot={self.slot_id} {self.count}>"


class EmailInvitation(db.Model):
    """An invitation to co-facilitate sent to an address that is not (yet) a participant's;
    it becomes an invitation in the app when that person joins the event."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("proposal_id", "email", name="email_invitation_once"),)


class Announcement(db.Model):
    """A short update from the facilitators, shown until it expires and in the Atom feed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    emailed: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return f"<Announcement {self.text[:30]!r}>"


class SessionNotes(db.Model):
    """The harvest of one session: what happened and what to read, written during and after it."""

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    summary: Mapped[str] = mapped_column(String(10000), default="")
    links: Mapped[str] = mapped_column(String(3000), default="")  # one per line
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    proposal: Mapped[Proposal] = relationship()


class NotesEditor(db.Model):
    """Someone a session's facilitators allowed to edit its notes."""

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)


class ActionItem(db.Model):
    """Something to do after a session, with its owner (a participant, or a name as typed)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    owner_text: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User | None] = relationship()
    proposal: Mapped[Proposal] = relationship()

    __table_args__ = (CheckConstraint("status IN ('open', 'doing', 'done')", name="action_status_known"),)


from . import triggers  # noqa: E402  (the database refuses changes to published versions)

triggers.install(db.metadata)
