"""sent_action: idempotency keys of votes and agenda choices made offline and sent later,
so that a replayed request is stored once

Revision ID: 0012_offline_actions
Revises: 0011_restore_keeps_guids
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_offline_actions'
down_revision = '0011_restore_keeps_guids'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sent_action',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'key'),
    )
    with op.batch_alter_table('sent_action') as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_action_at'), ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('sent_action') as batch_op:
        batch_op.drop_index(batch_op.f('ix_sent_action_at'))
    op.drop_table('sent_action')
