"""agents (issue 18): a post's AI usage override

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-01

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("posts") as batch:
        # server_default fills the rows that exist: they keep the blog's preferences.
        batch.add_column(
            sa.Column("ai_usage", sa.String(length=100), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("ai_usage")
