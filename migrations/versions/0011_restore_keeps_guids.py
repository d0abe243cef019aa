"""event.source_ids: a restored event makes its GUIDs from the original's ids, so calendar and
schedule apps keep their sessions, rooms and people across a backup and restore

Revision ID: 0011_restore_keeps_guids
Revises: 0010_arrival
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_restore_keeps_guids'
down_revision = '0010_arrival'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('event', sa.Column('source_ids', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('event') as batch:
        batch.drop_column('source_ids')
