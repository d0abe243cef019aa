"""SQLite settings and write transactions that take the write lock up front.

pysqlite starts transactions lazily and as DEFERRED: two requests that read and then
write collide, and the loser fails at once with "database is locked" (a stale snapshot
cannot be upgraded, whatever the busy timeout). So SQLAlchemy emits BEGIN itself, and
service functions that write start with `write_transaction()`, which emits BEGIN
IMMEDIATE: the second writer then waits for the first instead of failing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask
from sqlalchemy import event

from .extensions import db

_immediate: ContextVar[bool] = ContextVar("sqlite_immediate", default=False)


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


def _sqlite_connect(dbapi_connection, connection_record):
    if _is_sqlite(dbapi_connection):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def init_app(app: Flask) -> None:
    """Listen on this app's engines only: other engines in the process (tools, tests, another app)
    keep their own settings."""
    with app.app_context():
        for engine in db.engines.values():
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)


def write_transaction() -> None:
    """End any read transaction and begin one that may write (BEGIN IMMEDIATE on SQLite)."""
    db.session.rollback()
    token = _immediate.set(True)
    try:
        db.session.connection()
    finally:
        _immediate.reset(token)


class Transaction:
    """What `transaction()` yields: `discard()` rolls the work back instead of committing it."""

    def __init__(self):
        self.keep = True

    def discard(self) -> None:
        self.keep = False


@contextmanager
def transaction() -> Iterator[Transaction]:
    """The one way services write: begin (IMMEDIATE on SQLite), commit on success, roll back on
    any exception (or when the body calls `discard()`, to try a change and look at it)."""
    write_transaction()
    tx = Transaction()
    try:
        yield tx
    except BaseException:
        db.session.rollback()
        raise
    if tx.keep:
        try:
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    else:
        db.session.rollback()


def insert_ignore(model):
    """INSERT … ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model).on_conflict_do_nothing()
