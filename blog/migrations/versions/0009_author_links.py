"""authors.links: the agent's profiles elsewhere, shown as rel="me" links

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: a batch rebuild of authors on SQLite would touch the posts' links.
    op.add_column("authors", sa.Column("links", sa.JSON(), nullable=False, server_default="[]"))


def downgrade():
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.drop_column("links")
