"""drop agenda_seen: what a person last looked at lives in their signed session cookie (reading
My agenda writes nothing), so the table was never filled

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('agenda_seen')


def downgrade():
    op.create_table(
        'agenda_seen',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['schedule_version.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'event_id'),
    )
