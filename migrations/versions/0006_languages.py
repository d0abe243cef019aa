"""languages: a person's interface language, an event's default language

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user') as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
    with op.batch_alter_table('event') as batch_op:
        batch_op.add_column(sa.Column('default_locale', sa.String(length=8), nullable=False, server_default='en'))


def downgrade():
    with op.batch_alter_table('event') as batch_op:
        batch_op.drop_column('default_locale')
    with op.batch_alter_table('user') as batch_op:
        batch_op.drop_column('locale')
