"""The database itself refuses to change a published schedule version.

Foreign keys RESTRICT the deletion of the proposals, slots and rooms a version holds; these
triggers refuse any UPDATE or DELETE of a published `schedule_version` row and any INSERT,
UPDATE or DELETE of the assignments and room bookings of a published version. The same
statements are installed by `db.create_all()` (tests) and by migration 0005.
"""

# ruff: noqa: S608 -- every statement here is built from constants; no value from outside reaches it.

from sqlalchemy import DDL, MetaData, event

MESSAGE = "a published schedule version cannot change"

SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS published_version_no_update BEFORE UPDATE ON schedule_version
    FOR EACH ROW WHEN OLD.status = 'published'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS published_version_no_delete BEFORE DELETE ON schedule_version
    FOR EACH ROW WHEN OLD.status = 'published'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
for table in ("assignment", "room_booking"):
    SQLITE += [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_published_no_insert BEFORE INSERT ON {table}
        FOR EACH ROW WHEN (SELECT status FROM schedule_version WHERE id = NEW.version_id) = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_published_no_update BEFORE UPDATE ON {table}
        FOR EACH ROW WHEN (SELECT status FROM schedule_version WHERE id = OLD.version_id) = 'published'
            OR (SELECT status FROM schedule_version WHERE id = NEW.version_id) = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_published_no_delete BEFORE DELETE ON {table}
        FOR EACH ROW WHEN (SELECT status FROM schedule_version WHERE id = OLD.version_id) = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    ]

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION agenda_version_frozen() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER published_version_frozen BEFORE UPDATE OR DELETE ON schedule_version
    FOR EACH ROW WHEN (OLD.status = 'published') EXECUTE FUNCTION agenda_version_frozen()""",
    f"""CREATE OR REPLACE FUNCTION agenda_rows_frozen() RETURNS trigger AS $$
    BEGIN
      IF (TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
            SELECT 1 FROM schedule_version WHERE id = OLD.version_id AND status = 'published'))
         OR (TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
            SELECT 1 FROM schedule_version WHERE id = NEW.version_id AND status = 'published')) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
] + [
    f"""CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION agenda_rows_frozen()"""
    for table in ("assignment", "room_booking")
]


def statements(dialect: str) -> list[str]:
    return {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(dialect, [])


def install(metadata: MetaData) -> None:
    """Create the triggers whenever the tables are created with metadata.create_all()."""
    for dialect in ("sqlite", "postgresql"):
        for sql in statements(dialect):
            event.listen(metadata, "after_create", DDL(sql).execute_if(dialect=dialect))
