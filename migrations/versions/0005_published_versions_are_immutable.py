"""published versions are immutable

Removed rooms and slots are kept (removed_at) for the versions that hold them; a published
version freezes its frame; assignments become one row per run (with a table in a hall) and
refuse, through RESTRICT and triggers, any change to a published version; session text edits
are counted (revision) and kept (proposal_revision); notices and run outcomes are codes.

Revision ID: 0005
Revises: 0004
"""
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from agenda import triggers

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

JSON_EMPTY = sa.text("'{}'")


def _rebuild_assignments():
    """assignment and room_booking: RESTRICT instead of CASCADE, a table per run, one row per run."""
    op.execute("CREATE TABLE assignment_copy AS SELECT id, version_id, proposal_id, slot_id, room_id, pinned "
               "FROM assignment")
    op.execute("CREATE TABLE room_booking_copy AS SELECT id, assignment_id, version_id, slot_id, room_id "
               "FROM room_booking")
    with op.batch_alter_table('room_booking') as batch_op:
        batch_op.drop_index('ix_room_booking_assignment_id')
    op.drop_table('room_booking')
    with op.batch_alter_table('assignment') as batch_op:
        batch_op.drop_index('ix_assignment_version_id')
    op.drop_table('assignment')
    op.create_table(
        'assignment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('slot_id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=False),
        sa.Column('table', sa.Integer(), nullable=True),
        sa.Column('pinned', sa.Boolean(), nullable=False),
        sa.CheckConstraint('"table" IS NULL OR "table" >= 1', name='assignment_table_positive'),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['room_id'], ['room.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['version_id'], ['schedule_version.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'proposal_id', 'slot_id', name='assignment_run_once'),
    )
    op.create_index('ix_assignment_version_id', 'assignment', ['version_id'], unique=False)
    op.create_table(
        'room_booking',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('slot_id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=False),
        sa.Column('table', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['room_id'], ['room.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['version_id'], ['schedule_version.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'slot_id', 'room_id', 'table', name='room_booked_once'),
    )
    op.create_index('ix_room_booking_assignment_id', 'room_booking', ['assignment_id'], unique=False)
    op.execute('INSERT INTO assignment (id, version_id, proposal_id, slot_id, room_id, "table", pinned) '
               'SELECT id, version_id, proposal_id, slot_id, room_id, NULL, pinned FROM assignment_copy')
    op.execute('INSERT INTO room_booking (id, assignment_id, version_id, slot_id, room_id, "table") '
               'SELECT id, assignment_id, version_id, slot_id, room_id, 0 FROM room_booking_copy')
    op.drop_table('room_booking_copy')
    op.drop_table('assignment_copy')
    if op.get_bind().dialect.name == 'postgresql':
        for table in ('assignment', 'room_booking'):
            op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (constant table names)
                       f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


def _freeze_published_frames():
    """Published versions get the frame they were shown with: the set-up as it is now."""
    bind = op.get_bind()
    versions = bind.execute(sa.text(
        "SELECT id, event_id FROM schedule_version WHERE status = 'published'")).all()
    for version_id, event_id in versions:
        slots = bind.execute(sa.text(
            'SELECT id, start, "end", kind, label FROM slot WHERE event_id = :e ORDER BY start'),
            {"e": event_id}).all()
        rooms = bind.execute(sa.text(
            "SELECT id, name, capacity FROM room WHERE event_id = :e ORDER BY name"), {"e": event_id}).all()
        closed = {(r, s) for r, s in bind.execute(sa.text(
            "SELECT room_id, slot_id FROM room_unavailable JOIN room ON room.id = room_id "
            "WHERE room.event_id = :e"), {"e": event_id})}

        def iso(moment):
            if isinstance(moment, str):
                moment = datetime.fromisoformat(moment)
            return moment.replace(tzinfo=UTC).isoformat()

        plenaries = {}
        for s in slots:
            free = [r for r in rooms if (r.id, s.id) not in closed]
            if s.kind == 'plenary' and free:
                plenaries[str(s.id)] = max(free, key=lambda r: (r.capacity, -r.id)).id
        frame = {
            "slots": [{"id": s.id, "start": iso(s.start), "end": iso(s.end), "kind": s.kind,
                       "label": s.label} for s in slots],
            "rooms": [{"id": r.id, "name": r.name, "capacity": r.capacity, "tables": 0} for r in rooms],
            "plenaries": plenaries,
        }
        bind.execute(sa.text("UPDATE schedule_version SET frame = :f WHERE id = :v"),
                     {"f": json.dumps(frame), "v": version_id})


def upgrade():
    with op.batch_alter_table('event') as batch_op:
        batch_op.add_column(sa.Column('content_generation', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('content_changed_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('slot') as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint('slot_start_unique', type_='unique')
    op.create_index('slot_start_unique', 'slot', ['event_id', 'start'], unique=True,
                    sqlite_where=sa.text('removed_at IS NULL'), postgresql_where=sa.text('removed_at IS NULL'))
    with op.batch_alter_table('room') as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint('room_name_unique', type_='unique')
    op.create_index('room_name_unique', 'room', ['event_id', 'name'], unique=True,
                    sqlite_where=sa.text('removed_at IS NULL'), postgresql_where=sa.text('removed_at IS NULL'))

    with op.batch_alter_table('proposal') as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('revised_at', sa.DateTime(), nullable=True))
    op.create_table(
        'proposal_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_proposal_revision_proposal_id', 'proposal_revision', ['proposal_id'], unique=False)

    with op.batch_alter_table('notice') as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=False, server_default=JSON_EMPTY))
    with op.batch_alter_table('schedule_version') as batch_op:
        batch_op.add_column(sa.Column('frame', sa.JSON(), nullable=True))
    with op.batch_alter_table('solve_run') as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.JSON(), nullable=False, server_default=JSON_EMPTY))
        batch_op.add_column(sa.Column('worker', sa.String(length=200), nullable=True))

    _rebuild_assignments()
    _freeze_published_frames()
    for sql in triggers.statements(op.get_bind().dialect.name):
        op.execute(sql)


def downgrade():
    raise NotImplementedError("published versions are immutable from here on; restore a backup instead")
