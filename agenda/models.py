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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


ROLES = ("participant", "facilitator", "admin")
SLOT_KINDS = ("open", "plenary", "break")
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
    invite_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    slots: Mapped[list[Slot]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Slot.start"
    )
    rooms: Mapped[list[Room]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Room.name"
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

    event: Mapped[Event] = relationship(back_populates="slots")

    __table_args__ = (
        CheckConstraint('"end" > start', name="slot_ends_after_start"),
        CheckConstraint("kind IN ('open', 'plenary', 'break')", name="slot_kind_known"),
        UniqueConstraint("event_id", "start", name="slot_start_unique"),
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

    event: Mapped[Event] = relationship(back_populates="rooms")
    unavailable: Mapped[list[Slot]] = relationship(secondary=room_unavailable)

    __table_args__ = (
        CheckConstraint("capacity >= 0", name="room_capacity_not_negative"),
        UniqueConstraint("event_id", "name", name="room_name_unique"),
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
