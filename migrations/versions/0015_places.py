"""places: the sessions a facilitator placed by hand in a draft since the solver made it

Revision ID: 0015_places
Revises: 0014_languages
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_places'
down_revision = '0014_languages'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('schedule_version', sa.Column('hand_placed', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('schedule_version') as batch:
        batch.drop_column('hand_placed')
