"""languages people understand, and interpretation: the event's rule, interpreters, a proposal's
consent to interpretation, who interprets each run

Revision ID: 0014_languages
Revises: 0013_mail_delivery
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_languages'
down_revision = '0013_mail_delivery'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy): on SQLite a copied table would lose the triggers that keep
    # published versions unchanged.
    op.add_column('event', sa.Column('language_rule', sa.Boolean(), nullable=True))
    op.add_column('proposal', sa.Column('interpretation', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('assignment', sa.Column('interpretation', sa.JSON(), nullable=False,
                                          server_default=sa.text("'[]'")))
    op.create_table(
        'interpreter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('pairs', sa.JSON(), nullable=False),
        sa.Column('max_slots_per_day', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('max_slots_per_day IS NULL OR max_slots_per_day >= 1', name='interpreter_limit_positive'),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_interpreter_event_id', 'interpreter', ['event_id'])
    op.create_table(
        'interpreter_available',
        sa.Column('interpreter_id', sa.Integer(), nullable=False),
        sa.Column('slot_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['interpreter_id'], ['interpreter.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('interpreter_id', 'slot_id'),
    )


def downgrade():
    op.drop_table('interpreter_available')
    op.drop_index('ix_interpreter_event_id', table_name='interpreter')
    op.drop_table('interpreter')
    op.drop_column('assignment', 'interpretation')  # (SQLite 3.35+ drops a column in place, keeping triggers)
    op.drop_column('proposal', 'interpretation')
    op.drop_column('event', 'language_rule')
