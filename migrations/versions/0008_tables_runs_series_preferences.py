"""halls with tables, runs per session and per format, series (part 2 after part 1), preferred slots

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event') as batch_op:
        batch_op.add_column(sa.Column('format_settings', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table('room') as batch_op:
        batch_op.add_column(sa.Column('tables', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint('room_tables_range', 'tables >= 0 AND tables <= 500')
    with op.batch_alter_table('proposal') as batch_op:
        batch_op.add_column(sa.Column('runs', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('after_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prefer_reason', sa.String(length=300), nullable=False, server_default=''))
        batch_op.create_foreign_key('proposal_after_id_fkey', 'proposal', ['after_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint('proposal_runs_range', 'runs IS NULL OR (runs >= 1 AND runs <= 10)')
        batch_op.create_check_constraint('proposal_not_after_itself', 'after_id IS NULL OR after_id <> id')
    op.create_table(
        'proposal_preferred',
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('slot_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('proposal_id', 'slot_id'),
    )


def downgrade():
    op.drop_table('proposal_preferred')
    with op.batch_alter_table('proposal') as batch_op:
        batch_op.drop_constraint('proposal_not_after_itself', type_='check')
        batch_op.drop_constraint('proposal_runs_range', type_='check')
        batch_op.drop_constraint('proposal_after_id_fkey', type_='foreignkey')
        batch_op.drop_column('prefer_reason')
        batch_op.drop_column('after_id')
        batch_op.drop_column('runs')
    with op.batch_alter_table('room') as batch_op:
        batch_op.drop_constraint('room_tables_range', type_='check')
        batch_op.drop_column('tables')
    with op.batch_alter_table('event') as batch_op:
        batch_op.drop_column('format_settings')
