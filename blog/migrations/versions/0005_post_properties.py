"""posts.properties: the microformats2 properties a post has no column for (Micropub)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: a batch rebuild of posts on SQLite would drop its tag links (cascade).
    op.add_column("posts", sa.Column("properties", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("properties")
