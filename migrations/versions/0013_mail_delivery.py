"""mail delivery: a Message-ID fixed when queued, a committed "sending" mark (no message twice
after a crash), and the profile choice a bulk message belongs to (one-click unsubscribe)

Revision ID: 0013_mail_delivery
Revises: 0012_offline_actions
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_mail_delivery'
down_revision = '0012_offline_actions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message') as batch:
        batch.add_column(sa.Column('message_id', sa.String(length=250), nullable=False, server_default=''))
        batch.add_column(sa.Column('sending_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('sender', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('topic', sa.String(length=32), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('outbox_message') as batch:
        batch.drop_column('topic')
        batch.drop_column('sender')
        batch.drop_column('sending_at')
        batch.drop_column('message_id')
