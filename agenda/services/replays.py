"""Idempotency keys: a vote or agenda choice made offline is sent again until an answer comes
back, so the same request may arrive twice; it is carried out once."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import delete

from ..db_tx import insert_ignore
from ..extensions import db
from ..models import SentAction, utcnow

KEY = re.compile(r"[0-9A-Za-z-]{8,64}")
KEEP = timedelta(days=14)  # longer than any event lasts offline; then the keys go


def valid_key(key: str | None) -> bool:
    return key is None or bool(KEY.fullmatch(key))


def first_time(user_id: int, key: str | None) -> bool:
    """Inside the caller's transaction: record the key; False when it was recorded before.
    Without a key (a plain form) every request counts."""
    if key is None:
        return True
    now = utcnow()
    db.session.execute(delete(SentAction).where(SentAction.user_id == user_id, SentAction.at < now - KEEP))
    inserted = db.session.execute(insert_ignore(SentAction).values(user_id=user_id, key=key, at=now))
    return inserted.rowcount == 1
