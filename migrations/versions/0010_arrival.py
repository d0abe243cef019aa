"""arrival: the days each member is present, personal sign-in links (e-mail and badges), head counts

Revision ID: 0010_arrival
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_arrival'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('membership') as batch:
        batch.add_column(sa.Column('days', sa.JSON(), nullable=True))
    op.create_table(
        'sign_in_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('password_mark', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('email', 'badge')", name='sign_in_link_kind_known'),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_sign_in_link_user_id', 'sign_in_link', ['user_id'])
    op.create_table(
        'head_count',
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('slot_id', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('counted_by_id', sa.Integer(), nullable=True),
        sa.Column('counted_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('count >= 0 AND count <= 100000', name='head_count_range'),
        sa.ForeignKeyConstraint(['counted_by_id'], ['user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('proposal_id', 'slot_id'),
    )


def downgrade():
    op.drop_table('head_count')
    op.drop_index('ix_sign_in_link_user_id', table_name='sign_in_link')
    op.drop_table('sign_in_link')
    with op.batch_alter_table('membership') as batch:
        batch.drop_column('days')
